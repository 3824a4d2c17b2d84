"""Start devorg in-process for tests, and make SCRT2 credentials.

    from devorg.testing import make_scrt_keypair, running_devorg, sign_scrt_jwt

    async with running_devorg() as sf:
        org = await sf.create_org("Acme")                      # {"orgId", "orgId15", ...}
        keys = make_scrt_keypair()
        await sf.create_call_center(org["orgId"], "SIVO_Acme", certificate=keys.certificate_pem)
        await sf.create_user(org["orgId"], "ada@acme.test", call_center="SIVO_Acme")
        tokens = await sf.login("ada@acme.test")               # full PKCE flow, auto-approved
        jwt = sign_scrt_jwt(keys.private_key_pem, org_id15=org["orgId15"],
                            call_center="SIVO_Acme")
        # talk HTTP to sf.base_url, sf.scrt_url, sf.login_url, sf.sandbox_login_url

    async with running_devorg(tls=True) as sf:                  # HTTPS with a throwaway CA
        sf.ca_file                # PEM of the CA: requests' verify=, NODE_EXTRA_CA_CERTS
        sf.client_ssl_context()   # an ssl.SSLContext trusting it (sf.session already does)

Everything listens on 127.0.0.1 with free ports.
"""

from __future__ import annotations

import datetime
import secrets
import ssl
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from yarl import URL

from .app import DevorgServer
from .oauth import pkce_challenge
from .seed import demo_seed
from .settings import DevorgSettings
from .state import Devorg
from .tls import client_ssl_context, make_local_ca

__all__ = [
    "ReadyOrg",
    "RunningDevorg",
    "ScrtKeyPair",
    "make_scrt_keypair",
    "running_devorg",
    "sign_scrt_jwt",
]


@dataclass(frozen=True)
class ScrtKeyPair:
    private_key_pem: str
    certificate_pem: str  # the value for reqTelephonyIntegrationCertificate


