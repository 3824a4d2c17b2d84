"""The ``/agent`` messages about a call's Salesforce Task: ``call.log``, and the record a
``call.dial`` came from (docs/signaling.md, "Call logging")."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from server.failures import Failure
from server.schemas.call_logs import CallLog
from server.telephony.errors import TelephonyError
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
