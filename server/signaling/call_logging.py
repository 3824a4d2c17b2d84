"""The ``/agent`` messages about a call's Salesforce Task: ``call.log``, and the record a
``call.dial`` came from (docs/signaling.md, "Call logging")."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from server.failures import Failure
from server.schemas.call_logs import CallLog
from server.telephony.errors import TelephonyError
from server.telephony.ports import SavedLog, SavedLogs
from server.telephony.switchboard import Switchboard

logger = logging.getLogger(__name__)


class CallLogging(Protocol):
    """What the softphone says about its calls for their Salesforce Tasks (``CallLogs``)."""

    async def for_agent(self, tenant_id: str, agent_id: str) -> dict[str, object]: ...

    async def annotate(
        self,
        tenant_id: str,
        agent_id: str,
        call_id: str,
        *,
        who_id: str | None = None,
        what_id: str | None = None,
        notes: str | None = None,
        disposition: str | None = None,
        source: Any = "chooser",
    ) -> CallLog: ...

    async def annotate_record(
        self, tenant_id: str, agent_id: str, call_id: str, record_id: str, object_type: str
    ) -> CallLog: ...


CALL_LOGGING_OFF: dict[str, object] = {
    "enabled": False,
    "dispositions": [],
    "disposition_required": False,
}


async def dial(
    sb: Switchboard, logs: CallLogging | None, tenant_id: str, agent_id: str, p: dict[str, Any]
) -> dict[str, Any]:
    """``call.dial``; its ``record`` is kept for the Task once the call has an id."""
    result = await sb.shell(tenant_id).dial(agent_id, p["to"], p["sdp"])
    record = p["record"]
    if record is not None and logs is not None:
        try:
            await logs.annotate_record(
                tenant_id, agent_id, result["call_id"], record["record_id"], record["object_type"]
            )
        except Failure as exc:  # the call is up all the same
            logger.info("call %s: x clicked record not kept: %s", result["call_id"], exc.code)
    return result


async def log(
    sb: Switchboard, logs: CallLogging | None, tenant_id: str, agent_id: str, p: dict[str, Any]
) -> dict[str, Any]:
    """``call.log``: what the call's Task says; a disposition may end a held wrap-up."""
    if logs is None:
        raise TelephonyError("invalid_state", "call logging is not available here")
    view = await logs.annotate(
        tenant_id,
        agent_id,
        p["call_id"],
        who_id=p["who_id"],
        what_id=p["what_id"],
        notes=p["notes"],
        disposition=p["disposition"],
        source=p["source"] or "chooser",
    )
    if p["disposition"]:  # a wrap-up held for want of one may be over now
        await sb.shell(tenant_id).wrap_up_unblocked(agent_id)
    return {
        "call_id": view.call_id,
        "state": view.state,
        "who_id": view.who_id,
        "what_id": view.what_id,
        "disposition": view.disposition,
    }


async def wrap_up_snapshot(
    wrap_up: dict[str, Any],
    logging_for_agent: dict[str, object],
    saved_logs: SavedLogs | None,
    tenant_id: str,
    agent_id: str,
) -> dict[str, Any]:
    """``session.ready``'s ``wrap_up`` (the book's: the call it is for) with what its log
    needs: the dispositions offered, whether one is required before the agent may be
    Available, and the disposition and notes saved so far (docs/signaling.md, "After-call
    work"). A saved log that cannot be read leaves the form empty: the agent can still save.
    """
    enabled = bool(logging_for_agent.get("enabled"))
    offered = logging_for_agent.get("dispositions")
    saved: SavedLog | None = None
    call_id = str(wrap_up["call"]["call_id"])
    if enabled and saved_logs is not None:
        try:
            saved = await saved_logs.saved(tenant_id, agent_id, call_id)
        except Exception:
            logger.exception("call %s: x saved log unreadable for a reloaded softphone", call_id)
    return {
        **wrap_up,
        "logging": enabled,
        "dispositions": [str(d) for d in offered] if enabled and isinstance(offered, list) else [],
        "disposition_required": enabled and bool(logging_for_agent.get("disposition_required")),
        "disposition": saved.disposition if saved is not None else None,
        "notes": saved.notes if saved is not None else "",
    }
