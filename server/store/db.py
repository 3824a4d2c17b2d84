"""The database: one async SQLAlchemy engine, transactions with after-commit hooks, migrations.

Stores use SQLAlchemy Core on an ``AsyncConnection``; functions that run inside a transaction
take a ``Tx`` and end in ``_txn``. A ``Tx`` collects callbacks to run once the transaction has
committed (the outbox uses this to wake the dispatcher only for events that really exist).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping, Sequence
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event as sa_event
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.sql.dml import UpdateBase

from .sqlite_driver import OneTripConnection, OneTripDbapi

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
MAX_GROUP = 64  # units of work committed together at most (SQLite)
CHECKPOINT_EVERY = 200  # group commits between two WAL checkpoints (SQLite)
_SAVEPOINT = "sivo_unit"


class Tx:
    def __init__(self, conn: AsyncConnection, raw: OneTripConnection | None = None) -> None:
        self.conn = conn
        self._raw = raw  # SQLite's inline writer (sqlite_driver.py), for write()
        self._after_commit: list[Callable[[], None]] = []
        # What sinks fanning out the same events look up once for all of them (keyed by the
        # looker-up): a fact read in this transaction stays true in it.
        self.memo: dict[object, Any] = {}

    async def write(self, statement: UpdateBase, rows: Sequence[Mapping[str, Any]]) -> int:
        """A hot path's INSERT, UPDATE or DELETE, once per row of ``rows`` (all with the same
        keys); returns how many rows it changed.

        On SQLite's writer the statement's SQL, compiled once, goes to sqlite3 itself on the
        loop's thread, without SQLAlchemy's execution around it (cache key, parameters,
        result), which costs many times what SQLite takes to insert the rows
        (``bench/webhook_costs.py``: with the writer inline and the hot statements built
        once, an emit went from 2,592 to 1,005 µs of CPU). Elsewhere (PostgreSQL) it is
        SQLAlchemy's ``execute``.
        """
        if not rows:
            return 0
        if self._raw is not None:
            sql, names, processors = _sqlite_plan(statement, tuple(rows[0]))
            values = [tuple(row[name] for name in names) for row in rows]
            if processors:
                values = [
                    tuple(
                        p(v) if p is not None else v for p, v in zip(processors, row, strict=True)
                    )
                    for row in values
                ]
            return self._raw.execute_now(sql, values)
        result = await self.conn.execute(statement, list(rows) if len(rows) > 1 else rows[0])
        return int(result.rowcount)

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
        self._commits = 0  # group commits since the last checkpoint began
        self._checkpoint: asyncio.Task[None] | None = None
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
            tx = Tx(writer, group.driver)
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
        if not driver.inline:
            driver.run_inline()  # the writer's statements run on the loop (sqlite_driver.py)
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
        self._commits += 1
        if self._commits >= CHECKPOINT_EVERY and self._checkpoint is None:
            self._commits = 0
            self._checkpoint = asyncio.ensure_future(self._checkpoint_wal())
        _run_callbacks(group.callbacks)  # in commit order, as one transaction each would

    async def _checkpoint_wal(self) -> None:
        """Write the WAL back into the database file, on a reader's connection (SQLite's
        thread, never the loop: it syncs). The writer does not checkpoint itself (its
        ``wal_autocheckpoint`` is 0); PASSIVE never waits for a reader or the writer, and
        what it cannot copy yet is copied by the next one."""
        try:
            async with self.engine.connect() as conn:
                await conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        except Exception:  # the next one retries; the WAL only grows meanwhile
            logger.warning("x WAL checkpoint failed", exc_info=True)
        finally:
            self._checkpoint = None

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
        if self._checkpoint is not None:
            await asyncio.wait([self._checkpoint])
        if self._writer is not None:
            await self._writer.close()
            self._writer = None
        await self.engine.dispose()


_SQLITE = sqlite_dialect(paramstyle="qmark")


@functools.lru_cache(maxsize=256)
def _sqlite_plan(
    statement: UpdateBase, keys: tuple[str, ...]
) -> tuple[str, tuple[str, ...], tuple[Callable[[Any], Any] | None, ...]]:
    """``statement`` compiled for SQLite with ``keys`` as its parameters: its SQL, the order
    of its parameters and each one's value processor (SQLite's Boolean makes an int)."""
    compiled = statement.compile(dialect=_SQLITE, column_keys=list(keys))
    names = tuple(compiled.positiontup or ())
    missing = [name for name in names if name not in keys]
    if missing:  # a column default SQLAlchemy would have filled in: callers give every value
        raise ValueError(f"Tx.write needs a value for {missing} in {compiled.string}")
    types = [compiled.binds[name].type.dialect_impl(_SQLITE) for name in names]
    processors = tuple(kind.bind_processor(_SQLITE) for kind in types)
    return compiled.string, names, processors if any(processors) else ()


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
