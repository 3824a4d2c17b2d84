"""``/api/v1/salesforce/orgs/{id}/scrt2/requests``: the org's latest SCRT2 requests."""

from __future__ import annotations

from aiohttp import web

from server.schemas.scrt2 import Scrt2Request, Scrt2RequestList
from server.times import rfc3339

from .context import services, tenant_id
from .contract import Contract

requests = Contract(tag="Salesforce orgs")


@requests.get(
    "/api/v1/salesforce/orgs/{id}/scrt2/requests",
    response=Scrt2RequestList,
    summary="The org's latest SCRT2 requests",
)
async def list_scrt2_requests(request: web.Request) -> Scrt2RequestList:
    """Each with its state, attempts, SCRT2's status and latency: the VoiceCall log."""
    svc = services(request).salesforce
    row = await svc.orgs.row(tenant_id(request), request.match_info["id"])
    rows = await svc.scrt2.log(tenant_id(request), row["id"])
    return Scrt2RequestList(
        data=[
            Scrt2Request(
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
            for r in rows
        ]
    )
