"""How a consultation or a conference resolves (pure rules; docs/media.md for the media side).

* attended: the caller is held while A and B talk (consult); complete = B keeps the caller;
  cancel = back to A; A hanging up during a connected consult completes it.
* conference: caller, A and B mixed; an agent leaving returns the other two to a bridge.

Starting a transfer, a consultation or a conference is a request (``control.py``); these
functions are where they end up, also when a party hangs up or a ring times out.
"""

from __future__ import annotations

from . import ending, notify, views
from .call import Transfer
from .effects import Decision
from .state import CallRuntime, TenantState

# Why a consultation that still rang ended, as ``call.ring_missed`` tells it.
_CONSULT_MISSED = {
    "declined": "declined",
    "no_answer": "timeout",
    "agent_disconnected": "agent_offline",
}


def agent_leaves(
    state: TenantState, d: Decision, rt: CallRuntime, agent_id: str, cause: str, now: float
) -> None:
    """An agent hangs up (or is gone): the call ends, unless another agent stays on it."""
    consult = rt.consult
    if consult is not None and agent_id in (consult.agent_id, consult.by_agent_id):
        if agent_id == consult.by_agent_id and consult.state == "connected":
            complete(state, d, rt, "attended", now)
            return
        if agent_id == consult.agent_id:
            cancel(state, d, rt, cause, now)
            return
    if rt.conference and len(rt.participants) > 1:
        leave_conference(state, d, rt, agent_id, cause, now)
        return
    ending.end_call(state, d, rt, cause, "agent", now)


def caller_leaves(state: TenantState, d: Decision, rt: CallRuntime, cause: str, now: float) -> None:
    """The caller (inbound) or the callee (outbound web phone) hung up or vanished."""
    ending.end_call(state, d, rt, cause, "caller", now)


def leave_conference(
    state: TenantState, d: Decision, rt: CallRuntime, agent_id: str, cause: str, now: float
) -> None:
    """One agent leaves a conference; with one agent left, it is a plain call again."""
    released = ending.release_agent(state, rt, agent_id, now)
    if rt.call.agent_id == agent_id:
        rt.call.agent_id = sorted(rt.participants)[0]
    if len(rt.participants) < 2:
        rt.conference = False
    d.save_call(rt.call)
    if released[1] is not None:
        d.emit_status(rt.call.tenant_id, released[1])
    ending.finish_release(d, rt, agent_id, released, cause)
    _reshaped(state, d, rt)


def complete(state: TenantState, d: Decision, rt: CallRuntime, kind: str, now: float) -> None:
    """The consulted agent keeps the caller; the consulting agent leaves (``call.transferred``)."""
    consult = rt.consult
    if consult is None:
        return
    from_agent, to_agent = consult.by_agent_id, consult.agent_id
    rt.call.transferred(Transfer(kind, from_agent, "agent", to_agent, now))
    notify.hold(d, rt, False, from_agent, "transfer", now)
    rt.consult = None
    rt.call.agent_id = to_agent
    released = ending.release_agent(state, rt, from_agent, now)
    d.save_call(rt.call)
    d.emit(rt.call.tenant_id, "call.transferred", views.transferred_event(rt.call))
    if released[1] is not None:
        d.emit_status(rt.call.tenant_id, released[1])
    ending.finish_release(d, rt, from_agent, released, "transferred")
    _reshaped(state, d, rt)


def cancel(state: TenantState, d: Decision, rt: CallRuntime, cause: str, now: float) -> None:
    """The consultation ends without a transfer: back to the consulting agent and the caller."""
    consult = rt.consult
    if consult is None:
        return
    d.cancel(f"ring:{rt.id}")
    rt.consult = None
    notify.hold(d, rt, False, consult.by_agent_id, "consult_ended", now)
    if consult.state == "ringing":
        missed = _CONSULT_MISSED.get(cause, "cancelled")
        notify.ring_cancelled(state, d, rt, consult.agent_id, "cancelled", now, missed=missed)
    else:
        released = ending.release_agent(state, rt, consult.agent_id, now)
        if released[1] is not None:
            d.emit_status(rt.call.tenant_id, released[1])
        ending.finish_release(d, rt, consult.agent_id, released, cause)
    _reshaped(state, d, rt)


def _reshaped(state: TenantState, d: Decision, rt: CallRuntime) -> None:
    """Rewire the legs and show everyone the call's new shape."""
    d.wire(rt)
    notify.updates(state, d, rt)
