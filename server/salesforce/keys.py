"""Each org's SCRT2 key pair: RSA 2048 and a self-signed X.509 certificate (reference §2.4).

Salesforce verifies the JWT SIVO signs for each SCRT2 request with the certificate installed
in the call center (``reqTelephonyIntegrationCertificate``). Rotation is staged, because the
certificate has to reach Salesforce before the new key may sign: a new key starts
``pending``; activating it makes it ``active`` and the previous one ``retired``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

CERTIFICATE_DAYS = 730


def key_context(kid: str) -> str:
    """What a sealed private key is bound to (``SecretBox``'s associated data)."""
    return f"salesforce-org-key:{kid}"


@dataclass(frozen=True)
class OrgKeyMaterial:
    private_key_pem: str
    certificate_pem: str


def new_org_key(org_id15: str, now: float) -> OrgKeyMaterial:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"SIVO SCRT2 {org_id15}"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "SIVO"),
        ]
    )
    start = datetime.datetime.fromtimestamp(now, datetime.UTC) - datetime.timedelta(minutes=5)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=CERTIFICATE_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return OrgKeyMaterial(
        private_key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii"),
        certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
    )


def certificate_body(pem: str) -> str:
    """The base64 between the PEM armour lines, as the call center field takes it."""
    lines = [line for line in pem.strip().splitlines() if not line.startswith("-----")]
    return "".join(lines)
