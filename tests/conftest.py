"""Shared fixtures: settings on a temporary data dir, both databases, HTTPS receivers."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import random
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

from server.app import create_app
from server.clock import Clock
from server.settings import Settings, load_master_key
from server.transcription.engine import Transcriber
from server.webhooks.sender import WebhookTransport
from tests.support.receiver import Receiver
from tests.support.served import ServedServer
from tests.support.tls import LocalPKI, make_pki

LOCAL_POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
REQUIRE_ALL = os.environ.get("SIVO_TEST_REQUIRE_ALL") == "1"


def _local_postgres() -> str | None:
    """The machine's own PostgreSQL (127.0.0.1:5432, trust auth, database ``test``), if up."""

    async def probe() -> bool:
        engine = create_async_engine(LOCAL_POSTGRES, connect_args={"timeout": 2})
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:  # not installed, not running, no such database: skip those tests
            return False
        finally:
            await engine.dispose()

    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=0.5):
            pass
    except OSError:
        return None
    return LOCAL_POSTGRES if asyncio.run(probe()) else None


def _per_worker(url: str | None) -> str | None:
    """Under pytest-xdist, each worker's own database (``test_gw0``...), created if missing,
    since every test resets the schema of the one it uses."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if url is None or not worker:
        return url
    shared = make_url(url)
    own = f"{shared.database}_{worker}"

    async def create() -> None:
        engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                found = await conn.execute(
                    text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": own}
                )
                if found.first() is None:
                    await conn.execute(text(f'CREATE DATABASE "{own}"'))
        finally:
            await engine.dispose()

    asyncio.run(create())
    return shared.set(database=own).render_as_string(hide_password=False)


POSTGRES_URL = _per_worker(os.environ.get("SIVO_TEST_POSTGRES_URL") or _local_postgres())

# What each group of skipped tests needs, shown at the end of a run that skipped some.
ENABLE = {
    "SIVO_TEST_POSTGRES_URL": "PostgreSQL: run it on 127.0.0.1:5432 (trust auth, database "
    "test), or set SIVO_TEST_POSTGRES_URL=postgresql+asyncpg://USER@HOST:PORT/DB",
    "Chromium": "browser: apt-get install chromium, or set SIVO_CHROMIUM=/path/to/chromium",
}


def pytest_terminal_summary(terminalreporter: Any) -> None:
    skipped = terminalreporter.stats.get("skipped", [])
    groups: dict[str, int] = {}
    for report in skipped:
        reason = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else ""
        for key in ENABLE:
            if key in reason:
                groups[key] = groups.get(key, 0) + 1
    if groups:
        terminalreporter.section("skipped groups, and how to enable them")
        for key, count in groups.items():
            terminalreporter.line(f"{count} skipped: {ENABLE[key]}")


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> LocalPKI:
    return make_pki(tmp_path_factory.mktemp("pki"))


async def _reset_postgres(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each store-backed test runs on SQLite and on the real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/sivo.db"
    if not POSTGRES_URL:
        if REQUIRE_ALL:
            pytest.fail("SIVO_TEST_POSTGRES_URL is unset but SIVO_TEST_REQUIRE_ALL=1")
        pytest.skip("no PostgreSQL on 127.0.0.1:5432 and SIVO_TEST_POSTGRES_URL is unset")
    await _reset_postgres(POSTGRES_URL)
    return POSTGRES_URL


def make_settings(tmp_path: Path, database_url: str, pki: LocalPKI, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "database_url": database_url,
        "public_url": "http://127.0.0.1:8080",
        "secret_key": load_master_key(None, tmp_path),  # kept across restarts, like production
        "webhook_allow_networks": (ipaddress.ip_network("127.0.0.0/8"),),
        "webhook_ca_bundle": pki.ca_file,
        "webhook_timeout_s": 2.0,
    }
    values.update(overrides)
    return Settings(**values)


AppFactory = Callable[..., Awaitable[TestClient[Any, Any]]]


@pytest.fixture
async def make_client(
    tmp_path: Path, database_url: str, pki: LocalPKI
) -> AsyncIterator[AppFactory]:
    clients: list[TestClient[Any, Any]] = []

    async def factory(
        *,
        clock: Clock | None = None,
        transport: WebhookTransport | None = None,
        transcriber: Transcriber | None = None,
        **overrides: Any,
    ) -> TestClient[Any, Any]:
        settings = make_settings(tmp_path, database_url, pki, **overrides)
        app = create_app(
            settings,
            clock=clock,
            transport=transport,
            rng=random.Random(7),
            transcriber=transcriber,
        )
        client: TestClient[Any, Any] = TestClient(ServedServer(app, host="127.0.0.1"))
        await client.start_server()
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.close()


@pytest.fixture
async def receivers(pki: LocalPKI) -> AsyncIterator[Callable[..., Awaitable[Receiver]]]:
    started: list[Receiver] = []

    async def start(**kwargs: Any) -> Receiver:
        receiver = await Receiver(pki, **kwargs).start()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        await receiver.stop()
