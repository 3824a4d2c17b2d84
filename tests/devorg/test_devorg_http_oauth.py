"""OAuth web-server flow with PKCE, identity, expiry and sandbox login hosts over HTTP."""

from __future__ import annotations

import secrets

from yarl import URL

from devorg.oauth import pkce_challenge
from devorg.testing import ReadyOrg, RunningDevorg, ScrtKeyPair

REDIRECT = "http://127.0.0.1/callback"


async def authorize(sf: RunningDevorg, login_url: str, verifier: str, **extra: str) -> URL:
    params = {
        "response_type": "code",
        "client_id": "sivo",
        "redirect_uri": REDIRECT,
        "code_challenge": pkce_challenge(verifier),
        "code_challenge_method": "S256",
        "state": "xyz",
        **extra,
    }
    async with sf.session.get(
        f"{login_url}/services/oauth2/authorize", params=params, allow_redirects=False
    ) as response:
        assert response.status == 302, await response.text()
        return URL(response.headers["Location"])


async def test_token_response_has_documented_fields(acme: ReadyOrg, sf: RunningDevorg) -> None:
    tokens = acme.tokens
    assert set(tokens) == {
        "access_token",
        "refresh_token",
        "signature",
        "scope",
        "instance_url",
        "id",
        "token_type",
        "issued_at",
    }
    assert tokens["token_type"] == "Bearer"
    assert tokens["instance_url"] == sf.base_url
    assert tokens["id"] == f"{sf.login_url}/id/{acme.org_id}/{acme.user_id}"
    assert tokens["issued_at"].isdigit() and len(tokens["issued_at"]) == 13


async def test_login_page_then_form_post_issues_code(sf: RunningDevorg, acme: ReadyOrg) -> None:
    verifier = secrets.token_urlsafe(48)
    params = {
        "response_type": "code",
        "client_id": "sivo",
        "redirect_uri": REDIRECT,
        "code_challenge": pkce_challenge(verifier),
        "state": "s1",
    }
    url = f"{sf.login_url}/services/oauth2/authorize"
    async with sf.session.get(url, params=params) as page:
        assert page.status == 200
        assert 'name="password"' in await page.text()
    form = {"username": acme.username, "password": "wrong", "action": "allow"}
    async with sf.session.post(url, params=params, data=form, allow_redirects=False) as bad:
        assert bad.status == 400
        assert "check your username and password" in await bad.text()
    form["password"] = "devorg"
    async with sf.session.post(url, params=params, data=form, allow_redirects=False) as ok:
        assert ok.status == 302
        location = URL(ok.headers["Location"])
    assert location.query["state"] == "s1" and location.query["code"]


async def test_deny_redirects_with_access_denied(sf: RunningDevorg, acme: ReadyOrg) -> None:
    params = {"response_type": "code", "client_id": "sivo", "redirect_uri": REDIRECT}
    form = {"username": acme.username, "password": "devorg", "action": "deny"}
    async with sf.session.post(
        f"{sf.login_url}/services/oauth2/authorize", params=params, data=form, allow_redirects=False
    ) as response:
        assert URL(response.headers["Location"]).query["error"] == "access_denied"


async def test_pkce_mismatch_gives_invalid_grant(sf: RunningDevorg, acme: ReadyOrg) -> None:
    await sf.control("PUT", "auto-approve", {"username": acme.username})
    location = await authorize(sf, sf.login_url, secrets.token_urlsafe(48))
    async with sf.session.post(
        f"{sf.login_url}/services/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": location.query["code"],
            "client_id": "sivo",
            "redirect_uri": REDIRECT,
            "code_verifier": secrets.token_urlsafe(48),
        },
    ) as response:
        assert response.status == 400
        body = await response.json()
    assert body["error"] == "invalid_grant"


async def test_unsupported_grant_type(sf: RunningDevorg) -> None:
    async with sf.session.post(
        f"{sf.login_url}/services/oauth2/token", data={"grant_type": "password"}
    ) as response:
        assert response.status == 400
        assert (await response.json())["error"] == "unsupported_grant_type"


