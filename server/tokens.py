"""Agent tokens: RS256 JWTs (RFC 7519) that SIVO signs, and the keys that sign them.

A token's header carries the ``kid`` of its key; its claims are ``iss`` (SIVO's public URL),
``aud`` (``sivo-agent``), ``sub`` (agent id), ``tid`` (tenant id), ``iat`` = ``nbf``, ``exp``
(at most ``MAX_TTL_S`` after ``iat``) and a random ``jti``. Every verification failure raises
``InvalidToken``, whose ``reason`` names the check that failed.

Key lifecycle (rows of ``signing_keys``; private keys are PEM sealed with the master key)::

    rotate ──> signing ──rotate──> retired ──(KEY_GRACE_S later; next rotate)──> deleted
               signs, verifies,    verifies, in JWKS
               in JWKS

A retired key keeps verifying, and stays in the JWKS, for ``KEY_GRACE_S``: the longest a token
it signed can still be valid. Verification pins RS256 and looks the ``kid`` up among these keys
only, so ``alg: none``, HS256 keyed with the public PEM (RFC 8725 section 2.1) and foreign keys
all fail. Time checks use the injected clock, not pyjwt's wall clock.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from jwt.types import Options

from server.clock import Clock
from server.crypto import SecretBox, random_token
from server.failures import Invalid
from server.ids import new_id
from server.store import keys as store
from server.store.db import Database

logger = logging.getLogger(__name__)

ALGORITHM = "RS256"
DEFAULT_AUDIENCE = "sivo-agent"
MAX_TTL_S = 3600
LEEWAY_S = 5
KEY_GRACE_S = MAX_TTL_S + LEEWAY_S
KEY_REFRESH_S = 30  # how long a verifier trusts its cached key set (retired or revoked elsewhere)
REQUIRED_CLAIMS = ("iss", "aud", "sub", "tid", "iat", "exp", "jti")

# pyjwt checks the signature and the pinned algorithm; ``validate_claims`` checks the rest
# against the injected clock.
_SIGNATURE_ONLY: Options = {
    "verify_signature": True,
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_aud": False,
    "verify_iss": False,
    "verify_sub": False,
    "verify_jti": False,
}


class InvalidToken(Exception):
    """The token must not be trusted; ``reason`` is short and safe to show the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class AgentClaims:
    agent_id: str
    tenant_id: str
    expires_at: float
    jti: str
    kid: str = ""  # the signing key, so that revoking it can cut the sessions it opened


@dataclass(frozen=True, slots=True)
class MintedToken:
    token: str = field(repr=False)
    kid: str
    expires_at: float


# -- pure core --------------------------------------------------------------------------------


def build_claims(
    *, issuer: str, audience: str, agent_id: str, tenant_id: str, now: float, ttl_s: int, jti: str
) -> dict[str, Any]:
    if not 0 < ttl_s <= MAX_TTL_S:
        raise ValueError(f"ttl_s must be 1-{MAX_TTL_S} seconds")
    if not agent_id or not tenant_id:
        raise ValueError("agent_id and tenant_id are required")
    iat = int(now)
    return {
        "iss": issuer,
        "aud": audience,
        "sub": agent_id,
        "tid": tenant_id,
        "iat": iat,
        "nbf": iat,
        "exp": iat + ttl_s,
        "jti": jti,
    }


def _is_number(value: object) -> bool:
    # Python's json accepts NaN and Infinity, which would slip past every comparison.
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def validate_claims(
    claims: Mapping[str, Any], *, issuer: str, audience: str, now: float, leeway: float = LEEWAY_S
) -> AgentClaims:
    """Check a signature-verified payload against ``now``; raise ``InvalidToken`` if unusable."""
    for name in REQUIRED_CLAIMS:
        if claims.get(name) is None:
            raise InvalidToken(f"missing claim {name}")
    if claims["iss"] != issuer:
        raise InvalidToken("wrong issuer")
    aud = claims["aud"]  # RFC 7519 section 4.1.3: a string or an array of strings
    if not (aud == audience or (isinstance(aud, list) and audience in aud)):
        raise InvalidToken("wrong audience")
    for name in ("sub", "tid", "jti"):
        if not isinstance(claims[name], str) or not claims[name]:
            raise InvalidToken(f"claim {name} must be a non-empty string")
    nbf = claims.get("nbf")
    for name, value in (("iat", claims["iat"]), ("exp", claims["exp"]), ("nbf", nbf)):
        if value is not None and not _is_number(value):
            raise InvalidToken(f"claim {name} must be a number")
    iat, exp = float(claims["iat"]), float(claims["exp"])
    if exp - iat > MAX_TTL_S:
        raise InvalidToken("lifetime exceeds 1 hour")
    if exp <= iat:
        raise InvalidToken("expires before it was issued")
    if iat > now + leeway or (nbf is not None and float(nbf) > now + leeway):
        raise InvalidToken("not yet valid")
    if now >= exp + leeway:
        raise InvalidToken("expired")
    return AgentClaims(
        agent_id=claims["sub"], tenant_id=claims["tid"], expires_at=exp, jti=claims["jti"]
    )


