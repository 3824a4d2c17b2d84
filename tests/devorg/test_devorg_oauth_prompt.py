"""/authorize with a browser session: prompt=none/login/consent, immediate=true, PKCE lengths."""

from __future__ import annotations

import base64
import secrets
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from yarl import URL

from devorg.oauth import pkce_challenge
from devorg.testing import ReadyOrg, RunningDevorg

REDIRECT = "http://127.0.0.1/callback"


@pytest.fixture
async def browser() -> AsyncIterator[aiohttp.ClientSession]:
    """A client with a cookie jar that keeps cookies of IP hosts, as a browser does."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


def request_params(client_id: str = "sivo", **extra: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": REDIRECT,
        "state": "st",
        **extra,
    }


async def authorize(
    session: aiohttp.ClientSession, login_url: str, **params: str
) -> tuple[int, URL | str]:
    """GET /authorize: (302, redirect URL) or (status, page text)."""
    async with session.get(
        f"{login_url}/services/oauth2/authorize", params=params, allow_redirects=False
    ) as response:
        if response.status == 302:
            return 302, URL(response.headers["Location"])
        return response.status, await response.text()


async def post_form(
    session: aiohttp.ClientSession, login_url: str, form: dict[str, str]
) -> aiohttp.ClientResponse:
    async with session.post(
        f"{login_url}/services/oauth2/authorize", data=form, allow_redirects=False
    ) as response:
        await response.read()
        return response


async def log_in(session: aiohttp.ClientSession, sf: RunningDevorg, username: str) -> URL:
    response = await post_form(
        session,
        sf.login_url,
        {**request_params(), "username": username, "password": "devorg", "action": "allow"},
    )
    assert response.status == 302
    cookie = response.cookies["sid"]
    assert cookie["httponly"] and cookie["path"] == "/services/oauth2/"
    return URL(response.headers["Location"])


async def test_prompt_none_without_session_is_login_required(
    sf: RunningDevorg, acme: ReadyOrg, browser: aiohttp.ClientSession
) -> None:
    status, where = await authorize(browser, sf.login_url, **request_params(prompt="none"))
    assert status == 302 and isinstance(where, URL)
    assert str(where.with_query(None)) == REDIRECT
    assert where.query["error"] == "login_required" and where.query["state"] == "st"
    status, where = await authorize(browser, sf.login_url, **request_params(immediate="true"))
    assert isinstance(where, URL) and where.query["error"] == "immediate_unsuccessful"
    status, page = await authorize(browser, sf.login_url, **request_params())
    assert status == 200 and "Password" in str(page)


async def test_session_skips_login_then_consent(
    sf: RunningDevorg, acme: ReadyOrg, browser: aiohttp.ClientSession
) -> None:
    first = await log_in(browser, sf, acme.username)
    assert "code" in first.query
    # Same app, live session: no page at all, with or without prompt=none.
    for extra in ({"prompt": "none"}, {}, {"immediate": "true"}):
        status, where = await authorize(browser, sf.login_url, **request_params(**extra))
        assert status == 302 and isinstance(where, URL) and "code" in where.query, extra
    # Another app: logged in but not approved.
    status, where = await authorize(browser, sf.login_url, **request_params("other", prompt="none"))
    assert isinstance(where, URL) and where.query["error"] == "consent_required"
    assert where.query["state"] == "st"
    status, where = await authorize(
        browser, sf.login_url, **request_params("other", immediate="true")
    )
    assert isinstance(where, URL) and where.query["error"] == "immediate_unsuccessful"
    status, page = await authorize(browser, sf.login_url, **request_params("other"))
    assert status == 200 and "Allow Access?" in str(page) and acme.username in str(page)
    response = await post_form(
        browser, sf.login_url, {**request_params("other"), "action": "allow"}
    )
    assert response.status == 302 and "code" in URL(response.headers["Location"]).query
    status, where = await authorize(browser, sf.login_url, **request_params("other", prompt="none"))
    assert isinstance(where, URL) and "code" in where.query
    # prompt=consent and prompt=login show their pages even so.
    status, page = await authorize(browser, sf.login_url, **request_params(prompt="consent"))
    assert status == 200 and "Allow Access?" in str(page)
    status, page = await authorize(browser, sf.login_url, **request_params(prompt="login"))
    assert status == 200 and "Password" in str(page)
    status, where = await authorize(browser, sf.login_url, **request_params(prompt="none login"))
    assert isinstance(where, URL) and where.query["error"] == "invalid_request"
    # The code from a session redeems like any other.
    tokens = await redeem(sf, where_code(first))
    assert "access_token" in tokens


def where_code(url: URL) -> str:
    return url.query["code"]


async def redeem(sf: RunningDevorg, code: str, verifier: str | None = None) -> dict[str, Any]:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": "sivo",
        "redirect_uri": REDIRECT,
    }
    if verifier is not None:
        form["code_verifier"] = verifier
    async with sf.session.post(f"{sf.login_url}/services/oauth2/token", data=form) as response:
        result: dict[str, Any] = await response.json()
        return result


async def test_session_is_per_login_host_and_expires(
    sf: RunningDevorg, acme: ReadyOrg, browser: aiohttp.ClientSession
) -> None:
    await log_in(browser, sf, acme.username)
    status, where = await authorize(browser, sf.sandbox_login_url, **request_params(prompt="none"))
    assert isinstance(where, URL) and where.query["error"] == "login_required"
    await sf.control("POST", "clock", {"advanceSeconds": 7201})
    status, where = await authorize(browser, sf.login_url, **request_params(prompt="none"))
    assert isinstance(where, URL) and where.query["error"] == "login_required"
    async with browser.post(
        f"{sf.login_url}/services/oauth2/authorize",
        data={**request_params(), "action": "allow"},
        allow_redirects=False,
    ) as response:  # the approval form without a session asks to log in again
        assert response.status == 400 and "Please log in" in await response.text()


def b64url_random(size: int) -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(size)).rstrip(b"=").decode()


@pytest.mark.parametrize(
    ("verifier", "accepted"),
    [
        (b64url_random(128), True),  # 171 characters: what jsforce and the Salesforce CLI send
        (b64url_random(96), True),  # 128, RFC 7636's maximum
        ("a" * 43, True),  # RFC 7636's minimum
        ("a" * 42, False),
        ("a" * 172, False),
        ("a" * 42 + "~._-", True),
        ("a" * 50 + "+/", False),  # not unreserved characters
        ("a" * 50 + "=", False),
    ],
)
async def test_code_verifier_lengths_and_characters(
    sf: RunningDevorg, acme: ReadyOrg, verifier: str, accepted: bool
) -> None:
    await sf.control("PUT", "auto-approve", {"username": acme.username})
    status, where = await authorize(
        sf.session,
        sf.login_url,
        **request_params(code_challenge=pkce_challenge(verifier), code_challenge_method="S256"),
    )
    assert isinstance(where, URL)
    tokens = await redeem(sf, where.query["code"], verifier)
    if accepted:
        assert "access_token" in tokens, (len(verifier), tokens)
    else:
        assert tokens == {"error": "invalid_grant", "error_description": "invalid code verifier"}