def make_scrt_keypair(common_name: str = "sivo", key_size: int = 2048) -> ScrtKeyPair:
    """An RSA key and a self-signed X.509 certificate, as ``voice_pt_generate_certificate``
    makes with openssl (``x509 -req -sha256 -days 365``)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return ScrtKeyPair(private_pem, certificate.public_bytes(serialization.Encoding.PEM).decode())


def sign_scrt_jwt(
    private_key_pem: str,
    *,
    org_id15: str,
    call_center: str,
    lifetime_seconds: int = 300,
    jti: str | None = "auto",
    now: float | None = None,
    **extra: Any,
) -> str:
    """A partner JWT for SCRT2: RS256, iss = 15-char org id, sub = call center API name."""
    issued = time.time() if now is None else now
    claims: dict[str, Any] = {
        "iss": org_id15,
        "sub": call_center,
        "iat": int(issued),
        "exp": int(issued + lifetime_seconds),
        **extra,
    }
    if jti is not None:
        claims["jti"] = str(uuid.uuid4()) if jti == "auto" else jti
    return jwt.encode(claims, private_key_pem, algorithm="RS256", headers={"typ": "JWT"})


@dataclass(frozen=True)
class ReadyOrg:
    """An org with one call center and one logged-in user (see :meth:`RunningDevorg.setup_org`)."""

    org_id: str
    org_id15: str
    user_id: str
    username: str
    call_center: str
    tokens: dict[str, Any]

    @property
    def access_token(self) -> str:
        return str(self.tokens["access_token"])

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


class RunningDevorg:
    """A started devorg: its URLs, its state, and control-API helpers over HTTP."""

    def __init__(
        self, server: DevorgServer, session: aiohttp.ClientSession, ca_file: Path | None = None
    ) -> None:
        self.server = server
        self.devorg: Devorg = server.devorg
        self.session = session
        self.ca_file = ca_file  # the CA that signed devorg's certificate (tls=True)

    def client_ssl_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts devorg's test CA (``tls=True`` only)."""
        if self.ca_file is None:
            raise RuntimeError("devorg runs without TLS: use running_devorg(tls=True)")
        return client_ssl_context(self.ca_file)

    @property
    def base_url(self) -> str:
        return self.devorg.base_url

    @property
    def scrt_url(self) -> str:
        return self.devorg.scrt_url

    @property
    def login_url(self) -> str:
        return self.devorg.login_url

    @property
    def sandbox_login_url(self) -> str:
        return self.devorg.sandbox_login_url

    async def control(self, method: str, path: str, body: Any = None) -> Any:
        async with self.session.request(
            method, f"{self.base_url}/__devorg/{path}", json=body
        ) as response:
            if response.status >= 400:
                raise AssertionError(
                    f"devorg {method} {path}: {response.status} {await response.text()}"
                )
            return await response.json() if response.status != 204 else None

    async def create_org(self, name: str = "Test Org", *, is_sandbox: bool = False) -> Any:
        return await self.control("POST", "orgs", {"name": name, "isSandbox": is_sandbox})

    async def create_call_center(
        self,
        org_id: str,
        internal_name: str,
        *,
        certificate: str | None = None,
        adapter_url: str | None = None,
    ) -> str:
        body = {
            "internalName": internal_name,
            "certificate": certificate,
            "adapterUrl": adapter_url,
        }
        return str((await self.control("POST", f"orgs/{org_id}/callcenters", body))["id"])

    async def create_user(self, org_id: str, username: str, **fields: Any) -> str:
        body = {"username": username, **_camel(fields)}
        return str((await self.control("POST", f"orgs/{org_id}/users", body))["id"])

    async def create_record(self, org_id: str, type_name: str, fields: dict[str, Any]) -> str:
        return str((await self.control("POST", f"orgs/{org_id}/records/{type_name}", fields))["id"])

    async def setup_org(
        self,
        name: str,
        username: str,
        *,
        certificate: str | None = None,
        call_center: str = "SIVO_Test",
        is_sandbox: bool = False,
    ) -> ReadyOrg:
        """Create an org, a call center (with ``certificate``) and a user, then log in."""
        org = await self.create_org(name, is_sandbox=is_sandbox)
        await self.create_call_center(org["orgId"], call_center, certificate=certificate)
        user_id = await self.create_user(
            org["orgId"], username, first_name="Ada", last_name="Agent", call_center=call_center
        )
        tokens = await self.login(username)
        return ReadyOrg(org["orgId"], org["orgId15"], user_id, username, call_center, tokens)

    async def login(
        self,
        username: str,
        *,
        scope: str = "api id refresh_token",
        client_id: str = "sivo-test",
        redirect_uri: str = "http://127.0.0.1/callback",
    ) -> dict[str, Any]:
        """Run the PKCE web-server flow for ``username`` (auto-approved); return the tokens."""
        previous = self.devorg.auto_approve_username
        await self.control("PUT", "auto-approve", {"username": username})
        org = next(
            o
            for o in self.devorg.store.orgs.values()
            if o.first("User", Username=username) is not None
        )
        login_url = self.devorg.login_url_for(org.is_sandbox)
        verifier = secrets.token_urlsafe(48)
        try:
            async with self.session.get(
                f"{login_url}/services/oauth2/authorize",
                params={
                    "response_type": "code",
                    "client_id": client_id,
                    "redirect_uri": redirect_uri,
                    "scope": scope,
                    "code_challenge": pkce_challenge(verifier),
                    "code_challenge_method": "S256",
                },
                allow_redirects=False,
            ) as response:
                code = URL(response.headers["Location"]).query["code"]
        finally:
            await self.control("PUT", "auto-approve", {"username": previous})
        async with self.session.post(
            f"{login_url}/services/oauth2/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": client_id,
                "redirect_uri": redirect_uri,
                "code_verifier": verifier,
            },
        ) as response:
            result: dict[str, Any] = await response.json()
            return result


def _camel(fields: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in fields.items():
        head, *rest = key.split("_")
        out[head + "".join(p.title() for p in rest)] = value
    return out


@asynccontextmanager
async def running_devorg(
    *, demo: bool = False, seed: dict[str, Any] | None = None, tls: bool = False, **settings: Any
) -> AsyncIterator[RunningDevorg]:
    """Start devorg on 127.0.0.1 with free ports; stop it on exit.

    Args:
        demo: load the built-in demo data set.
        seed: a seed document to load (see :mod:`devorg.seed`).
        tls: serve HTTPS with a certificate from a throwaway CA made for this run (for
            127.0.0.1, ::1 and localhost); ``sf.session`` trusts it, others use ``sf.ca_file``
            or ``sf.client_ssl_context()``.
        **settings: overrides of :class:`~devorg.settings.DevorgSettings` fields.
    """
    from .seed import load_seed

    with tempfile.TemporaryDirectory(prefix="devorg-tls-") as directory:
        ca_file = None
        if tls:
            ca = make_local_ca(Path(directory))
            ca_file = ca.ca_file
            settings = {"tls_cert_file": ca.cert_file, "tls_key_file": ca.key_file, **settings}
        server = DevorgServer(DevorgSettings(**{"port": 0, "scrt_port": 0, **settings}))
        await server.start()
        try:
            if demo:
                load_seed(server.devorg, demo_seed(server.devorg.softphone_url))
            if seed is not None:
                load_seed(server.devorg, seed)
            ssl_option: ssl.SSLContext | bool = (
                client_ssl_context(ca_file) if ca_file is not None else True
            )
            connector = aiohttp.TCPConnector(ssl=ssl_option)
            async with aiohttp.ClientSession(connector=connector) as session:
                yield RunningDevorg(server, session, ca_file)
        finally:
            await server.stop()