def key_verifies(retired_at: float | None, now: float) -> bool:
    """A key verifies until every token it can have signed has expired."""
    return retired_at is None or now < retired_at + KEY_GRACE_S


def public_jwk(kid: str, public_key: rsa.RSAPublicKey) -> dict[str, str]:
    jwk = RSAAlgorithm.to_jwk(public_key, as_dict=True)
    return {"kty": "RSA", "n": jwk["n"], "e": jwk["e"], "kid": kid, "alg": ALGORITHM, "use": "sig"}


def new_key_row(box: SecretBox, kid: str, now: float) -> dict[str, Any]:
    """A fresh RSA-2048 key as a ``signing_keys`` row; CPU-bound, so run it in a thread."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return {
        "kid": kid,
        "private_key_enc": box.encrypt(pem, key_context(kid)),
        "public_jwk": json.dumps(public_jwk(kid, key.public_key())),
        "created_at": now,
        "retired_at": None,
    }


def key_context(kid: str) -> str:
    return f"signing-key:{kid}"


# -- service ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _VerifyKey:
    jwk: jwt.PyJWK
    retired_at: float | None


class TokenService:
    """Mints and verifies agent tokens; owns key rotation and the JWKS.

    Verifiers cache public keys for ``KEY_REFRESH_S`` and reload at once on an unknown ``kid``
    (another process may have rotated). Minting reads the current ``kid`` from the database
    every time, so a rotation anywhere takes effect for the next token minted everywhere.
    """

    def __init__(
        self,
        *,
        db: Database,
        box: SecretBox,
        clock: Clock,
        issuer: str,
        audience: str = DEFAULT_AUDIENCE,
    ) -> None:
        self._db = db
        self._box = box
        self._clock = clock
        self._issuer = issuer
        self._audience = audience
        self._keys: dict[str, _VerifyKey] = {}
        self._loaded_at: float | None = None
        self._generation = 0
        self._load_lock = asyncio.Lock()
        self._create_lock = asyncio.Lock()
        self._private: dict[str, rsa.RSAPrivateKey] = {}

    async def mint(self, *, agent_id: str, tenant_id: str, ttl_s: int = MAX_TTL_S) -> MintedToken:
        """Sign a token for one agent of one tenant.

        Raises:
            Invalid: when ``ttl_s`` is not 1-3600 seconds.
        """
        if not 0 < ttl_s <= MAX_TTL_S:
            raise Invalid("ttl_s", f"ttl_s must be 1-{MAX_TTL_S} seconds")
        kid, key = await self._signing_key()
        claims = build_claims(
            issuer=self._issuer,
            audience=self._audience,
            agent_id=agent_id,
            tenant_id=tenant_id,
            now=self._clock.now(),
            ttl_s=ttl_s,
            jti=random_token(16),
        )
        token = jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": kid})
        return MintedToken(token=token, kid=kid, expires_at=float(claims["exp"]))

    async def verify(self, token: str) -> AgentClaims:
        """The claims of a token SIVO signed that is valid now.

        Raises:
            InvalidToken: for any reason at all not to trust it.
        """
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken("malformed token") from exc
        if header.get("alg") != ALGORITHM:
            raise InvalidToken("algorithm not allowed")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("missing kid")
        now = self._clock.now()
        key = await self._verify_key(kid, now)
        if key is None or not key_verifies(key.retired_at, now):
            raise InvalidToken("unknown kid")
        try:
            payload = jwt.decode(token, key.jwk, algorithms=[ALGORITHM], options=_SIGNATURE_ONLY)
        except jwt.InvalidSignatureError as exc:
            raise InvalidToken("bad signature") from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken("malformed token") from exc
        claims = validate_claims(payload, issuer=self._issuer, audience=self._audience, now=now)
        return dataclasses.replace(claims, kid=kid)

    async def key_trusted(self, kid: str) -> bool:
        """Whether tokens signed by ``kid`` still verify (re-read at most every
        ``KEY_REFRESH_S``, so a revocation by another process is seen that soon)."""
        now = self._clock.now()
        key = await self._verify_key(kid, now)
        return key is not None and key_verifies(key.retired_at, now)

    async def revoke(self, kid: str) -> bool:
        """Stop trusting a key at once (it leaked): its tokens fail verification from now on.

        A revoked current key is replaced first, so that minting goes on. Returns whether
        the key existed.
        """
        async with self._db.read() as conn:
            current = await store.current_key(conn)
        if current is not None and current["kid"] == kid:
            await self.rotate()
        async with self._db.transaction() as tx:
            found = await store.delete_key_txn(tx, kid)
        self._loaded_at = None
        self._keys.pop(kid, None)
        logger.warning("%s x signing key revoked", kid)
        return found

    async def rotate(self) -> str:
        """Start signing with a new key; retire the current one, delete those past grace."""
        now = self._clock.now()
        kid = new_id("sk", now)
        row = await asyncio.to_thread(new_key_row, self._box, kid, now)
        async with self._db.transaction() as tx:
            retired = await store.retire_keys_txn(tx, now)
            await store.insert_key_txn(tx, row)
            pruned = await store.delete_keys_retired_by_txn(tx, now - KEY_GRACE_S)
        self._loaded_at = None
        logger.info("%s + signing key in use (retired %d, deleted %d)", kid, retired, pruned)
        return kid

    async def jwks(self) -> dict[str, list[dict[str, str]]]:
        """The JWK Set (RFC 7517 section 5) of every key that can still verify, newest first."""
        now = self._clock.now()
        async with self._db.read() as conn:
            rows = await store.list_keys(conn)
        live = [r for r in rows if key_verifies(r["retired_at"], now)]
        return {"keys": [json.loads(r["public_jwk"]) for r in live]}

    async def _signing_key(self) -> tuple[str, rsa.RSAPrivateKey]:
        row: Mapping[Any, Any] | None
        async with self._db.read() as conn:
            row = await store.current_key(conn)
        if row is None:
            async with self._create_lock:
                row = await self._create_first_key()
        kid: str = row["kid"]
        key = self._private.get(kid)
        if key is None:
            pem = self._box.decrypt(row["private_key_enc"], key_context(kid))
            loaded = serialization.load_pem_private_key(pem.encode(), password=None)
            if not isinstance(loaded, rsa.RSAPrivateKey):
                raise TypeError(f"{kid}: signing key is not an RSA key")
            key = loaded
            self._private = {kid: key}  # only the current key is ever needed to sign
        return kid, key

    async def _create_first_key(self) -> Mapping[Any, Any]:
        async with self._db.read() as conn:
            existing = await store.current_key(conn)
        if existing is not None:  # created while this task waited for the lock
            return existing
        now = self._clock.now()
        row = await asyncio.to_thread(new_key_row, self._box, new_id("sk", now), now)
        async with self._db.transaction() as tx:
            # Another process may have won the race; then both keys verify and the newer signs.
            existing = await store.current_key(tx.conn)
            if existing is not None:
                return existing
            await store.insert_key_txn(tx, row)
        logger.info("%s + first signing key created", row["kid"])
        return row

    async def _verify_key(self, kid: str, now: float) -> _VerifyKey | None:
        fresh = self._loaded_at is not None and now - self._loaded_at < KEY_REFRESH_S
        if fresh and kid in self._keys:
            return self._keys[kid]
        seen = self._generation
        async with self._load_lock:
            if self._generation == seen:  # concurrent misses share one reload
                await self._load_keys(now)
        return self._keys.get(kid)

    async def _load_keys(self, now: float) -> None:
        async with self._db.read() as conn:
            rows = await store.list_keys(conn)
        keys: dict[str, _VerifyKey] = {}
        for r in rows:
            if key_verifies(r["retired_at"], now):
                cached = self._keys.get(r["kid"])
                jwk = cached.jwk if cached else jwt.PyJWK(json.loads(r["public_jwk"]), ALGORITHM)
                keys[r["kid"]] = _VerifyKey(jwk=jwk, retired_at=r["retired_at"])
        self._keys = keys
        self._loaded_at = now
        self._generation += 1
