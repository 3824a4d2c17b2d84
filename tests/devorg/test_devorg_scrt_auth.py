"""The SCRT2 JWT checks of devorg.scrt_auth, without HTTP."""

from __future__ import annotations

import time

import jwt
import pytest

from devorg.scrt_auth import ScrtAuthError, load_certificate_key, read_claims, verify_token
from devorg.testing import ScrtKeyPair, sign_scrt_jwt

ORG15 = "00D5g0000000001"


def check(token: str, keys: ScrtKeyPair, seen: dict[str, float] | None = None) -> None:
    claims = read_claims(token)
    verify_token(
        token,
        load_certificate_key(keys.certificate_pem),
        claims,
        now=time.time(),
        seen_jtis={} if seen is None else seen,
    )


def test_valid_token_passes(scrt_keys: ScrtKeyPair) -> None:
    token = sign_scrt_jwt(scrt_keys.private_key_pem, org_id15=ORG15, call_center="SIVO_Test")
    check(token, scrt_keys)
    assert read_claims(token).call_center == "SIVO_Test"


def test_signature_from_another_key_is_refused(
    scrt_keys: ScrtKeyPair, other_keys: ScrtKeyPair
) -> None:
    token = sign_scrt_jwt(other_keys.private_key_pem, org_id15=ORG15, call_center="SIVO_Test")
    with pytest.raises(ScrtAuthError, match="signature"):
        check(token, scrt_keys)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"org_id15": ORG15 + "AAA"}, "15-character"),
        ({"lifetime_seconds": -10}, "expired"),
        ({"lifetime_seconds": 25 * 3600}, "24 hours"),
    ],
)
def test_issuer_and_lifetime_rules(
    scrt_keys: ScrtKeyPair, kwargs: dict[str, object], message: str
) -> None:
    args: dict[str, object] = {"org_id15": ORG15, "call_center": "SIVO_Test", **kwargs}
    token = sign_scrt_jwt(scrt_keys.private_key_pem, **args)  # type: ignore[arg-type]
    with pytest.raises(ScrtAuthError, match=message):
        check(token, scrt_keys)


def test_replayed_jti_is_refused(scrt_keys: ScrtKeyPair) -> None:
    token = sign_scrt_jwt(
        scrt_keys.private_key_pem, org_id15=ORG15, call_center="SIVO_Test", jti="once"
    )
    seen: dict[str, float] = {}
    check(token, scrt_keys, seen)
    with pytest.raises(ScrtAuthError, match="already been used"):
        check(token, scrt_keys, seen)


def test_hs256_token_is_refused() -> None:
    token = jwt.encode(
        {"iss": ORG15, "sub": "SIVO_Test", "exp": int(time.time()) + 60},
        "secret-key-of-32-bytes-or-more!!",
        algorithm="HS256",
    )
    with pytest.raises(ScrtAuthError, match="RS256"):
        read_claims(token)


def test_certificate_must_be_x509(scrt_keys: ScrtKeyPair) -> None:
    with pytest.raises(ValueError, match="X.509"):
        load_certificate_key(scrt_keys.private_key_pem)
