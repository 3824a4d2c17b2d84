"""Connect with Salesforce against devorg: the OAuth web-server flow with PKCE, discovery,
tokens at rest, and every way the flow can end without an org."""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from devorg.testing import RunningDevorg
from server.api.context import SERVICES
from server.clock import FakeClock
from server.store.tables import salesforce_oauth_states, salesforce_orgs
from tests.conftest import AppFactory
from tests.support.dashboard import log_in

from .conftest import PASSWORD, authorize_url, connect, local, salesforce_settings, sivo_admin

USER = "ada@acme.test"


async def _org(sf: RunningDevorg, name: str = "Acme", *, sandbox: bool = False) -> Any:
    org = await sf.create_org(name, is_sandbox=sandbox)
    await sf.create_call_center(org["orgId"], "SIVO_Acme")
    await sf.create_user(org["orgId"], USER, first_name="Ada", last_name="Admin")
    return org


async def _orgs(sivo: Any) -> list[dict[str, Any]]:
    resp = await sivo.client.get("/api/v1/salesforce/orgs", headers=sivo.api)
    assert resp.status == 200
    data: list[dict[str, Any]] = (await resp.json())["data"]
    return data


async def test_connect_discovers_the_org_and_keeps_its_tokens_encrypted(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    org = await _org(sf)
    sivo = await sivo_admin(make_client, sf)
    done = await connect(sivo, sf, USER)
    assert done.status == 303 and done.headers["Location"].startswith("/admin/salesforce/sfo_")
    [found] = await _orgs(sivo)
    assert found["org_id"] == org["orgId"] and len(found["org_id"]) == 18
    assert found["org_id15"] == org["orgId"][:15] == org["orgId15"]
    assert found["status"] == "connected" and found["is_sandbox"] is False
    assert found["environment"] == "production" and found["connected_by"] == USER
    assert found["call_center"]["internal_name"] == "SIVO_Acme"  # the only one: chosen
    assert found["scrt_source"] == "none"  # devorg's host is no My Domain: the admin sets it
    how = {item["key"]: item for item in found["discovery"]}
    assert how["org_id"]["how"].startswith("SELECT Id, Name, IsSandbox FROM Organization")
    assert how["org_id"]["value"] == org["orgId"] and how["is_sandbox"]["value"] is False
    assert "INVALID_TYPE" in how["scrt_base_url"]["how"]
    assert found["login"] == "production"
    async with sivo.client.app[SERVICES].db.read() as conn:
        row = (await conn.execute(select(salesforce_orgs))).mappings().one()
    token = next(iter(sf.devorg.sessions.access_tokens))  # type: ignore[attr-defined]
    assert token not in row["access_token_enc"] and token not in str(dict(row))
    keys = await sivo.client.get(f"/api/v1/salesforce/orgs/{found['id']}/keys", headers=sivo.api)
    [key] = (await keys.json())["data"]
    assert key["status"] == "active" and key["certificate_pem"].startswith("-----BEGIN CERT")


async def test_the_authorize_request_is_pkce_s256_with_the_exact_callback(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    sivo = await sivo_admin(make_client, sf)
    start = await sivo.client.get(
        "/admin/salesforce/connect", params={"login": "sandbox"}, allow_redirects=False
    )
    location = await authorize_url(start)
    assert location.startswith(f"{sf.sandbox_login_url}/services/oauth2/authorize?")
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    assert query["redirect_uri"] == "http://127.0.0.1:8080/salesforce?autoConnect=1"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["scope"] == "api refresh_token openid" and len(query["state"]) >= 32


async def test_a_state_is_single_use_expires_and_belongs_to_its_admin(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    await _org(sf)
    clock = FakeClock()
    sivo = await sivo_admin(make_client, sf, clock=clock)
    start = await sivo.client.get("/admin/salesforce/connect", allow_redirects=False)
    await sf.control("PUT", "auto-approve", {"username": USER})
    async with sf.session.get(await authorize_url(start), allow_redirects=False) as approved:
        callback = local(approved.headers["Location"])
    first = await sivo.client.get(callback, allow_redirects=False)
    assert first.status == 303
    replay = await sivo.client.get(callback, allow_redirects=False)
    assert replay.status == 400 and "not valid any more" in await replay.text()

    start = await sivo.client.get("/admin/salesforce/connect", allow_redirects=False)
    async with sf.session.get(await authorize_url(start), allow_redirects=False) as approved:
        late = local(approved.headers["Location"])
    clock.advance(601)
    assert (await sivo.client.get(late, allow_redirects=False)).status == 400

    # Another admin of the same tenant cannot finish what this one started.
    await sivo.client.app[SERVICES].identity.create_admin(sivo.tenant.id, "bo@acme.test", PASSWORD)
    start = await sivo.client.get("/admin/salesforce/connect", allow_redirects=False)
    async with sf.session.get(await authorize_url(start), allow_redirects=False) as approved:
        theirs = local(approved.headers["Location"])
    sivo.client.session.cookie_jar.clear()
    await log_in(sivo.client, "bo@acme.test", PASSWORD)
    assert (await sivo.client.get(theirs, allow_redirects=False)).status == 400
    await sf.control("PUT", "auto-approve", {"username": None})


async def test_without_a_session_the_admin_logs_in_and_the_flow_resumes(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    await _org(sf)
    sivo = await sivo_admin(make_client, sf)
    sivo.client.session.cookie_jar.clear()
    start = await sivo.client.get(
        "/admin/salesforce/connect", params={"login": "production"}, allow_redirects=False
    )
    assert start.status == 303
    next_url = parse_qs(urlsplit(start.headers["Location"]).query)["next"][0]
    assert next_url == "/admin/salesforce/connect?login=production"
    resumed = await log_in(sivo.client, sivo.email, PASSWORD, next_url=next_url)
    assert resumed.headers["Location"] == "/admin/salesforce/connect?login=production"
    done = await connect(sivo, sf, USER)
    assert done.status == 303 and len(await _orgs(sivo)) == 1


@pytest.mark.parametrize(
    ("error", "says"),
    [
        ("access_denied", "not approved"),
        ("invalid_client_id", "does not know SIVO"),
        ("immediate_unsuccessful", "could not approve without asking"),
        ("login_required", "not logged in to Salesforce"),
        ("redirect_uri_mismatch", "callback URL is not the one registered"),
        ("something_new", "refused the connection"),
    ],
)
async def test_every_oauth_error_ends_on_a_page_that_says_what_to_do(
    make_client: AppFactory, sf: RunningDevorg, error: str, says: str
) -> None:
    sivo = await sivo_admin(make_client, sf)
    resp = await sivo.client.get(
        "/salesforce",
        params={"autoConnect": "1", "error": error, "error_description": "<b>x</b>"},
        allow_redirects=False,
    )
    page = await resp.text()
    assert resp.status == 400 and says in page and 'id="result-todo"' in page
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page  # escaped
    assert resp.headers["Content-Security-Policy"]


async def test_a_second_tenant_cannot_connect_an_org_another_tenant_has(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    await _org(sf)
    first = await sivo_admin(make_client, sf)
    assert (await connect(first, sf, USER)).status == 303
    second = await sivo_admin(make_client, sf, client=first.client, email="eve@other.test")
    refused = await connect(second, sf, USER)
    assert refused.status == 400 and "another SIVO tenant" in await refused.text()
    assert len(await _orgs(first)) == 1 and await _orgs(second) == []


@pytest.mark.parametrize(
    "login",
    ["https://evil.example.com", "http://acme.my.salesforce.com", "acme.my.salesforce.com.evil.io"],
)
async def test_a_login_host_that_is_not_salesforce_is_refused_and_nothing_stored(
    make_client: AppFactory, sf: RunningDevorg, login: str
) -> None:
    sivo = await sivo_admin(make_client, sf)
    resp = await sivo.client.get(
        "/admin/salesforce/connect", params={"login": login}, allow_redirects=False
    )
    assert resp.status == 400 and "My Domain URL looks like" in await resp.text()
    async with sivo.client.app[SERVICES].db.read() as conn:
        count = await conn.execute(select(func.count()).select_from(salesforce_oauth_states))
        assert count.scalar_one() == 0


async def test_the_org_is_reached_over_verified_tls_only(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    """Without the org's CA, the code exchange fails the TLS handshake and nothing is kept."""
    assert sf.login_url.startswith("https://")
    await _org(sf)
    untrusting = salesforce_settings(sf)
    sivo = await sivo_admin(
        make_client, sf, salesforce=dataclasses.replace(untrusting, ca_bundle=None)
    )
    done = await connect(sivo, sf, USER)
    assert done.status == 400 and "could not reach Salesforce" in await done.text()
    assert await _orgs(sivo) == []


async def test_a_mismatched_redirect_uri_is_refused_by_the_org_and_explained(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    """The code was issued for one callback URL and is redeemed with another (the server's
    public URL changed mid-flow): Salesforce refuses it, SIVO says what to fix."""
    await _org(sf)
    first = await sivo_admin(make_client, sf)
    start = await first.client.get("/admin/salesforce/connect", allow_redirects=False)
    await sf.control("PUT", "auto-approve", {"username": USER})
    try:
        async with sf.session.get(await authorize_url(start), allow_redirects=False) as approved:
            callback = local(approved.headers["Location"])
    finally:
        await sf.control("PUT", "auto-approve", {"username": None})
    moved = await make_client(
        salesforce=salesforce_settings(sf), public_url="http://127.0.0.1:9090"
    )  # the same database and key, another public URL
    await log_in(moved, first.email, PASSWORD)
    resp = await moved.get(callback, allow_redirects=False)
    page = await resp.text()
    assert resp.status == 400 and "callback URL is not the one registered" in page
    assert await _orgs(first) == []
