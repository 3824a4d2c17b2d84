"""The agent's sign-in from the console against devorg over HTTPS: the popup (web-server flow
with PKCE at the org's own instance), the one-time ticket, the softphone session and its
partitioned cookie, and every way they end or are refused."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from devorg.testing import RunningDevorg
from server.api.context import SERVICES
from server.clock import FakeClock
from server.crypto import token_digest
from server.salesforce.softphone_sessions import CHECK_TIMEOUT_S, REVALIDATE_S
from server.store.tables import softphone_sessions
from tests.conftest import AppFactory

from .agent_browser import AgentBrowser, agent_browser
from .conftest import Sivo, connect, sivo_admin

ADMIN, AGENT, PW = "ada@acme.test", "bo@acme.test", "bo-password"


@dataclass
class World:
    sivo: Sivo
    clock: FakeClock
    org: dict[str, Any]  # devorg's org, plus "row" (SIVO's id), "bo", "agent"


async def _world(
    make_client: AppFactory, sf: RunningDevorg, name: str = "Acme", **kw: Any
) -> World:
    """An org connected to a tenant, its user Bo imported and made an agent."""
    suffix = "" if name == "Acme" else f".{name.lower()}"
    clock = kw.pop("clock", None) or FakeClock(start=time.time())
    org = await sf.create_org(name)
    await sf.create_call_center(org["orgId"], f"SIVO_{name}")
    await sf.create_user(org["orgId"], ADMIN + suffix, last_name="Admin", password=PW)
    await sf.create_user(org["orgId"], AGENT + suffix, last_name="Bo", password=PW)
    sivo = await sivo_admin(make_client, sf, clock=clock, **kw)
    assert (await connect(sivo, sf, ADMIN + suffix)).status == 303
    listed = await sivo.client.get("/api/v1/salesforce/orgs", headers=sivo.api)
    row = next(o for o in (await listed.json())["data"] if o["org_id"] == org["orgId"])
    base = f"/api/v1/salesforce/orgs/{row['id']}/users"
    users = (await (await sivo.client.post(f"{base}/import", headers=sivo.api)).json())["users"]
    bo = next(u for u in users if u["email"] == AGENT + suffix)
    made = await sivo.client.post(
        f"{base}/agents", json={"user_ids": [bo["user_id"]]}, headers=sivo.api
    )
    assert made.status == 201
    agent = (await made.json())["created"][0]
    return World(sivo, clock, {**org, "row": row["id"], "bo": bo["user_id"], "agent": agent})


@pytest.fixture
async def world(make_client: AppFactory, sf: RunningDevorg) -> World:
    return await _world(make_client, sf)


@pytest.fixture
async def bo(world: World, sf: RunningDevorg) -> AsyncIterator[AgentBrowser]:
    """Bo's browser, logged in to Salesforce (SIVO not approved yet)."""
    async with agent_browser(sf, str(world.sivo.client.make_url(""))) as browser:
        await browser.log_in_to_salesforce(AGENT, PW)
        yield browser


async def _signed_in(bo: AgentBrowser, world: World) -> dict[str, Any]:
    popup = await bo.popup(world.org["row"])
    assert popup.status == 200, popup.page
    resp = await bo.redeem(popup.ticket)
    body: dict[str, Any] = await resp.json()
    assert resp.status == 200, body
    return body


async def _asked(sf: RunningDevorg) -> list[tuple[str, str]]:
    """What SIVO asked devorg (its control API aside)."""
    log = (await sf.control("GET", "requests"))["requests"]
    return [(r["method"], r["path"]) for r in log if not r["path"].startswith("/__devorg/")]


def _refresh_tokens(sf: RunningDevorg, user_id: str) -> list[str]:
    grants = sf.devorg.sessions.refresh_tokens
    return [k for k, v in grants.items() if v.user_id == user_id and v.client_id == "sivo-test"]


