"""What parties do to a call: answer, decline, hang up, hold, mute, DTMF, blind transfer,
consult, conference; and the web phone's side of an outbound call (pure rules).

Each function checks the request against the call's state and raises
:class:`TelephonyError` before changing anything, or changes the state and adds the
effects to the decision. Answering is two decisions around the media set-up that the shell
runs between them: ``*_begin`` reserves the ring, then ``*_done`` (or ``*_failed``).
"""

from __future__ import annotations

import logging

from . import ending, notify, routing, transfers, views
from .acd import QueuePolicy
from .call import CallState, Transfer
from .effects import (
    CallConnected,
    CloseLeg,
    ConsultUnanswered,
    Decision,
    InsertRecording,
    LegOpened,
    SendDtmf,
    StartRecording,
)
from .errors import TelephonyError, invalid_state, not_found
from .state import CallRuntime, Consult, TenantState

logger = logging.getLogger(__name__)


def call_for(state: TenantState, call_id: str) -> CallRuntime:
    rt = state.calls.get(call_id)
    if rt is None:
        raise not_found("no such call")
    return rt


def party_call(state: TenantState, agent_id: str, call_id: str) -> CallRuntime:
    rt = call_for(state, call_id)
    if agent_id not in rt.participants:
        raise not_found("you are not on this call")
    return rt


def media_call(state: TenantState, agent_id: str, call_id: str) -> CallRuntime:
    """A call this agent is on, or answering (for media messages)."""
    rt = call_for(state, call_id)
    if agent_id not in rt.participants and rt.answering != agent_id:
        raise not_found("you are not on this call")
    return rt


def _primary(state: TenantState, agent_id: str, call_id: str) -> CallRuntime:
    rt = party_call(state, agent_id, call_id)
    if rt.call.agent_id != agent_id or rt.call.state is not CallState.CONNECTED:
        raise invalid_state("only the agent who has the call can do this")
    return rt


def _talking(state: TenantState, agent_id: str, call_id: str) -> CallRuntime:
    rt = _primary(state, agent_id, call_id)
    if rt.consult is not None or rt.conference:
        raise invalid_state("not during a consultation or conference")
    return rt


def _consulting(state: TenantState, agent_id: str, call_id: str) -> CallRuntime:
    rt = _primary(state, agent_id, call_id)
    if rt.consult is None or rt.consult.by_agent_id != agent_id:
        raise invalid_state("no consultation in progress")
    return rt


def start_recording(state: TenantState, d: Decision, rt: CallRuntime, now: float) -> None:
    """At the first answer, when the tenant records calls: the row, then the recorder."""
    caller_leg = rt.legs.get("caller")
    if not rt.record or rt.call.recording_id is not None or caller_leg is None:
        return
    recording_id = state.new_id("rec", now)
    rt.call.recording_id = recording_id
    d.store.append(
        InsertRecording(
            {
                "id": recording_id,
                "tenant_id": rt.call.tenant_id,
                "call_id": rt.id,
                "file_name": f"{rt.id}.wav",
                "status": "recording",
                "channels": 2,
                "created_at": now,
            }
        )
    )
    d.media.append(StartRecording(rt.call.tenant_id, rt.id, caller_leg, recording_id))


# -- answering ------------------------------------------------------------------------------


def _rings(rt: CallRuntime, state: TenantState, agent_id: str) -> bool:
    if rt.consult is not None and rt.consult.agent_id == agent_id:
        return rt.consult.state == "ringing"
    return state.ringing_agent(rt.id) == agent_id


def answer_begin(state: TenantState, agent_id: str, call_id: str) -> Decision:
    """Reserve the ring for this agent while its media is set up (no ring timeout meanwhile)."""
    rt = call_for(state, call_id)
    if not _rings(rt, state, agent_id) or rt.answering is not None:
        raise invalid_state("this call is not ringing you")
    rt.answering = agent_id
    waiting = state.acd.get(call_id)
    if waiting is not None and waiting.ringing == agent_id:
        waiting.suspended_deadline, waiting.ring_deadline = waiting.ring_deadline, None
    d = Decision()
    d.cancel(f"ring:{call_id}")
    return d


def answer_failed(state: TenantState, agent_id: str, call_id: str, now: float) -> Decision:
    """The answer's media could not be set up: the call rings on as it did."""
    d = Decision()
    rt = state.calls.get(call_id)
    if rt is None or rt.answering != agent_id:
        return d
    rt.answering = None
    waiting = state.acd.get(call_id)
    if waiting is not None and waiting.ringing == agent_id:
        waiting.ring_deadline, waiting.suspended_deadline = waiting.suspended_deadline, None
        state.acd_timer_at = None  # re-armed by route() for the restored deadline
    if rt.consult is not None and rt.consult.agent_id == agent_id:
        d.arm(f"ring:{call_id}", now + rt.ring_timeout_s, ConsultUnanswered(call_id, agent_id))
    return d


