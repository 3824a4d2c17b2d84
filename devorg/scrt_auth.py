"""Checks on the partner-signed JWT that authenticates every SCRT2 request.

Voice guide ``voice_rest_authorization.htm`` (Summer '26): header ``{"alg":"RS256"}``; ``iss``
the org id where the certificate was registered, in its 15-character form; ``sub`` the call
center API name (CallCenter ``InternalName``); ``exp`` "within 24 hours"; ``jti`` optional,
replays rejected. The key is the certificate in the call center's
``reqTelephonyIntegrationCertificate``. Pure: time comes in as ``now``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

__all__ = ["ScrtAuthError", "ScrtClaims", "load_certificate_key", "read_claims", "verify_token"]

_ORG_ID15 = re.compile(r"^00D[a-zA-Z0-9]{12}$")  # CloudFormation SalesforceOrgId pattern
MAX_LIFETIME_SECONDS = 24 * 3600
CLOCK_SKEW_SECONDS = 60  # Guess: tolerance for iat/nbf/exp against devorg's clock
ALLOWED_KEY_SIZES = (1024, 2048, 4096)


class ScrtAuthError(Exception):
    """A refused SCRT2 credential; the message names the reason."""


@dataclass(frozen=True)
class ScrtClaims:
    org_id15: str
    call_center: str
    exp: float
    jti: str | None


def load_certificate_key(pem: str) -> rsa.RSAPublicKey:
    """The RSA public key of a ``reqTelephonyIntegrationCertificate`` PEM.

    Raises:
        ValueError: not an X.509 certificate, not RSA, or a key size the Voice guide
            does not allow (1024, 2048 or 4096 bits).
    """
    try:
        certificate = x509.load_pem_x509_certificate(pem.encode())
    except ValueError as exc:
        raise ValueError("reqTelephonyIntegrationCertificate must be an X.509 PEM") from exc
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("reqTelephonyIntegrationCertificate must hold an RSA key")
    if key.key_size not in ALLOWED_KEY_SIZES:
        raise ValueError(f"RSA key size {key.key_size} not allowed (1024, 2048 or 4096)")
    return key


def read_claims(token: str) -> ScrtClaims:
    """Read, without verifying the signature, the claims that select the org and key."""
    try:
        header = jwt.get_unverified_header(token)
        payload: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as exc:
        raise ScrtAuthError(f"malformed JWT: {exc}") from exc
    if header.get("alg") != "RS256":
        raise ScrtAuthError("JWT alg must be RS256")
    issuer = payload.get("iss")
    if not isinstance(issuer, str) or not _ORG_ID15.match(issuer):
        # An 18-character org id is refused: the doc asks for the 15-character form.
        raise ScrtAuthError("iss must be the 15-character Salesforce org id")
    subject = payload.get("sub")
    if not isinstance(subject, str) or not subject:
        raise ScrtAuthError("sub must be the call center API name")
    exp = payload.get("exp")
    if not isinstance(exp, (int, float)) or isinstance(exp, bool):
        raise ScrtAuthError("exp is required")
    jti = payload.get("jti")
    if jti is not None and not isinstance(jti, str):
        raise ScrtAuthError("jti must be a string")
    return ScrtClaims(issuer, subject, float(exp), jti)


def verify_token(
    token: str,
    key: rsa.RSAPublicKey,
    claims: ScrtClaims,
    *,
    now: float,
    seen_jtis: dict[str, float],
) -> None:
    """Verify the signature and lifetime of ``token`` and record its ``jti``.

    ``seen_jtis`` maps the org's already used ``jti`` values to their ``exp``; expired
    entries are pruned here.

    Raises:
        ScrtAuthError: bad signature, expired, ``exp`` beyond 24 h, not yet valid, or replay.
    """
    try:
        payload: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=["RS256"],
            # devorg checks times itself against its adjustable clock; aud is optional.
            options={
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
                "verify_aud": False,
            },
        )
    except jwt.InvalidSignatureError as exc:
        raise ScrtAuthError("JWT signature does not match the registered certificate") from exc
    except jwt.PyJWTError as exc:
        raise ScrtAuthError(f"invalid JWT: {exc}") from exc
    if claims.exp <= now:
        raise ScrtAuthError("JWT has expired")
    if claims.exp > now + MAX_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS:
        raise ScrtAuthError("JWT exp must be within 24 hours")
    for name in ("nbf", "iat"):
        value = payload.get(name)
        if isinstance(value, (int, float)) and value > now + CLOCK_SKEW_SECONDS:
            raise ScrtAuthError(f"JWT {name} is in the future")
    for used in [j for j, exp in seen_jtis.items() if exp <= now]:
        del seen_jtis[used]
    if claims.jti is not None:
        if claims.jti in seen_jtis:
            raise ScrtAuthError("JWT jti has already been used")
        seen_jtis[claims.jti] = claims.exp
