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
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from .sqlite_driver import OneTripConnection, OneTripDbapi

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
MAX_GROUP = 64  # units of work committed together at most (SQLite)
_SAVEPOINT = "sivo_unit"


class Tx:
    def __init__(self, conn: AsyncConnection) -> None:
        self.conn = conn
        self._after_commit: list[Callable[[], None]] = []
        # What sinks fanning out the same events look up once for all of them (keyed by the
        # looker-up): a fact read in this transaction stays true in it.
        self.memo: dict[object, Any] = {}

    def after_commit(self, callback: Callable[[], None]) -> None:
        if callback not in self._after_commit:
            self._after_commit.append(callback)


class _Group:
    """Units of work sharing one SQLite transaction (group commit)."""

    def __init__(self, writer: AsyncConnection, driver: OneTripConnection) -> None:
        self.writer = writer
        self.driver = driver
        self.units = 0
        self.callbacks: list[Callable[[], None]] = []
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()


def _fail(group: _Group, exc: BaseException) -> None:
    if not group.done.done():
        group.done.set_exception(exc)
        group.done.exception()  # retrieved: members that were cancelled never will


async def _uncancelled(work: Coroutine[Any, Any, None]) -> None:
    """Run ``work`` to its end even if the caller is cancelled meanwhile (then re-raised):
    a commit half-awaited would leave the writer in a state no one knows."""
    task = asyncio.ensure_future(work)
    try:
        await asyncio.shield(task)
    except asyncio.CancelledError:
        await asyncio.wait([task])
        raise


def _run_callbacks(callbacks: list[Callable[[], None]]) -> None:
    for callback in callbacks:
        try:
            callback()
        except Exception:  # one sink's hand-over must not keep the others' from theirs
            logger.exception("x an after-commit callback failed")


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
        self._group: _Group | None = None
        self._waiting = 0  # units queued for the write lock
        if self.is_sqlite:
            sa_event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            sa_event.listen(self.engine.sync_engine, "begin", _sqlite_begin)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """One unit of work, all or nothing; it has committed when the block has exited.

        On PostgreSQL each unit is its own transaction on a pooled connection. On SQLite (one
        writer) the units of this process queue in FIFO order and share transactions: a unit
        that ends while others wait leaves the transaction open for them, and the last one of
        the group commits it for all (group commit). Each unit runs in its own savepoint, so
        one that fails is rolled back alone; its caller gets the error, the others commit.
        """
        if self._write_lock is None:
            async with self.engine.connect() as conn:
                tx = Tx(conn)
                async with conn.begin():
                    yield tx
            for callback in tx._after_commit:
                callback()
            return
        async with self._writer_turn():
            group = self._group
            if group is None:
                group = await self._open_group()
            writer = group.writer
            tx = Tx(writer)
            if group.units:  # a savepoint costs no trip: it goes out with the unit's first SQL
                group.driver.defer(f"SAVEPOINT {_SAVEPOINT}")
            try:
                yield tx
            except BaseException:
                await self._undo_unit(group)
                raise
            group.units += 1
            group.callbacks.extend(tx._after_commit)
            if not self._waiting or group.units >= MAX_GROUP:
                await _uncancelled(self._commit_group(group))
        if not group.done.done():
            # Others were queued: the group is theirs to finish. Come back in turn (FIFO, so
            # after them) and commit it if no one has; shielded, so that a cancelled caller
            # never leaves the writer holding SQLite's write lock.
            await asyncio.shield(self._finish_group(group))
        group.done.result()  # the commit's error, if it failed, is every member's

    @contextlib.asynccontextmanager
    async def _writer_turn(self) -> AsyncIterator[None]:
        lock = self._write_lock
        if lock is None:
            raise RuntimeError("only SQLite queues for a writer")
        self._waiting += 1
        try:
            await lock.acquire()
        finally:
            self._waiting -= 1
        try:
            yield
        finally:
            lock.release()

    async def _open_group(self) -> _Group:
        if self._writer is None:
            self._writer = await self.engine.connect()
            await self._writer.execution_options(sqlite_begin="IMMEDIATE")
        raw = await self._writer.get_raw_connection()
        driver: Any = raw.dbapi_connection
        if not isinstance(driver, OneTripConnection):
            raise RuntimeError(f"SQLite is used through sqlite+aiosqlite, not {self.url}")
        if self._writer.in_transaction():  # left by an opener cancelled during its BEGIN
            await self._writer.rollback()
        await self._writer.begin()
        self._group = _Group(self._writer, driver)
        return self._group

    async def _undo_unit(self, group: _Group) -> None:
        """A unit failed: roll it back alone, or the whole transaction if it was the first."""
        if group.units == 0:
            self._group = None
            await group.writer.rollback()
        elif not group.driver.drop_deferred():  # its savepoint went out: go back to it
            try:
                await group.writer.exec_driver_sql(f"ROLLBACK TO {_SAVEPOINT}")
            except BaseException:
                self._group = None
                await group.writer.rollback()
                _fail(group, RuntimeError("the group's transaction was rolled back"))
                raise

    async def _commit_group(self, group: _Group) -> None:
        self._group = None
        group.driver.drop_deferred()
        try:
            await group.writer.commit()
        except Exception as exc:
            with contextlib.suppress(Exception):
                await group.writer.rollback()
            _fail(group, exc)
            return
        group.done.set_result(None)
        _run_callbacks(group.callbacks)  # in commit order, as one transaction each would

    async def _finish_group(self, group: _Group) -> None:
        async with self._writer_turn():
            if self._group is group:
                await self._commit_group(group)

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
