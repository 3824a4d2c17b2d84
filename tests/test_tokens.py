"""Agent tokens: RS256 with a pinned algorithm, keys sealed at rest, JWKS, rotation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jwt
import pytest
from aiohttp.test_utils import TestClient
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select

from server.api.context import SERVICES
from server.clock import FakeClock
from server.crypto import SecretBox
from server.failures import Invalid
from server.store.tables import signing_keys
from server.tokens import (
    KEY_GRACE_S,
    LEEWAY_S,
    MAX_TTL_S,
    InvalidToken,
    TokenService,
    build_claims,
    key_context,
    key_verifies,
    validate_claims,
)
from tests.conftest import AppFactory

ISSUER = "http://127.0.0.1:8080"  # make_settings' public_url
AUDIENCE = "sivo-agent"
REPO = Path(__file__).resolve().parent.parent


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _forge(header: dict[str, Any], payload: dict[str, Any], sign: Callable[[bytes], bytes]) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
    return f"{signing_input}.{_b64(sign(signing_input.encode()))}"


def _tokens(client: TestClient[Any, Any]) -> TokenService:
    return client.app[SERVICES].tokens


async def _rows(client: TestClient[Any, Any]) -> list[dict[str, Any]]:
    async with client.app[SERVICES].db.read() as conn:
        result = await conn.execute(select(signing_keys).order_by(signing_keys.c.created_at))
        return [dict(r) for r in result.mappings().all()]


async def _private_key(client: TestClient[Any, Any], kid: str) -> rsa.RSAPrivateKey:
    """The real signing key, read the way an attacker with the database and master key could."""
    (row,) = [r for r in await _rows(client) if r["kid"] == kid]
    box = SecretBox(client.app[SERVICES].settings.secret_key)
    pem = box.decrypt(row["private_key_enc"], key_context(kid))
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def _claims(now: float, **changes: Any) -> dict[str, Any]:
    claims = build_claims(
        issuer=ISSUER,
        audience=AUDIENCE,
        agent_id="ag_1",
        tenant_id="tn_1",
        now=now,
        ttl_s=600,
        jti="j1",
    )
    claims.update(changes)
    return claims


async def _refused(tokens: TokenService, token: str) -> str:
    with pytest.raises(InvalidToken) as info:
        await tokens.verify(token)
    return info.value.reason


# -- through the app, on SQLite and PostgreSQL ---------------------------------------------------


async def test_mint_verify_round_trip(make_client: AppFactory) -> None:
    """A minted token verifies to its agent and tenant; the header names the key."""
    clock = FakeClock()
    client = await make_client(clock=clock)
    tokens = _tokens(client)
    assert (await tokens.jwks())["keys"] == []  # no key until the first mint

    minted = await tokens.mint(agent_id="ag_1", tenant_id="tn_1", ttl_s=900)
    assert minted.token not in repr(minted)
    header = jwt.get_unverified_header(minted.token)
    assert header["alg"] == "RS256" and header["kid"] == minted.kid
    payload = jwt.decode(minted.token, options={"verify_signature": False})
    assert payload["iss"] == ISSUER and payload["aud"] == AUDIENCE
    assert payload["sub"] == "ag_1" and payload["tid"] == "tn_1"
    assert payload["exp"] - payload["iat"] == 900 and payload["nbf"] == payload["iat"]
    assert minted.expires_at == payload["exp"] == int(clock.now()) + 900

    claims = await tokens.verify(minted.token)
    assert (claims.agent_id, claims.tenant_id, claims.expires_at) == (
        "ag_1",
        "tn_1",
        minted.expires_at,
    )
    assert claims.jti == payload["jti"]
    other = await tokens.mint(agent_id="ag_1", tenant_id="tn_1")
    assert other.kid == minted.kid and (await tokens.verify(other.token)).jti != claims.jti
    assert len(await _rows(client)) == 1


async def test_jwks_lets_a_third_party_verify(make_client: AppFactory) -> None:
    """The served JWKS is public, cacheable, and verifies tokens with plain pyjwt."""
    client = await make_client()  # the real clock: pyjwt checks exp/iat against wall time
    minted = await _tokens(client).mint(agent_id="ag_7", tenant_id="tn_7")

    resp = await client.get("/.well-known/jwks.json")  # no credentials
    assert resp.status == 200
    assert resp.headers["Cache-Control"] == "public, max-age=300"
    body = await resp.json()
    (jwk,) = body["keys"]
    assert set(jwk) == {"kty", "n", "e", "kid", "alg", "use"}
    assert (jwk["kty"], jwk["kid"], jwk["alg"], jwk["use"]) == ("RSA", minted.kid, "RS256", "sig")

    key = jwt.PyJWKSet.from_dict(body)[minted.kid]
    payload = jwt.decode(
        minted.token,
        key,
        algorithms=["RS256"],
        audience=AUDIENCE,
        issuer=ISSUER,
        options={"require": ["exp", "iat", "sub", "tid"]},
    )
    assert payload["sub"] == "ag_7" and payload["tid"] == "tn_7"


async def test_expired_token_is_refused(make_client: AppFactory) -> None:
    """A token verifies until exp plus the leeway, and never after."""
    clock = FakeClock()
    client = await make_client(clock=clock)
    tokens = _tokens(client)
    minted = await tokens.mint(agent_id="ag_1", tenant_id="tn_1", ttl_s=60)
    clock.advance(60 + LEEWAY_S - 1)
    await tokens.verify(minted.token)
    clock.advance(1)
    assert await _refused(tokens, minted.token) == "expired"


async def test_lifetime_over_an_hour_is_refused(make_client: AppFactory) -> None:
    """Mint refuses ttl over 1 h; verify refuses a real-key token whose exp - iat > 1 h."""
    clock = FakeClock()
    client = await make_client(clock=clock)
    tokens = _tokens(client)
    for ttl in (MAX_TTL_S + 1, 0, -5):
        with pytest.raises(Invalid) as info:
            await tokens.mint(agent_id="ag_1", tenant_id="tn_1", ttl_s=ttl)
        assert info.value.code == "invalid" and info.value.field == "ttl_s"
    minted = await tokens.mint(agent_id="ag_1", tenant_id="tn_1", ttl_s=MAX_TTL_S)
    await tokens.verify(minted.token)

    key = await _private_key(client, minted.kid)
    now = int(clock.now())
    forged = jwt.encode(
        _claims(now, exp=now + MAX_TTL_S + 1), key, algorithm="RS256", headers={"kid": minted.kid}
    )
    assert await _refused(tokens, forged) == "lifetime exceeds 1 hour"


async def test_wrong_audience_or_issuer_is_refused(make_client: AppFactory) -> None:
    """Correctly signed tokens meant for someone else, or from someone else, are refused."""
    clock = FakeClock()
    client = await make_client(clock=clock)
    tokens = _tokens(client)
    kid = (await tokens.mint(agent_id="ag_1", tenant_id="tn_1")).kid
    key = await _private_key(client, kid)
    now = clock.now()

    def sign(**changes: Any) -> str:
        return jwt.encode(_claims(now, **changes), key, algorithm="RS256", headers={"kid": kid})

    await tokens.verify(sign())
    assert await _refused(tokens, sign(aud="salesforce")) == "wrong audience"
    assert await _refused(tokens, sign(iss="https://evil.example")) == "wrong issuer"
    assert await _refused(tokens, sign(tid=None)) == "missing claim tid"


async def test_algorithm_confusion_is_refused(make_client: AppFactory) -> None:
    """alg none, HS256 keyed with the public PEM, and RS512 by the real key all fail."""
    clock = FakeClock()
    client = await make_client(clock=clock)
    tokens = _tokens(client)
    kid = (await tokens.mint(agent_id="ag_1", tenant_id="tn_1")).kid
    key = await _private_key(client, kid)
    claims = _claims(clock.now())

    unsigned = _forge({"alg": "none", "typ": "JWT", "kid": kid}, claims, lambda _: b"")
    assert await _refused(tokens, unsigned) == "algorithm not allowed"

    # The public key as served: an HS256 verifier keyed with it would accept this token.
    (jwk,) = (await tokens.jwks())["keys"]
    public_pem = jwt.PyJWK(jwk).key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    hs256 = _forge(
        {"alg": "HS256", "typ": "JWT", "kid": kid},
        claims,
        lambda data: hmac.new(public_pem, data, hashlib.sha256).digest(),
    )
    assert await _refused(tokens, hs256) == "algorithm not allowed"

    rs512 = jwt.encode(claims, key, algorithm="RS512", headers={"kid": kid})
    assert await _refused(tokens, rs512) == "algorithm not allowed"
    # Lying about alg in the header while signing RS512 breaks the signature instead.
    lying = _forge(
        {"alg": "RS256", "typ": "JWT", "kid": kid},
        claims,
        lambda data: jwt.get_algorithm_by_name("RS512").sign(data, key),
    )
    assert await _refused(tokens, lying) == "bad signature"


async def test_foreign_key_tampering_and_garbage_are_refused(make_client: AppFactory) -> None:
    """A foreign key with our kid, an edited payload, and malformed strings all fail."""
    clock = FakeClock()
    client = await make_client(clock=clock)
    tokens = _tokens(client)
    minted = await tokens.mint(agent_id="ag_1", tenant_id="tn_1")

    foreign = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(
        _claims(clock.now()), foreign, algorithm="RS256", headers={"kid": minted.kid}
    )
    assert await _refused(tokens, forged) == "bad signature"
    unknown = jwt.encode(_claims(clock.now()), foreign, algorithm="RS256", headers={"kid": "sk_x"})
    assert await _refused(tokens, unknown) == "unknown kid"
    no_kid = jwt.encode(_claims(clock.now()), foreign, algorithm="RS256")
    assert await _refused(tokens, no_kid) == "missing kid"

    header, payload, signature = minted.token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "ag_admin"
    tampered = f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"
    assert await _refused(tokens, tampered) == "bad signature"

    for garbage in ("", "abc", "a.b.c", minted.token + "x", f"{header}.{payload}"):
        await _refused(tokens, garbage)


async def test_rotation_keeps_old_tokens_until_they_expire(make_client: AppFactory) -> None:
    """The new key signs; the old one verifies for 1 h + leeway, then leaves JWKS and the DB."""
    clock = FakeClock()
    client = await make_client(clock=clock)
    tokens = _tokens(client)
    old = await tokens.mint(agent_id="ag_1", tenant_id="tn_1")

    clock.advance(10)
    new_kid = await tokens.rotate()
    assert new_kid != old.kid
    new = await tokens.mint(agent_id="ag_1", tenant_id="tn_1")
    assert new.kid == new_kid
    assert (await tokens.verify(old.token)).agent_id == "ag_1"
    assert [k["kid"] for k in (await tokens.jwks())["keys"]] == [new_kid, old.kid]
    retired = {r["kid"]: r["retired_at"] for r in await _rows(client)}
    assert retired == {old.kid: clock.now(), new_kid: None}

    clock.advance(MAX_TTL_S + LEEWAY_S - 11)  # the old token is within its leeway
    await tokens.verify(old.token)
    clock.advance(1)
    assert await _refused(tokens, old.token) == "expired"
    assert len((await tokens.jwks())["keys"]) == 2  # its key's grace counts from retirement

    clock.advance(10)  # retired_at + 1 h + leeway: the old key can no longer verify anything
    assert [k["kid"] for k in (await tokens.jwks())["keys"]] == [new_kid]
    assert await _refused(tokens, old.token) == "unknown kid"
    assert await _refused(tokens, new.token) == "expired"

    newest = await tokens.rotate()  # prunes the key whose grace has ended
    assert {r["kid"] for r in await _rows(client)} == {new_kid, newest}


async def test_another_process_rotating_is_seen(make_client: AppFactory) -> None:
    """A second service on the same database rotates; the first verifies and signs with it."""
    clock = FakeClock()
    client = await make_client(clock=clock)
    ours = _tokens(client)
    svc = client.app[SERVICES]
    theirs = TokenService(
        db=svc.db, box=SecretBox(svc.settings.secret_key), clock=clock, issuer=ISSUER
    )
    first = await ours.mint(agent_id="ag_1", tenant_id="tn_1")
    await theirs.verify(first.token)

    kid = await theirs.rotate()
    minted_there = await theirs.mint(agent_id="ag_2", tenant_id="tn_1")
    assert (await ours.verify(minted_there.token)).agent_id == "ag_2"  # unknown kid: reload
    assert (await ours.mint(agent_id="ag_1", tenant_id="tn_1")).kid == kid


async def test_private_keys_are_sealed_at_rest(make_client: AppFactory) -> None:
    """Rows hold AES-GCM ciphertext bound to their kid, never a PEM private key."""
    client = await make_client(clock=FakeClock())
    tokens = _tokens(client)
    await tokens.mint(agent_id="ag_1", tenant_id="tn_1")
    await tokens.rotate()
    box = SecretBox(client.app[SERVICES].settings.secret_key)
    rows = await _rows(client)
    assert len(rows) == 2
    for row in rows:
        stored = json.dumps(row)
        assert "PRIVATE KEY" not in stored and "BEGIN RSA" not in stored
        assert "BEGIN PRIVATE KEY" in box.decrypt(row["private_key_enc"], key_context(row["kid"]))
        assert "d" not in json.loads(row["public_jwk"])
    with pytest.raises(InvalidTag):  # the context binds a ciphertext to its row
        box.decrypt(rows[0]["private_key_enc"], key_context(rows[1]["kid"]))


# -- the CLI ------------------------------------------------------------------------------------


def test_cli_keys_rotate(tmp_path: Path) -> None:
    """``sivo keys rotate`` prints the new kid; the previous key is retired, not deleted."""
    env = {
        **os.environ,
        "SIVO_DATA_DIR": str(tmp_path),
        "SIVO_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/sivo.db",
    }
    env.pop("SIVO_SECRET_KEY", None)
    env.pop("SIVO_CONFIG_FILE", None)

    def rotate() -> str:
        out = subprocess.run(
            [sys.executable, "-m", "server.cli", "keys", "rotate"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert "PRIVATE" not in out.stdout + out.stderr
        body: dict[str, str] = json.loads(out.stdout)
        assert list(body) == ["kid"] and body["kid"].startswith("sk_")
        return body["kid"]

    first, second = rotate(), rotate()
    assert first != second
    with sqlite3.connect(tmp_path / "sivo.db") as conn:
        rows = dict(conn.execute("SELECT kid, retired_at IS NOT NULL FROM signing_keys"))
    assert rows == {first: 1, second: 0}


# -- the pure core ------------------------------------------------------------------------------

NOW = 1_800_000_000.0


def _validate(claims: dict[str, Any], now: float = NOW) -> Any:
    return validate_claims(claims, issuer=ISSUER, audience=AUDIENCE, now=now)


def test_build_claims_caps_the_lifetime() -> None:
    """build_claims refuses a ttl outside 1-3600 s and writes whole-second times."""
    claims = _claims(NOW + 0.7)
    assert claims["iat"] == claims["nbf"] == int(NOW) and claims["exp"] == int(NOW) + 600
    for ttl in (0, MAX_TTL_S + 1):
        with pytest.raises(ValueError):
            build_claims(
                issuer=ISSUER,
                audience=AUDIENCE,
                agent_id="a",
                tenant_id="t",
                now=NOW,
                ttl_s=ttl,
                jti="j",
            )


@pytest.mark.parametrize("claim", ["iss", "aud", "sub", "tid", "iat", "exp", "jti"])
def test_every_claim_is_required(claim: str) -> None:
    """Dropping any required claim makes the token invalid."""
    claims = _claims(NOW)
    del claims[claim]
    with pytest.raises(InvalidToken, match=f"missing claim {claim}"):
        _validate(claims)


@pytest.mark.parametrize(
    ("changes", "now", "reason"),
    [
        ({"exp": True}, NOW, "claim exp must be a number"),
        ({"iat": "1800000000"}, NOW, "claim iat must be a number"),
        ({"exp": float("nan")}, NOW, "claim exp must be a number"),
        ({"sub": ""}, NOW, "claim sub must be a non-empty string"),
        ({"tid": 7}, NOW, "claim tid must be a non-empty string"),
        ({"aud": ["other"]}, NOW, "wrong audience"),
        ({"exp": NOW - 1}, NOW, "expires before it was issued"),
        ({}, NOW - LEEWAY_S - 1, "not yet valid"),
        ({"nbf": NOW + 60}, NOW, "not yet valid"),
        ({}, NOW + 600 + LEEWAY_S, "expired"),
    ],
)
def test_validate_claims_refuses(changes: dict[str, Any], now: float, reason: str) -> None:
    """Each malformed or out-of-time claim set is refused with its reason."""
    with pytest.raises(InvalidToken) as info:
        _validate({**_claims(NOW), **changes}, now)
    assert info.value.reason == reason


def test_validate_claims_accepts_within_leeway() -> None:
    """Clock skew up to the leeway is tolerated on both ends; an aud array is accepted."""
    claims = _claims(NOW, aud=["x", AUDIENCE])
    assert _validate(claims, NOW - LEEWAY_S).agent_id == "ag_1"
    assert _validate(claims, NOW + 600 + LEEWAY_S - 0.01).tenant_id == "tn_1"


def test_key_grace_period() -> None:
    """A retired key verifies for exactly the longest token lifetime plus leeway."""
    assert key_verifies(None, NOW)
    assert key_verifies(NOW, NOW + KEY_GRACE_S - 0.01)
    assert not key_verifies(NOW, NOW + KEY_GRACE_S)