def answer_done(
    state: TenantState, agent_id: str, call_id: str, leg_id: str, now: float
) -> Decision:
    """The agent's leg is up: it has the call (or joins the consultation)."""
    d = Decision()
    rt = state.calls.get(call_id)
    session = state.agents.get(agent_id)
    if rt is not None and rt.answering == agent_id:
        rt.answering = None
    consult = rt is not None and rt.consult is not None and rt.consult.agent_id == agent_id
    still = rt is not None and (consult or state.ringing_agent(rt.id) == agent_id)
    if rt is None or rt.call.ended or not still or session is None or session.calls:
        d.media.append(CloseLeg(leg_id))
        d.refusal = invalid_state("the call stopped ringing")
        return d
    change = session.presence.start_call(now)
    session.calls.add(call_id)
    rt.participants.add(agent_id)
    rt.legs[agent_id] = leg_id
    if consult and rt.consult is not None:
        rt.consult.state = "connected"
    else:
        state.acd.remove(call_id)
        rt.wait_on_hold = False
        wait = rt.call.answer(agent_id, now)
        start_recording(state, d, rt, now)
        d.save_call(rt.call)
        d.emit(rt.call.tenant_id, "call.answered", views.answered_event(rt.call, wait, now))
    if change is not None:
        d.emit_status(rt.call.tenant_id, change)
    logger.info("call %s: answered by %s%s", call_id, agent_id, " (consult)" if consult else "")
    d.notices.append(LegOpened(call_id, agent_id, leg_id))
    d.notices.append(CallConnected(call_id, agent_id))
    d.wire(rt)
    d.presence_changed(session, change)
    notify.updates(state, d, rt)
    return d


def decline(state: TenantState, agent_id: str, call_id: str, now: float) -> Decision:
    rt = call_for(state, call_id)
    d = Decision()
    consult = rt.consult
    if consult is not None and consult.agent_id == agent_id and consult.state == "ringing":
        transfers.cancel(state, d, rt, "declined", now)
    elif state.ringing_agent(rt.id) == agent_id and rt.answering is None:
        routing.ring_stopped(state, d, rt, "declined", now)
    else:
        raise invalid_state("this call is not ringing you")
    return d


def hangup(state: TenantState, agent_id: str, call_id: str, now: float) -> Decision:
    """On the call: leave it; rung for it: decline it."""
    rt = call_for(state, call_id)
    if agent_id in rt.participants:
        d = Decision()
        transfers.agent_leaves(state, d, rt, agent_id, "normal_clearing", now)
        return d
    consult = rt.consult
    if state.ringing_agent(rt.id) != agent_id and (consult is None or consult.agent_id != agent_id):
        raise not_found("you are not on this call")
    return decline(state, agent_id, call_id, now)


# -- in-call controls -------------------------------------------------------------------------


def hold(state: TenantState, agent_id: str, call_id: str, on: bool, now: float) -> Decision:
    rt = _talking(state, agent_id, call_id)
    d = Decision()
    if notify.hold(d, rt, on, agent_id, "hold" if on else "resume", now):
        d.wire(rt)
        notify.updates(state, d, rt)
    return d


def mute(state: TenantState, agent_id: str, call_id: str, on: bool) -> Decision:
    rt = party_call(state, agent_id, call_id)
    (rt.muted.add if on else rt.muted.discard)(agent_id)
    d = Decision()
    d.wire(rt)
    d.push_agent(state.agents.get(agent_id), "call.updated", views.agent_view(rt, agent_id))
    return d


def agent_dtmf(state: TenantState, agent_id: str, call_id: str, digits: str) -> Decision:
    rt = party_call(state, agent_id, call_id)
    if "caller" not in rt.legs:
        raise invalid_state("the other party has no audio yet")
    d = Decision()
    d.media.append(SendDtmf(rt.legs["caller"], digits))
    return d


def caller_dtmf(state: TenantState, sid: str, call_id: str, digits: str) -> Decision:
    rt = callers_call(state, sid, call_id)
    d = Decision()
    for agent_id in sorted(rt.participants):
        if agent_id in rt.legs:
            d.media.append(SendDtmf(rt.legs[agent_id], digits))
            d.push_agent(
                state.agents.get(agent_id), "call.dtmf", {"call_id": call_id, "digits": digits}
            )
    return d


# -- transfers ------------------------------------------------------------------------------


def check_free(state: TenantState, agent_id: str, field: str, *, exists: bool) -> None:
    """A transfer or consult target must be free by the one busy rule.

    ``exists``: whether the agent exists at all (the shell asks the store for agents this
    tenant's book has never seen), to tell "no such agent" from "not signed in".
    """
    session = state.agents.get(agent_id)
    if session is None:
        if not exists:
            raise TelephonyError("not_found", "no such agent", field)
        raise TelephonyError("agent_unavailable", "that agent is not signed in", field)
    if not state.can_ring(session, state.engaged()):
        raise TelephonyError("agent_unavailable", "that agent is not available", field)


