"""HTTPS for devorg: the server context, and a throwaway CA for tests and local runs.

Salesforce is HTTPS only, and some clients (simple-salesforce) build ``https://`` URLs
whatever ``instance_url`` says, so devorg serves TLS when given a certificate
(``--tls-cert``/``--tls-key``). :func:`make_local_ca` writes a CA certificate and a server
certificate for ``127.0.0.1``, ``::1`` and ``localhost`` signed by it; clients trust the CA
file (``ssl.create_default_context(cafile=...)``, ``requests``' ``verify=``, Node's
``NODE_EXTRA_CA_CERTS``) and verify the server as usual.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["LocalCa", "client_ssl_context", "make_local_ca", "server_ssl_context"]


@dataclass(frozen=True)
class LocalCa:
    """Files written by :func:`make_local_ca`."""

    ca_file: Path  # the CA certificate clients trust (PEM)
    cert_file: Path  # the server certificate (PEM)
    key_file: Path  # the server's private key (PEM, unencrypted)


def server_ssl_context(cert_file: Path, key_file: Path) -> ssl.SSLContext:
    """TLS 1.2+ server context for both devorg ports."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_file, key_file)
    return context


def client_ssl_context(ca_file: Path) -> ssl.SSLContext:
    """A verifying client context that trusts ``ca_file`` (hostname checks stay on)."""
    return ssl.create_default_context(cafile=str(ca_file))


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "devorg"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _write(path: Path, data: bytes, *, private: bool = False) -> Path:
    path.write_bytes(data)
    if private:
        path.chmod(0o600)
    return path


def make_local_ca(directory: Path, *, days: int = 7) -> LocalCa:
    """Write ``ca.pem``, ``server.pem`` and ``server.key`` into ``directory``.

    The server certificate names ``127.0.0.1``, ``::1`` and ``localhost`` in its
    subjectAltName, as hostname verification requires (the CN is not used).
    """
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    start, end = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=days)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("devorg test CA"))
        .issuer_name(_name("devorg test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.IPAddress(ipaddress.ip_address("::1")),
    ]
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    key_pem = key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return LocalCa(
        ca_file=_write(directory / "ca.pem", ca_cert.public_bytes(pem)),
        cert_file=_write(directory / "server.pem", cert.public_bytes(pem)),
        key_file=_write(directory / "server.key", key_pem, private=True),
    )
