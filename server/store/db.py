"""The database: one async SQLAlchemy engine, transactions with after-commit hooks, migrations.

Stores use SQLAlchemy Core on an ``AsyncConnection``; functions that run inside a transaction
take a ``Tx`` and end in ``_txn``. A ``Tx`` collects callbacks to run once the transaction has
committed (the outbox uses this to wake the dispatcher only for events that really exist).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from .sqlite_driver import OneTripDbapi

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


class Tx:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self._after_commit: list[Callable[[], None]] = []

    def after_commit(self, callback: Callable[[], None]) -> None:
        if callback not in self._after_commit:
            self._after_commit.append(callback)


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {}
        if self.is_sqlite:
            path = url.split("///", 1)[1] if "///" in url else ""
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
                _private_file(Path(path))
            if url.startswith("sqlite+aiosqlite"):
                kwargs.update(module=OneTripDbapi())  # one trip to SQLite's thread per statement
        else:
            kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        self._write_lock = asyncio.Lock() if self.is_sqlite else None
        self._writer: AsyncConnection | None = None
        if self.is_sqlite:
            sa_event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            sa_event.listen(self.engine.sync_engine, "begin", _sqlite_begin)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        if self._write_lock is None:
            async with self.engine.connect() as conn:
                tx = Tx(conn)
                async with conn.begin():
                    yield tx
        else:
            # SQLite has one writer. This process's writers queue here in FIFO order on one
            # long-lived connection: no pool checkout per transaction, and no trips through
            # SQLite's busy handler, which sleeps up to 100 ms between lock retries.
            async with self._write_lock:
                if self._writer is None:
                    self._writer = await self.engine.connect()
                    await self._writer.execution_options(sqlite_begin="IMMEDIATE")
                tx = Tx(self._writer)
                async with self._writer.begin():
                    yield tx
        for callback in tx._after_commit:
            callback()

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            yield conn

    async def upgrade(self) -> None:
        """Bring the schema to the newest migration (``sivo db upgrade``; also run on start)."""
        async with self.engine.begin() as conn:
            await conn.run_sync(_upgrade_sync)

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.exec_driver_sql("SELECT 1")
            return True
        except Exception:  # any driver failure means "not reachable"
            logger.warning("x database ping failed", exc_info=True)
            return False

    async def close(self) -> None:
        if self._writer is not None:
            await self._writer.close()
            self._writer = None
        await self.engine.dispose()


def _private_file(path: Path) -> None:
    """The database holds secrets (encrypted, but still): readable by its owner only.

    SQLite gives its -wal and -shm files the database file's mode, so this covers them.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def _upgrade_sync(conn: Connection) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, "head")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # let SQLAlchemy's "begin" hook issue BEGIN itself
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable across process crashes
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    # Writers take the lock at BEGIN (IMMEDIATE) and queue on busy_timeout; readers begin
    # DEFERRED and, under WAL, never wait for a writer.
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")
