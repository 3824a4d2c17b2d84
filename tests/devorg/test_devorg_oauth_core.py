"""PKCE and session rules of devorg.oauth, without HTTP."""

from __future__ import annotations

import pytest

from devorg.oauth import AuthCode, OAuthError, SessionStore, pkce_challenge, pkce_matches

VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"


def test_pkce_challenge_is_rfc7636_appendix_b_value() -> None:
    assert pkce_challenge(VERIFIER) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    assert pkce_matches(VERIFIER, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    assert not pkce_matches(VERIFIER + "x", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    assert not pkce_matches("short", pkce_challenge("short"))


def grant(challenge: str | None, scope: str = "api refresh_token") -> AuthCode:
    return AuthCode(
        org_id="00D5g0000000001EAA",
        user_id="0055g0000000002AAA",
        client_id="c",
        redirect_uri="http://127.0.0.1/cb",
        code_challenge=challenge,
        scope=scope,
        expires_at=100.0,
        login_host="production",
    )


def redeem(store: SessionStore, code: str, verifier: str | None, now: float = 0.0) -> str:
    value, _ = store.redeem_code(
        code=code,
        client_id="c",
        redirect_uri="http://127.0.0.1/cb",
        code_verifier=verifier,
        login_host="production",
        now=now,
        session_seconds=60,
    )
    return value


@pytest.mark.parametrize("verifier", [None, "x" * 43])
def test_wrong_or_missing_verifier_is_invalid_grant(verifier: str | None) -> None:
    store = SessionStore()
    code = store.issue_code(grant(pkce_challenge(VERIFIER)))
    with pytest.raises(OAuthError) as raised:
        redeem(store, code, verifier)
    assert raised.value.error == "invalid_grant"


def test_code_is_single_use_and_expires() -> None:
    store = SessionStore()
    code = store.issue_code(grant(pkce_challenge(VERIFIER)))
    token = redeem(store, code, VERIFIER)
    assert token.startswith("00D5g0000000001!")
    with pytest.raises(OAuthError):
        redeem(store, code, VERIFIER)
    late = store.issue_code(grant(pkce_challenge(VERIFIER)))
    with pytest.raises(OAuthError, match="expired"):
        redeem(store, late, VERIFIER, now=100.0)


def test_access_token_expires_and_refresh_revocation_cascades() -> None:
    store = SessionStore()
    value, token = store.redeem_code(
        code=store.issue_code(grant(None)),
        client_id="c",
        redirect_uri="http://127.0.0.1/cb",
        code_verifier=None,
        login_host="production",
        now=0.0,
        session_seconds=60,
    )
    assert store.authenticate(value, 59.0) is not None
    assert store.authenticate(value, 60.0) is None
    assert token.refresh_token is not None
    fresh, _ = store.refresh(
        refresh_token=token.refresh_token, client_id="c", now=100.0, session_seconds=60
    )
    assert store.revoke(token.refresh_token)
    assert store.authenticate(fresh, 101.0) is None


def test_no_refresh_token_without_refresh_scope() -> None:
    store = SessionStore()
    _, token = store.redeem_code(
        code=store.issue_code(grant(None, scope="api")),
        client_id="c",
        redirect_uri="http://127.0.0.1/cb",
        code_verifier=None,
        login_host="production",
        now=0.0,
        session_seconds=60,
    )
    assert token.refresh_token is None
