"""The partner-signed JWT on every SCRT2 request, and its headers (reference §2.2, §2.3).

::

    the org's active key (salesforce_org_keys, sealed) ──ActiveKeys.key──> RSA private key
        (read and unsealed once, kept until ActiveKeys.forget: a key activated, or the org
        disconnected; OrgCertificates and SalesforceOrgs call it)
    (org id, call center InternalName, now) ──sign──> RS256 JWT, a fresh jti, no kid
    token, provider name ──request_headers──> Authorization, Telephony-Provider-Name

Claims, as the Voice guide (``voice_rest_authorization.htm``) asks and devorg checks:
``iss`` the 15-character org id, ``sub`` the call center API name (``InternalName``),
``iat`` and ``exp`` in seconds, ``exp`` five minutes ahead (Salesforce's own Lambdas use
five minutes; the guide allows 24 hours), a new ``jti`` per request (replays are refused,
so a token is never reused), no ``aud`` and no ``kid``: Salesforce finds the key through
the call center's ``reqTelephonyIntegrationCertificate``, not a key id. A token is signed
just before its request is sent, so a retry after a long backoff never carries an expired
one. Tokens and keys are never logged.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from server.crypto import SecretBox
from server.failures import NotFound
from server.store import salesforce as store
from server.store.db import Database

from .keys import key_context

__all__ = [
    "DEFAULT_PROVIDER_NAME",
    "LIFETIME_SECONDS",
    "ActiveKeys",
    "ScrtIdentity",
    "request_headers",
    "sign",
]

DEFAULT_PROVIDER_NAME = "calltree"  # the name the product page gives
LIFETIME_SECONDS = 300
_ORG_ID = re.compile(r"00D[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?")


@dataclass(frozen=True, slots=True)
class ScrtIdentity:
    """Who signs for an org: ``iss`` and ``sub``, and the provider name header."""

    org_id15: str
    call_center: str
    provider_name: str = DEFAULT_PROVIDER_NAME

    @classmethod
    def of(cls, org_id: str, call_center: str, provider_name: str | None = None) -> ScrtIdentity:
        """From the org id in either form (SOQL and userinfo give 18 characters)."""
        if not _ORG_ID.fullmatch(org_id):
            raise ValueError("not a Salesforce org id")
        if not call_center:
            raise ValueError("the org has no call center API name")
        return cls(org_id[:15], call_center, provider_name or DEFAULT_PROVIDER_NAME)


def sign(
    key: rsa.RSAPrivateKey,
    identity: ScrtIdentity,
    *,
    now: float,
    lifetime_seconds: int = LIFETIME_SECONDS,
) -> str:
    """A fresh JWT for one request (its own ``jti``)."""
    if not 0 < lifetime_seconds <= LIFETIME_SECONDS:
        raise ValueError("an SCRT2 JWT lives at most five minutes")
    issued = int(now)
    claims = {
        "iss": identity.org_id15,
        "sub": identity.call_center,
        "iat": issued,
        "exp": issued + lifetime_seconds,
        "jti": str(uuid.uuid4()),
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"typ": "JWT"})


def request_headers(token: str, identity: ScrtIdentity) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Telephony-Provider-Name": identity.provider_name,
    }


class ActiveKeys:
    """Each org's active private key, read and unsealed once, then kept in memory until
    ``forget`` (a pending key activated, or the org disconnected)."""

    def __init__(self, *, db: Database, box: SecretBox) -> None:
        self._db = db
        self._box = box
        self._loaded: dict[tuple[str, str], rsa.RSAPrivateKey] = {}
        self._forgets = 0  # a load that a forget() overlapped is used once, not kept

    async def key(self, tenant_id: str, row_id: str) -> rsa.RSAPrivateKey:
        """Raises NotFound when the org has no active key (it is not connected)."""
        loaded = self._loaded.get((tenant_id, row_id))
        if loaded is not None:
            return loaded
        forgets = self._forgets
        async with self._db.read() as conn:
            rows = await store.org_keys_of(conn, tenant_id, row_id)
        active = next((r for r in rows if r["status"] == "active"), None)
        if active is None:
            raise NotFound("active key")
        kid = str(active["kid"])
        pem = self._box.decrypt(active["private_key_enc"], key_context(kid))
        private = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
        if not isinstance(private, rsa.RSAPrivateKey):
            raise NotFound("active RSA key")
        if forgets == self._forgets:  # the rows read may predate a rotation committed since
            self._loaded[(tenant_id, row_id)] = private
        return private

    def forget(self, tenant_id: str, row_id: str) -> None:
        """The org's active key changed or is gone: read it again when it next signs. Call
        it once the change has committed."""
        self._loaded.pop((tenant_id, row_id), None)
        self._forgets += 1