def transfer(
    state: TenantState,
    agent_id: str,
    call_id: str,
    to_type: str,
    to_id: str,
    now: float,
    *,
    target_exists: bool,
) -> Decision:
    """Blind transfer: this agent leaves at once; the target agent or queue rings."""
    rt = _talking(state, agent_id, call_id)
    if to_type == "agent":
        if to_id == agent_id:
            raise TelephonyError("invalid_message", "cannot transfer to yourself", "to_id")
        check_free(state, to_id, "to_id", exists=target_exists)
    elif to_id not in state.queues:
        raise TelephonyError("not_found", "no such queue", "to_id")
    tenant_id = rt.call.tenant_id
    d = Decision()
    notify.hold(d, rt, False, agent_id, "transfer", now)
    rt.call.transferred(Transfer("blind", agent_id, to_type, to_id, now))
    released = ending.release_agent(state, rt, agent_id, now)
    rt.wait_on_hold = True
    if to_type == "agent":  # route() rings the target: CONNECTED -> RINGING
        policy = QueuePolicy(
            rt.call.queue_id or "direct", "", rt.ring_timeout_s, None, None, None, rt.wrap_up_s
        )
        state.acd.ring_only(call_id, to_id, policy, now)
    d.save_call(rt.call)
    d.emit(tenant_id, "call.transferred", views.transferred_event(rt.call))
    if released[1] is not None:
        d.emit_status(tenant_id, released[1])
    logger.info("call %s: blind transfer %s -> %s %s", call_id, agent_id, to_type, to_id)
    ending.finish_release(d, rt, agent_id, released, "transferred")
    d.wire(rt)
    if to_type == "queue":
        routing.enqueue(state, d, rt, to_id, now)
    return d


def consult(
    state: TenantState, agent_id: str, call_id: str, to_agent: str, now: float, *, exists: bool
) -> Decision:
    rt = _talking(state, agent_id, call_id)
    if to_agent == agent_id:
        raise TelephonyError("invalid_message", "cannot consult yourself", "agent_id")
    check_free(state, to_agent, "agent_id", exists=exists)
    d = Decision()
    notify.hold(d, rt, True, agent_id, "consult", now)
    rt.consult = Consult(agent_id=to_agent, by_agent_id=agent_id)
    d.arm(f"ring:{call_id}", now + rt.ring_timeout_s, ConsultUnanswered(call_id, to_agent))
    d.wire(rt)
    notify.ringing(state, d, rt, to_agent, "consult", now, agent_id)
    notify.updates(state, d, rt)
    return d


def consult_unanswered(state: TenantState, call_id: str, to_agent: str, now: float) -> Decision:
    d = Decision()
    rt = state.calls.get(call_id)
    if (
        rt is not None
        and rt.consult is not None
        and rt.consult.agent_id == to_agent
        and rt.consult.state == "ringing"
        and rt.answering is None
    ):
        transfers.cancel(state, d, rt, "no_answer", now)
    return d


def consult_complete(state: TenantState, agent_id: str, call_id: str, now: float) -> Decision:
    rt = _consulting(state, agent_id, call_id)
    if rt.consult is None or rt.consult.state != "connected":
        raise invalid_state("the consulted agent has not answered yet")
    d = Decision()
    transfers.complete(state, d, rt, "attended", now)
    return d


def consult_cancel(state: TenantState, agent_id: str, call_id: str, now: float) -> Decision:
    rt = _consulting(state, agent_id, call_id)
    d = Decision()
    transfers.cancel(state, d, rt, "normal_clearing", now)
    return d


def conference(state: TenantState, agent_id: str, call_id: str, now: float) -> Decision:
    rt = _consulting(state, agent_id, call_id)
    consult = rt.consult
    if consult is None or consult.state != "connected":
        raise invalid_state("the consulted agent has not answered yet")
    d = Decision()
    notify.hold(d, rt, False, agent_id, "conference", now)
    rt.call.transferred(Transfer("3way", agent_id, "agent", consult.agent_id, now))
    rt.consult = None
    rt.conference = True
    d.save_call(rt.call)
    d.emit(rt.call.tenant_id, "call.transferred", views.transferred_event(rt.call))
    d.wire(rt)
    notify.updates(state, d, rt)
    return d


# -- the web phone's side -------------------------------------------------------------------


def callers_call(state: TenantState, sid: str, call_id: str) -> CallRuntime:
    rt = state.calls.get(call_id)
    if rt is None or rt.caller_sid != sid:
        raise not_found("no such call")
    return rt


def caller_hangup(state: TenantState, sid: str, call_id: str, now: float) -> Decision:
    rt = callers_call(state, sid, call_id)
    d = Decision()
    transfers.caller_leaves(state, d, rt, "normal_clearing", now)
    return d
