"""A call center connected to devorg with SCRT2 on: the org's SCRT2 base URL is devorg's
SCRT2 host, its call center holds SIVO's active certificate, and devorg's clock is SIVO's."""

from __future__ import annotations

import time
from typing import Any

from devorg.testing import RunningDevorg
from server.clock import FakeClock
from tests.conftest import AppFactory

from .logging_center import ADMIN, LogCenter, log_center


async def scrt2_center(
    make_client: AppFactory, sf: RunningDevorg, names: tuple[str, ...] = ("bo",), **kw: Any
) -> LogCenter:
    # SIVO runs on a FakeClock: devorg's clock moves to it first, so tokens and JWTs agree.
    await sf.control("POST", "clock", {"advanceSeconds": FakeClock().now() - time.time()})
    center = await log_center(make_client, sf, names, **kw)
    org = f"/api/v1/salesforce/orgs/{center.row_id}"
    await center.api("PATCH", org, {"scrt_base_url": sf.scrt_url})
    keys = await center.api("GET", f"{org}/keys")
    active = next(k for k in keys["data"] if k["status"] == "active")
    await sf.control(
        "PUT",
        f"orgs/{center.org_id}/callcenters/SIVO_Acme/certificate",
        {"certificate": active["certificate_pem"]},
    )
    return center


async def soql(lc: LogCenter, text: str) -> tuple[int, Any]:
    """The admin's query through the REST API, as on the product page."""
    tokens = await lc.sf.login(ADMIN)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    async with lc.sf.session.get(
        f"{lc.sf.base_url}/services/data/v68.0/query", params={"q": text}, headers=headers
    ) as response:
        return response.status, await response.json()


async def sent(lc: LogCenter) -> None:
    await lc.center.services.salesforce.scrt2.idle()


def voice_calls(lc: LogCenter) -> list[dict[str, Any]]:
    """The org's VoiceCalls, oldest first, as devorg keeps them."""
    org = lc.sf.devorg.store.orgs[lc.org_id]
    return sorted(org.records_of("VoiceCall").values(), key=lambda r: str(r["Id"]))


def scrt_requests(lc: LogCenter) -> list[tuple[str, str, int]]:
    """(method, path, status) of every request devorg's SCRT2 host answered, in order."""
    log = lc.sf.devorg.request_log
    return [(e["method"], e["path"], e["status"]) for e in log if e["host"] == "scrt"]


async def advance(lc: LogCenter, seconds: float) -> None:
    """SIVO's clock and devorg's move together (the JWTs' iat and exp stay valid)."""
    await lc.sf.control("POST", "clock", {"advanceSeconds": seconds})
    await lc.center.advance(seconds)