async def test_the_popup_signs_the_agent_in_asking_consent_once(
    world: World, bo: AgentBrowser, sf: RunningDevorg, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    first = await bo.popup(world.org["row"])
    assert first.consent_shown and first.status == 200, first.page
    # At the org's own instance, with PKCE (S256), the registered callback, no data scope.
    parts = urlsplit(first.authorize_url)
    assert f"{parts.scheme}://{parts.netloc}" == sf.base_url
    assert parts.path == "/services/oauth2/authorize"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["redirect_uri"] == "http://127.0.0.1:8080/salesforce?autoConnect=1"
    assert query["code_challenge_method"] == "S256" and query["scope"] == "openid refresh_token"
    # The last page: a ticket for the opener, by an external script under a strict policy.
    assert first.data["error"] == "" and len(first.ticket) >= 43  # 256 bits
    assert '<script type="module" src="/softphone/signin-done.js">' in first.page
    assert first.page.count("<script") == 1

    resp = await bo.redeem(first.ticket)
    body = await resp.json()
    assert resp.status == 200, body
    assert (
        set(body) == {"token", "expires_at", "agent"} and body["agent"]["id"] == world.org["agent"]
    )
    assert resp.headers["Cache-Control"] == "no-store"
    claims = await world.sivo.client.app[SERVICES].tokens.verify(body["token"])
    assert claims.agent_id == world.org["agent"] and claims.tenant_id == world.sivo.tenant.id
    [cookie] = bo.set_cookies
    attributes = [a.strip() for a in cookie.split(";")]
    assert attributes[0] == f"sivo_softphone={bo.cookie}" and len(bo.cookie) >= 43
    assert {"Path=/softphone/", "Secure", "HttpOnly", "SameSite=None", "Partitioned"} <= set(
        attributes
    )
    assert "Max-Age=43200" in attributes

    again = await bo.popup(world.org["row"])  # approved once: Salesforce answers at once
    assert not again.consent_shown and again.status == 200 and again.ticket != first.ticket
    assert (await bo.redeem(again.ticket)).status == 200

    # Nothing secret at rest or in a log line.
    [refresh, _] = _refresh_tokens(sf, world.org["bo"])
    async with world.sivo.client.app[SERVICES].db.read() as conn:
        rows = (await conn.execute(select(softphone_sessions))).mappings().all()
    stored = repr([dict(r) for r in rows])
    assert token_digest(bo.cookie) in stored
    secrets = [first.ticket, again.ticket, bo.cookie, *_refresh_tokens(sf, world.org["bo"])]
    for secret in secrets:
        assert secret not in stored and secret not in caplog.text
    assert refresh not in repr((await sf.control("GET", "requests"))["requests"])


async def test_a_ticket_is_good_once_and_for_a_minute(world: World, bo: AgentBrowser) -> None:
    popup = await bo.popup(world.org["row"])
    assert (await bo.redeem(popup.ticket)).status == 200
    replay = await bo.redeem(popup.ticket)
    assert replay.status == 401 and (await replay.json())["error"]["code"] == "invalid_ticket"

    late = await bo.popup(world.org["row"])
    world.clock.advance(61)
    resp = await bo.redeem(late.ticket)
    assert resp.status == 401 and (await resp.json())["error"]["code"] == "invalid_ticket"
    assert "Max-Age=0" in bo.set_cookies[0]  # a 401 clears the cookie
    world.clock.advance(-61)
    assert (await bo.redeem(late.ticket)).status == 401  # tried once: spent


async def test_the_session_gives_fresh_tokens_and_asks_salesforce_every_few_minutes(
    world: World, bo: AgentBrowser, sf: RunningDevorg
) -> None:
    await _signed_in(bo, world)
    await sf.control("DELETE", "requests")
    world.clock.advance(30)
    resp = await bo.call("POST", "/softphone/session/token")
    body = await resp.json()
    assert resp.status == 200 and body["agent"]["id"] == world.org["agent"]
    assert await _asked(sf) == []  # checked a moment ago

    world.clock.advance(REVALIDATE_S)
    assert (await bo.call("POST", "/softphone/session/token")).status == 200
    assert await _asked(sf) == [
        ("POST", "/services/oauth2/token"),  # the user's refresh token, at the org's instance
        ("GET", "/services/oauth2/userinfo"),
    ]


async def test_a_revoked_grant_ends_the_session_and_clears_the_cookie(
    world: World, bo: AgentBrowser, sf: RunningDevorg
) -> None:
    await _signed_in(bo, world)
    [refresh] = _refresh_tokens(sf, world.org["bo"])
    assert sf.devorg.sessions.revoke(refresh)  # the user's or an admin's doing, in Salesforce
    world.clock.advance(REVALIDATE_S)
    resp = await bo.call("POST", "/softphone/session/token")
    error = (await resp.json())["error"]
    assert resp.status == 401 and error["code"] == "salesforce_session_ended"
    assert "Sign in with Salesforce again" in error["message"]
    [cleared] = bo.set_cookies
    assert cleared.startswith("sivo_softphone=;") and "Max-Age=0" in cleared
    assert "Partitioned" in cleared and "Path=/softphone/" in cleared  # the same cookie
    # The cookie is gone: nothing to resume, which is not an error (a first console load).
    resp = await bo.call("POST", "/softphone/session/token")
    assert resp.status == 204 and "Set-Cookie" not in resp.headers


async def test_salesforce_unreachable_keeps_the_session_within_a_short_timeout(
    world: World, bo: AgentBrowser, sf: RunningDevorg, caplog: pytest.LogCaptureFixture
) -> None:
    await _signed_in(bo, world)
    world.clock.advance(REVALIDATE_S)
    fault = {"status": 503, "count": 1, "host": "org", "pathPrefix": "/services/oauth2/token"}
    await sf.control("POST", "faults", fault)
    assert (await bo.call("POST", "/softphone/session/token")).status == 200
    assert "salesforce check failed" in caplog.text

    slow = {"count": 1, "delayMs": 6_000, "host": "org", "pathPrefix": "/services/oauth2/token"}
    await sf.control("POST", "faults", slow)
    started = time.monotonic()
    assert (await bo.call("POST", "/softphone/session/token")).status == 200
    assert time.monotonic() - started < CHECK_TIMEOUT_S + 2

    [refresh] = _refresh_tokens(sf, world.org["bo"])
    sf.devorg.sessions.revoke(refresh)  # reachable again: the next request checks, and ends it
    assert (await bo.call("POST", "/softphone/session/token")).status == 401


async def test_a_user_of_another_org_is_refused_with_this_orgs_id(
    make_client: AppFactory, sf: RunningDevorg, world: World
) -> None:
    """Org A in tenant 1, org B in tenant 2: B's agent starting from A's id gets nothing."""
    beta = await _world(
        make_client, sf, "Beta", client=world.sivo.client, clock=world.clock, email="e@beta.test"
    )
    async with agent_browser(sf, str(world.sivo.client.make_url(""))) as browser:
        await browser.log_in_to_salesforce(AGENT + ".beta", PW)
        refused = await browser.popup(world.org["row"])
        assert refused.status == 401 and refused.data["error"] == "invalid_salesforce_token"
        assert "another org" in refused.data["message"]
        ok = await browser.popup(beta.org["row"])
        assert ok.status == 200
        body = await (await browser.redeem(ok.ticket)).json()
        assert body["agent"]["id"] == beta.org["agent"] != world.org["agent"]
    async with world.sivo.client.app[SERVICES].db.read() as conn:
        tenants = (await conn.execute(select(softphone_sessions.c.tenant_id))).scalars().all()
    assert tenants == [beta.sivo.tenant.id]  # the refused sign-in left no session


async def test_refusals_end_on_a_page_the_agent_can_read(
    world: World, bo: AgentBrowser, sf: RunningDevorg
) -> None:
    unknown = await bo.popup("sfo_nosuchorg")
    assert unknown.status == 404 and unknown.data["error"] == "unknown_org"
    assert "Ask your SIVO administrator to connect the org." in unknown.data["message"]

    denied = await bo.popup(world.org["row"], allow=False)
    assert denied.status == 400 and denied.data["error"] == "access_denied"
    assert "You did not allow SIVO" in denied.page

    ada: Any = sf.devorg.store.orgs[world.org["orgId"]].first("User", Username=ADMIN)
    kept = _refresh_tokens(sf, ada["Id"])  # the org's own connection
    async with agent_browser(sf, str(world.sivo.client.make_url(""))) as admin:
        await admin.log_in_to_salesforce(ADMIN, PW)  # imported, but no agent of it
        page = await admin.popup(world.org["row"])
        assert page.status == 403 and page.data["error"] == "no_agent"
        assert "not a SIVO agent of this org" in page.data["message"]
    assert _refresh_tokens(sf, ada["Id"]) == kept  # the grant SIVO will not use is revoked


async def test_the_session_routes_take_same_origin_json_only(
    world: World, bo: AgentBrowser
) -> None:
    popup = await bo.popup(world.org["row"])
    for headers, status in (
        ({"Origin": "https://evil.example"}, 403),
        ({"Origin": "null"}, 403),
        ({"Content-Type": "text/plain"}, 415),
        ({"Content-Type": "application/x-www-form-urlencoded"}, 415),
    ):
        resp = await bo.call("POST", "/softphone/session", {"ticket": popup.ticket}, **headers)
        error = (await resp.json())["error"]
        assert resp.status == status and error["code"] in ("csrf_failed", "unsupported_media_type")
        assert resp.headers["Cache-Control"] == "no-store" and not bo.set_cookies
    resp = await bo.sivo.post("/softphone/session", json={"ticket": popup.ticket})  # no Origin
    assert resp.status == 403
    bad = await bo.call("POST", "/softphone/session", {"ticket": "a b"})
    assert bad.status == 422 and (await bad.json())["error"]["field"] == "ticket"
    assert (await bo.redeem(popup.ticket)).status == 200  # none of that spent the ticket
    for method, path in (("POST", "/softphone/session/token"), ("DELETE", "/softphone/session")):
        resp = await bo.call(method, path, Origin="https://evil.example")
        assert resp.status == 403
    assert (await bo.call("POST", "/softphone/session/token")).status == 200


async def test_signing_out_ends_the_session_and_revokes_the_grant(
    world: World, bo: AgentBrowser, sf: RunningDevorg
) -> None:
    await _signed_in(bo, world)
    assert len(_refresh_tokens(sf, world.org["bo"])) == 1
    cookie = bo.cookie
    resp = await bo.call("DELETE", "/softphone/session")
    assert resp.status == 204 and "Max-Age=0" in bo.set_cookies[0]
    assert _refresh_tokens(sf, world.org["bo"]) == []
    bo.cookie = cookie  # a copy kept somewhere is worth nothing now
    resp = await bo.call("POST", "/softphone/session/token")
    assert resp.status == 401 and (await resp.json())["error"]["code"] == "no_session"


async def test_an_agent_removed_ends_the_session_at_once(world: World, bo: AgentBrowser) -> None:
    await _signed_in(bo, world)
    api, sivo = world.sivo.api, world.sivo.client
    assert (await sivo.delete(f"/api/v1/agents/{world.org['agent']}", headers=api)).status == 204
    resp = await bo.call("POST", "/softphone/session/token")  # no Salesforce check due yet
    error = (await resp.json())["error"]
    assert resp.status == 401 and error["code"] == "salesforce_session_ended"
    assert "no longer a SIVO agent" in error["message"]


async def test_an_org_disconnected_ends_the_session_at_once(world: World, bo: AgentBrowser) -> None:
    await _signed_in(bo, world)
    api, sivo = world.sivo.api, world.sivo.client
    gone = await sivo.delete(f"/api/v1/salesforce/orgs/{world.org['row']}", headers=api)
    assert gone.status == 204
    resp = await bo.call("POST", "/softphone/session/token")
    error = (await resp.json())["error"]
    assert resp.status == 401 and error["code"] == "salesforce_session_ended"
    assert "no longer connected" in error["message"]


async def test_the_session_ends_at_its_absolute_expiry(world: World, bo: AgentBrowser) -> None:
    await _signed_in(bo, world)
    world.clock.advance(12 * 3600 - 60)
    resp = await bo.call("POST", "/softphone/session/token")
    body = await resp.json()
    claims = await world.sivo.client.app[SERVICES].tokens.verify(body["token"])
    assert claims.expires_at <= world.clock.now() + 60  # never beyond the session
    world.clock.advance(60)
    resp = await bo.call("POST", "/softphone/session/token")
    assert resp.status == 401 and (await resp.json())["error"]["code"] == "no_session"


async def test_a_console_of_another_salesforce_user_ends_the_session(
    world: World, bo: AgentBrowser
) -> None:
    """A shared computer: the console names who is signed in; the session is the user's only."""
    await _signed_in(bo, world)
    bo_id = world.org["bo"]
    for same in (bo_id, bo_id[:15]):  # the 15-character form is the same user
        resp = await bo.call("POST", "/softphone/session/token", {"console_user_id": same})
        assert resp.status == 200, await resp.text()
    for bad in ("not-an-id", "003000000000001AAA", 42):  # not a User id: refused, nothing ends
        resp = await bo.call("POST", "/softphone/session/token", {"console_user_id": bad})
        assert resp.status == 422, bad
    assert (await bo.call("POST", "/softphone/session/token")).status == 200

    someone = "005" + "9" * 12 + "AAA"
    cookie = bo.cookie
    resp = await bo.call("POST", "/softphone/session/token", {"console_user_id": someone})
    error = (await resp.json())["error"]
    assert resp.status == 401 and error["code"] == "salesforce_session_ended"
    assert "Another Salesforce user" in error["message"]
    bo.cookie = cookie  # a copy of the cookie is worth nothing now, even for Bo's console
    resp = await bo.call("POST", "/softphone/session/token", {"console_user_id": bo_id})
    assert resp.status == 401 and (await resp.json())["error"]["code"] == "no_session"
