"""devorg over HTTPS: a throwaway CA, verified connections, and https in every URL it gives."""

from __future__ import annotations

import asyncio
import re
import signal
import ssl
import sys
from pathlib import Path

import aiohttp
import pytest

from devorg.testing import ScrtKeyPair, running_devorg, sign_scrt_jwt
from devorg.tls import client_ssl_context, make_local_ca


async def test_tls_urls_tokens_and_identity_say_https(scrt_keys: ScrtKeyPair) -> None:
    async with running_devorg(tls=True) as sf:
        assert sf.base_url.startswith("https://127.0.0.1:")
        assert sf.scrt_url.startswith("https://127.0.0.1:")
        assert sf.login_url.startswith("https://") and sf.sandbox_login_url.startswith("https://")
        assert sf.ca_file is not None and sf.ca_file.read_text().startswith("-----BEGIN CERT")
        acme = await sf.setup_org("Acme", "ada@acme.test", certificate=scrt_keys.certificate_pem)
        assert acme.tokens["instance_url"] == sf.base_url
        assert acme.tokens["id"].startswith(f"{sf.base_url}/id/")
        async with sf.session.get(acme.tokens["id"], headers=acme.auth) as response:
            identity = await response.json()
        assert identity["urls"]["rest"].startswith(f"{sf.base_url}/services/data/")
        async with sf.session.get(f"{sf.base_url}/__devorg/") as response:
            orgs = (await response.json())["orgs"]
        assert orgs[0]["loginUrl"].startswith("https://")
        # The SCRT2 port serves TLS too, with the same certificate.
        jwt = sign_scrt_jwt(scrt_keys.private_key_pem, org_id15=acme.org_id15, call_center="X")
        async with sf.session.post(
            f"{sf.scrt_url}/telephony/v1/voiceCalls",
            json={},
            headers={"Authorization": f"Bearer {jwt}"},
        ) as response:
            assert response.status == 401  # reached SCRT2 over TLS; unknown call center "X"


async def test_clients_that_do_not_trust_the_ca_are_refused() -> None:
    async with running_devorg(tls=True) as sf:
        # A default context (system CAs only) must fail verification.
        async with aiohttp.ClientSession() as plain:
            with pytest.raises(aiohttp.ClientConnectorCertificateError):
                await plain.get(f"{sf.base_url}/services/data/")
        # Plain HTTP to the TLS port gets no answer.
        async with aiohttp.ClientSession() as plain:
            with pytest.raises(aiohttp.ClientError):
                await plain.get(sf.base_url.replace("https://", "http://") + "/services/data/")
        context = sf.client_ssl_context()
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
        connector = aiohttp.TCPConnector(ssl=context)
        async with aiohttp.ClientSession(connector=connector) as trusted:
            async with trusted.get(f"{sf.base_url}/services/data/") as response:
                assert response.status == 200
            # The certificate names localhost too.
            local = sf.base_url.replace("127.0.0.1", "localhost")
            async with trusted.get(f"{local}/services/data/") as response:
                assert response.status == 200


async def test_plain_http_stays_the_default() -> None:
    async with running_devorg() as sf:
        assert sf.base_url.startswith("http://") and sf.ca_file is None
        with pytest.raises(RuntimeError):
            sf.client_ssl_context()


async def test_cli_serves_https_with_given_certificate(tmp_path: Path) -> None:
    ca = make_local_ca(tmp_path)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "devorg",
        "--demo",
        "--port",
        "0",
        "--scrt-port",
        "0",
        "--tls-cert",
        str(ca.cert_file),
        "--tls-key",
        str(ca.key_file),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        lines: list[str] = []
        while not any(line.startswith("devorg SCRT2 host") for line in lines):
            raw = await asyncio.wait_for(process.stdout.readline(), timeout=15)
            assert raw, "devorg exited early"
            lines.append(raw.decode())
        text = "".join(lines)
        match = re.search(r"devorg org host\s+(https://127\.0\.0\.1:\d+)", text)
        assert match is not None and "http://" not in text
        connector = aiohttp.TCPConnector(ssl=client_ssl_context(ca.ca_file))
        async with (
            aiohttp.ClientSession(connector=connector) as session,
            session.get(f"{match.group(1)}/__devorg/") as response,
        ):
            assert len((await response.json())["orgs"]) == 2
    finally:
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.wait(), timeout=10)


async def test_cli_wants_cert_and_key_together(tmp_path: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "devorg",
        "--tls-cert",
        str(tmp_path / "cert.pem"),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), timeout=15)
    assert process.returncode == 2 and b"--tls-cert and --tls-key go together" in err
