"""The SCRT2 JWT as devorg checks it: each claim, the header, a replayed jti refused; the
connected org's active key signing a request devorg's SCRT2 host accepts over HTTPS; and,
after a rotation, the new key signing in its place."""

from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from devorg.scrt_auth import ScrtAuthError, load_certificate_key, read_claims, verify_token
from devorg.testing import RunningDevorg
from server.api.context import SERVICES
from server.crypto import SecretBox
from server.salesforce.keys import new_org_key
from server.salesforce.scrt2 import create_request
from server.salesforce.scrt2_jwt import (
    LIFETIME_SECONDS,
    ActiveKeys,
    ScrtIdentity,
    request_headers,
    sign,
)
from tests.conftest import AppFactory

from .conftest import ConnectedOrg, connected_org

ORG18, ORG15 = "00D000000000001AAA", "00D000000000001"
NOW = 1_795_000_000.0


@pytest.fixture(scope="module")
def material() -> tuple[rsa.RSAPrivateKey, rsa.RSAPublicKey]:
    keys = new_org_key(ORG15, NOW)
    private = serialization.load_pem_private_key(keys.private_key_pem.encode(), password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    return private, load_certificate_key(keys.certificate_pem)


def test_claims_and_header_are_what_the_guide_asks(
    material: tuple[rsa.RSAPrivateKey, rsa.RSAPublicKey],
) -> None:
    identity = ScrtIdentity.of(ORG18, "SIVO_Acme")
    token = sign(material[0], identity, now=NOW)
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256" and "kid" not in header
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["iss"] == ORG15 and claims["sub"] == "SIVO_Acme"
    assert claims["iat"] == int(NOW) and claims["exp"] - claims["iat"] == LIFETIME_SECONDS
    assert "aud" not in claims and claims["jti"]
    assert sign(material[0], identity, now=NOW) != token  # a fresh jti each time
    headers = request_headers(token, identity)
    assert headers["Authorization"] == f"Bearer {token}"
    assert headers["Telephony-Provider-Name"] == "calltree"
    assert ScrtIdentity.of(ORG15, "X", "acme-voice").provider_name == "acme-voice"


@pytest.mark.parametrize(("org_id", "center"), [("005000000000001", "X"), (ORG15, "")])
def test_identity_refuses_what_salesforce_would(org_id: str, center: str) -> None:
    with pytest.raises(ValueError):
        ScrtIdentity.of(org_id, center)


def test_lifetime_is_at_most_five_minutes(
    material: tuple[rsa.RSAPrivateKey, rsa.RSAPublicKey],
) -> None:
    with pytest.raises(ValueError):
        sign(material[0], ScrtIdentity.of(ORG15, "X"), now=NOW, lifetime_seconds=301)


def test_devorg_accepts_it_once_and_refuses_the_replay(
    material: tuple[rsa.RSAPrivateKey, rsa.RSAPublicKey],
) -> None:
    private, public = material
    token = sign(private, ScrtIdentity.of(ORG18, "SIVO_Acme"), now=NOW)
    claims = read_claims(token)
    assert (claims.org_id15, claims.call_center) == (ORG15, "SIVO_Acme")
    seen: dict[str, float] = {}
    verify_token(token, public, claims, now=NOW + 1, seen_jtis=seen)
    with pytest.raises(ScrtAuthError, match="already been used"):
        verify_token(token, public, claims, now=NOW + 2, seen_jtis=seen)
    with pytest.raises(ScrtAuthError, match="expired"):
        verify_token(token, public, claims, now=NOW + LIFETIME_SECONDS, seen_jtis={})
    fresh = sign(private, ScrtIdentity.of(ORG18, "SIVO_Acme"), now=NOW)
    verify_token(fresh, public, read_claims(fresh), now=NOW + 1, seen_jtis=seen)


# The key comes out of the store the same way on either database; one is enough here.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_connected_orgs_active_key_signs_for_devorg(
    make_client: AppFactory, sf: RunningDevorg, database_url: str
) -> None:
    org = await connected_org(make_client, sf, "ada@acme.test")
    app = org.sivo.client.app
    services = app[SERVICES]
    certificate = await services.salesforce.certificates.active_certificate(
        org.sivo.tenant.id, org.row_id
    )
    await sf.control(
        "PUT",
        f"orgs/{org.org_id}/callcenters/SIVO_Acme/certificate",
        {"certificate": certificate},
    )
    keys = ActiveKeys(db=services.db, box=SecretBox(services.settings.secret_key))
    key = await keys.key(org.sivo.tenant.id, org.row_id)
    assert await keys.key(org.sivo.tenant.id, org.row_id) is key  # unsealed once
    token = sign(key, ScrtIdentity.of(org.org_id, "SIVO_Acme"), now=time.time())
    assert await _create(sf, org, "call_jwt", token) == 200
    assert await _create(sf, org, "call_jwt", token) == 401  # the same token again: a replay


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_after_a_rotation_the_new_key_signs_for_devorg(
    make_client: AppFactory, sf: RunningDevorg, database_url: str
) -> None:
    """The app's active key is kept between requests, a staged key does not sign, and once
    it is activated it signs at once: devorg, given its certificate, accepts what it signs
    and refuses the retired key's."""
    org = await connected_org(make_client, sf, "ada@acme.test")
    client, tenant_id = org.sivo.client, org.sivo.tenant.id
    keys = client.app[SERVICES].salesforce.keys
    identity = ScrtIdentity.of(org.org_id, "SIVO_Acme")
    old = await keys.key(tenant_id, org.row_id)
    assert await keys.key(tenant_id, org.row_id) is old  # kept, not read again

    path = f"/api/v1/salesforce/orgs/{org.row_id}/keys"
    staged = await client.post(path, headers=org.sivo.api)
    assert staged.status == 201, await staged.text()
    pending = await staged.json()
    assert await keys.key(tenant_id, org.row_id) is old  # pending: the active key still signs
    await sf.control(
        "PUT",
        f"orgs/{org.org_id}/callcenters/SIVO_Acme/certificate",
        {"certificate": pending["certificate_pem"]},
    )
    activated = await client.post(f"{path}/{pending['kid']}/activate", headers=org.sivo.api)
    assert activated.status == 200, await activated.text()

    new = await keys.key(tenant_id, org.row_id)
    assert new is not old
    assert await _create(sf, org, "call_new", sign(new, identity, now=time.time())) == 200
    assert await _create(sf, org, "call_old", sign(old, identity, now=time.time())) == 401


async def _create(sf: RunningDevorg, org: ConnectedOrg, call_id: str, token: str) -> int:
    """Devorg's status for an inbound create of ``call_id`` carrying ``token``."""
    request = create_request(
        {
            "call_id": call_id,
            "direction": "inbound",
            "from": "+14155551212",
            "to": "+18005550100",
            "created_at": "2026-11-21T09:00:00.000Z",
        },
        call_center="SIVO_Acme",
    )
    assert request is not None
    identity = ScrtIdentity.of(org.org_id, "SIVO_Acme")
    async with sf.session.post(
        f"{sf.scrt_url}{request.path()}",
        data=request.encoded(),
        headers=request_headers(token, identity),
    ) as response:
        print(f"{call_id}: {response.status} {await response.text()}")
        return response.status
