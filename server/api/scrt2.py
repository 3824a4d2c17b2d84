"""``/api/v1/salesforce/orgs/{id}/scrt2/requests``: the org's latest SCRT2 requests, and
replaying one that failed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiohttp import web

from server.failures import NotFound
from server.schemas.scrt2 import Scrt2Request, Scrt2RequestList
from server.times import rfc3339

from .context import services, tenant_id
from .contract import Contract

requests = Contract(tag="Salesforce orgs")
BASE = "/api/v1/salesforce/orgs/{id}/scrt2/requests"


def _view(r: Mapping[str, Any]) -> Scrt2Request:
    return Scrt2Request(
        id=r["id"],
        call_id=r["call_id"],
        kind=r["kind"],
        method=r["method"],
        state=r["state"],
        attempts=r["attempts"],
        status_code=r["status_code"],
        latency_ms=r["latency_ms"],
        reason=r["reason"],
        created_at=rfc3339(r["created_at"]),
        sent_at=rfc3339(r["sent_at"]) if r["sent_at"] is not None else None,
    )


@requests.get(
    f"{BASE}",
    response=Scrt2RequestList,
    summary="The org's latest SCRT2 requests",
)
async def list_scrt2_requests(request: web.Request) -> Scrt2RequestList:
    """Each with its state, attempts, SCRT2's status and latency: the VoiceCall log."""
    svc = services(request).salesforce
    row = await svc.orgs.row(tenant_id(request), request.match_info["id"])
    rows = await svc.scrt2.log(tenant_id(request), row["id"])
    return Scrt2RequestList(data=[_view(r) for r in rows])


@requests.post(
    f"{BASE}/{{request_id}}/replay",
    response=Scrt2Request,
    summary="Send a failed SCRT2 request again",
    errors=(409,),
)
async def replay_scrt2_request(request: web.Request) -> Scrt2Request:
    """A dead-lettered request goes again, behind what its call's lane still holds; 409 when
    it did not fail."""
    svc = services(request).salesforce
    row = await svc.orgs.row(tenant_id(request), request.match_info["id"])
    raw = request.match_info["request_id"]
    if not raw.isdigit() or len(raw) > 18:
        raise NotFound("SCRT2 request")
    return _view(await svc.scrt2.replay(tenant_id(request), row["id"], int(raw)))
