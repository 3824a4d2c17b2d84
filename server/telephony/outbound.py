"""Outbound: an agent dials a number. Only registered web phones can be called; anything
else is ``no_route`` (or ``busy``), and still leaves a CDR. The callee answers, declines or
hangs up through ``CallControl``'s web phone side.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from server.ids import new_id
from server.store import telephony as store

from . import ending, views
from .admin import tenant_settings
from .call import Call
from .errors import TelephonyError, invalid_state
from .presence import State
from .runtime import CallRuntime

if TYPE_CHECKING:
    from .service import CallCenter

logger = logging.getLogger(__name__)


async def dial(
    center: CallCenter, tenant_id: str, agent_id: str, to: str, sdp: str
) -> dict[str, Any]:
    """An agent calls a number: a registered web phone rings; anything else: no route."""
    async with center.db.read() as conn:
        settings = tenant_settings(await store.get_settings(conn, tenant_id))
    async with center.lock:
        center.refuse_if_closed()
        session = center.session_of(agent_id)
        if session.calls or session.presence.state is State.LOGGED_OUT:
            raise invalid_state("sign in and finish your current call first")
        if any(agent_id in (rt.ringing_agent, rt.answering) for rt in center.calls.values()):
            raise invalid_state("answer or decline the ringing call first")
        now = center.clock.now()
        call = Call.outbound(
            id=new_id("call", now),
            tenant_id=tenant_id,
            from_number=session.extension,
            to_number=to,
            agent_id=agent_id,
            now=now,
        )
        callee = center.callers.get(center.registered.get(to, ""))
        if callee is None or callee.call_id is not None:
            cause = "no_route" if callee is None else "busy"
            call.end(cause, "system", now)
            async with center.db.transaction() as tx:
                await center.insert_call_txn(tx, call)
                await center.outbox.emit_txn(
                    tx, tenant_id, "call.created", views.created_event(call)
                )
                await center.outbox.emit_txn(tx, tenant_id, "call.ended", call.cdr())
            if callee is None:
                raise TelephonyError(
                    "no_route", f"no route to {to} (only web phones can be called)", "to"
                )
            raise TelephonyError("busy", f"{to} is on another call", "to")
        rt = CallRuntime(
            call=call,
            wrap_up_s=float(settings["outbound_wrap_up_s"]),
            record=settings["record_calls"],
            ring_timeout_s=center.outbound_ring_timeout_s,
            caller_sid=callee.sid,
        )
        callee.call_id = call.id
        session.calls.add(call.id)  # reserved while the agent's offer is answered
    try:
        answer = await center.call_media.open(rt, agent_id, sdp)
    except TelephonyError:
        async with center.lock:
            session.calls.discard(call.id)
            if callee.call_id == call.id:
                callee.call_id = None
        raise
    async with center.lock:
        if callee.sid not in center.callers or callee.call_id != call.id:
            session.calls.discard(call.id)
            await center.call_media.close(rt, agent_id)
            raise TelephonyError("no_route", f"{to} went away", "to")
        call.created_at = call.waiting_since = center.clock.now()
        change = session.presence.start_call(call.created_at)
        rt.participants.add(agent_id)
        center.calls[call.id] = rt
        async with center.db.transaction() as tx:
            await center.insert_call_txn(tx, call)
            await center.outbox.emit_txn(tx, tenant_id, "call.created", views.created_event(call))
            if change is not None:
                await center.emit_status_txn(tx, tenant_id, change)
        logger.info("call %s: outbound %s -> %s", call.id, agent_id, to)
        await center.presence_changed(session, change)
        center.timers.set(
            f"ring:{call.id}",
            call.created_at + rt.ring_timeout_s,
            lambda: _no_answer(center, call.id),
        )
        await center.push_caller(
            callee.sid,
            "call.incoming",
            {
                "call_id": call.id,
                "from": call.from_number,
                "to": to,
                "ring_timeout_s": rt.ring_timeout_s,
            },
        )
    return {"call_id": call.id, "sdp": answer}


async def _no_answer(center: CallCenter, call_id: str) -> None:
    """The callee's web phone rang out."""
    async with center.lock:
        rt = center.calls.get(call_id)
        if rt is not None and not rt.answered_by_callee and rt.answering is None:
            await ending.end_call(center, rt, "no_answer", "system")