async def test_expired_token_is_refused_then_refresh_works(
    sf: RunningDevorg, acme: ReadyOrg
) -> None:
    query = f"{sf.base_url}/services/data/v68.0/query"
    params = {"q": "SELECT Id FROM Organization"}
    async with sf.session.get(query, params=params, headers=acme.auth) as response:
        assert response.status == 200
    await sf.control("POST", "clock", {"advanceSeconds": 7201})
    async with sf.session.get(query, params=params, headers=acme.auth) as response:
        assert response.status == 401
        assert (await response.json())[0]["errorCode"] == "INVALID_SESSION_ID"
    async with sf.session.post(
        f"{sf.login_url}/services/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": acme.tokens["refresh_token"],
            "client_id": "sivo-test",
        },
    ) as response:
        refreshed = await response.json()
    assert "refresh_token" not in refreshed
    headers = {"Authorization": f"Bearer {refreshed['access_token']}"}
    async with sf.session.get(query, params=params, headers=headers) as response:
        assert response.status == 200


async def test_revoke_refresh_token_revokes_its_access_tokens(
    sf: RunningDevorg, acme: ReadyOrg
) -> None:
    revoke = f"{sf.login_url}/services/oauth2/revoke"
    async with sf.session.post(revoke, data={"token": acme.tokens["refresh_token"]}) as response:
        assert response.status == 200
    async with sf.session.get(
        f"{sf.login_url}/services/oauth2/userinfo", headers=acme.auth
    ) as response:
        assert response.status == 403
    async with sf.session.post(revoke, data={"token": "nope"}) as response:
        assert (await response.json())["error"] == "invalid_token"


async def test_userinfo_and_identity_url(sf: RunningDevorg, acme: ReadyOrg) -> None:
    async with sf.session.get(
        f"{sf.login_url}/services/oauth2/userinfo", headers=acme.auth
    ) as response:
        info = await response.json()
    assert info["user_id"] == acme.user_id and info["organization_id"] == acme.org_id
    assert info["preferred_username"] == acme.username
    assert info["sub"] == acme.tokens["id"]
    async with sf.session.get(acme.tokens["id"], headers=acme.auth) as response:
        identity = await response.json()
    assert identity["username"] == acme.username and identity["display_name"] == "Ada Agent"
    async with sf.session.get(acme.tokens["id"]) as response:
        assert response.status == 403


async def test_sandbox_org_logs_in_only_through_sandbox_host(
    sf: RunningDevorg, scrt_keys: ScrtKeyPair
) -> None:
    uat = await sf.setup_org(
        "Acme UAT", "ada@acme.test.uat", certificate=scrt_keys.certificate_pem, is_sandbox=True
    )
    assert uat.tokens["id"].startswith(f"{sf.sandbox_login_url}/id/")
    await sf.control("PUT", "auto-approve", {"username": uat.username})
    async with sf.session.get(
        f"{sf.login_url}/services/oauth2/authorize",
        params={
            "response_type": "code",
            "client_id": "c",
            "redirect_uri": REDIRECT,
        },
        allow_redirects=False,
    ) as response:
        assert response.status == 400
        assert "sandbox login host" in await response.text()
    async with sf.session.get(
        f"{sf.base_url}/services/data/v68.0/query",
        params={"q": "SELECT IsSandbox FROM Organization"},
        headers=uat.auth,
    ) as response:
        assert (await response.json())["records"][0]["IsSandbox"] is True


async def test_code_from_production_host_cannot_be_redeemed_at_sandbox_host(
    sf: RunningDevorg, acme: ReadyOrg
) -> None:
    verifier = secrets.token_urlsafe(48)
    await sf.control("PUT", "auto-approve", {"username": acme.username})
    location = await authorize(sf, sf.login_url, verifier)
    async with sf.session.post(
        f"{sf.sandbox_login_url}/services/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": location.query["code"],
            "client_id": "sivo",
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
        },
    ) as response:
        assert (await response.json())["error"] == "invalid_grant"


async def test_token_without_api_scope_cannot_use_rest(sf: RunningDevorg, acme: ReadyOrg) -> None:
    tokens = await sf.login(acme.username, scope="id")
    async with sf.session.get(
        f"{sf.base_url}/services/data/v68.0/query",
        params={"q": "SELECT Id FROM User"},
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    ) as response:
        assert response.status == 401
