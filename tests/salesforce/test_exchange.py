"""POST /api/v1/auth/salesforce/exchange against devorg: a Salesforce token of the org for
an agent token, and every way it is refused."""

from __future__ import annotations

from typing import Any

import pytest

from devorg.testing import RunningDevorg
from server.api.context import SERVICES
from tests.conftest import AppFactory

from .conftest import Sivo, connect, sivo_admin

ADMIN = "ada@acme.test"
AGENT = "bo@acme.test"
PATH = "/api/v1/auth/salesforce/exchange"


async def _setup(
    make_client: AppFactory, sf: RunningDevorg, name: str = "Acme", **kw: Any
) -> tuple[Sivo, dict[str, Any]]:
    suffix = "" if name == "Acme" else f".{name.lower()}"
    org = await sf.create_org(name)
    await sf.create_call_center(org["orgId"], f"SIVO_{name}")
    await sf.create_user(org["orgId"], ADMIN + suffix, last_name="Admin", email=ADMIN + suffix)
    await sf.create_user(org["orgId"], AGENT + suffix, last_name="Bo", email=AGENT + suffix)
    sivo = await sivo_admin(make_client, sf, **kw)
    await connect(sivo, sf, ADMIN + suffix)
    orgs = (await (await sivo.client.get("/api/v1/salesforce/orgs", headers=sivo.api)).json())[
        "data"
    ]
    row = next(o for o in orgs if o["org_id"] == org["orgId"])
    base = f"/api/v1/salesforce/orgs/{row['id']}/users"
    users = (await (await sivo.client.post(f"{base}/import", headers=sivo.api)).json())["users"]
    bo = next(u for u in users if u["email"] == AGENT + suffix)
    made = await sivo.client.post(
        f"{base}/agents", json={"user_ids": [bo["user_id"]]}, headers=sivo.api
    )
    assert made.status == 201
    return sivo, {
        **org,
        "row": row["id"],
        "bo": bo["user_id"],
        "agent": (await made.json())["created"][0],
    }


async def _exchange(sivo: Sivo, org_id: str, token: str) -> Any:
    return await sivo.client.post(PATH, json={"org_id": org_id, "access_token": token})


async def test_a_salesforce_token_becomes_an_agent_token(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    sivo, org = await _setup(make_client, sf)
    token = (await sf.login(AGENT))["access_token"]
    for org_id in (org["orgId"], org["orgId15"], org["row"]):  # what an integrator may hold
        resp = await _exchange(sivo, org_id, token)
        body = await resp.json()
        assert resp.status == 200, body
        assert body["agent"]["id"] == org["agent"] and body["agent"]["status"] == "logged_out"
    claims = await sivo.client.app[SERVICES].tokens.verify(body["token"])
    assert claims.agent_id == org["agent"] and claims.tenant_id == sivo.tenant.id
    # The Salesforce token was sent to the org's own instance only, as a header.
    log = (await sf.control("GET", "requests"))["requests"]
    info = [r for r in log if str(r.get("path", "")).endswith("/services/oauth2/userinfo")]
    assert info and all(token not in str(r) for r in log)


@pytest.mark.parametrize("spoil", ["garbage", "revoked", "expired"])
async def test_a_token_salesforce_does_not_accept_is_a_401(
    make_client: AppFactory, sf: RunningDevorg, spoil: str
) -> None:
    sivo, org = await _setup(make_client, sf)
    token = (await sf.login(AGENT))["access_token"]
    if spoil == "garbage":
        token = "00Dxx!notatoken"
    elif spoil == "revoked":
        assert sf.devorg.sessions.revoke(token)
    else:
        await sf.control("POST", "clock", {"advanceSeconds": 10 * 24 * 3600})
    resp = await _exchange(sivo, org["orgId"], token)
    assert resp.status == 401 and (await resp.json())["error"]["code"] == "invalid_salesforce_token"


async def test_an_org_sivo_does_not_know_is_a_404(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    sivo, _ = await _setup(make_client, sf)
    token = (await sf.login(AGENT))["access_token"]
    resp = await _exchange(sivo, "00D000000000000AAA", token)
    assert resp.status == 404


async def test_a_token_of_one_org_presented_with_another_orgs_id_is_refused(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    """Org A in tenant 1, org B in tenant 2: B's user, with A's id, gets nothing of tenant 1."""
    first, a = await _setup(make_client, sf)
    second, b = await _setup(make_client, sf, "Beta", client=first.client, email="eve@beta.test")
    beta_token = (await sf.login(AGENT + ".beta"))["access_token"]
    resp = await _exchange(first, a["orgId"], beta_token)
    assert resp.status == 401
    ok = await _exchange(second, b["orgId"], beta_token)
    body = await ok.json()
    assert ok.status == 200 and body["agent"]["id"] == b["agent"] != a["agent"]


async def test_users_without_an_active_agent_get_a_403(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    sivo, org = await _setup(make_client, sf)
    admin_token = (await sf.login(ADMIN))["access_token"]  # imported, but no agent of it
    resp = await _exchange(sivo, org["orgId"], admin_token)
    assert resp.status == 403 and (await resp.json())["error"]["code"] == "no_agent"

    token = (await sf.login(AGENT))["access_token"]
    record: Any = sf.devorg.store.orgs[org["orgId"]].first("User", Id=org["bo"])
    record["IsActive"] = False  # deactivated in Salesforce; the next import notices
    await sivo.client.post(f"/api/v1/salesforce/orgs/{org['row']}/users/import", headers=sivo.api)
    record["IsActive"] = True  # its token still works at Salesforce: SIVO's mapping refuses
    resp = await _exchange(sivo, org["orgId"], token)
    assert resp.status == 403 and (await resp.json())["error"]["code"] == "inactive_user"

    await sivo.client.post(f"/api/v1/salesforce/orgs/{org['row']}/users/import", headers=sivo.api)
    assert (await _exchange(sivo, org["orgId"], token)).status == 200
    await sivo.client.delete(f"/api/v1/agents/{org['agent']}", headers=sivo.api)
    resp = await _exchange(sivo, org["orgId"], token)
    assert resp.status == 403 and (await resp.json())["error"]["code"] == "no_agent"


async def test_a_bad_body_is_a_4xx_that_stores_nothing(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    sivo, org = await _setup(make_client, sf)
    for body in ({}, {"org_id": org["orgId"]}, {"org_id": org["orgId"], "access_token": "a b"}):
        resp = await sivo.client.post(PATH, json=body)
        assert resp.status == 422, body
