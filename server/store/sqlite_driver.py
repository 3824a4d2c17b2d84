"""SQLAlchemy's aiosqlite adapter, one trip to the SQLite thread per statement.

aiosqlite runs every call on its own thread; each ``await`` on it is a queue put there and a
``call_soon_threadsafe`` wake-up back, a few tens of microseconds of event-loop work each.
SQLAlchemy's adapter makes four such trips per statement (create the cursor, execute, fetch
the rows, close the cursor). This cursor makes one: the statement runs, its rows are fetched
and its cursor closed in a single function on the SQLite thread, and what SQLAlchemy asks of
the cursor afterwards (description, rowcount, lastrowid, the rows) is answered from memory.
Profiled on the webhook flood, the trips were a quarter of the event loop's busy time.

The adapter classes are SQLAlchemy's (``sqlalchemy.dialects.sqlite.aiosqlite``, pinned in
requirements.lock); ``tests/test_sqlite_driver.py`` checks what this relies on.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

# description, rowcount, lastrowid, rows: all SQLAlchemy reads of a finished statement.
_Done = tuple[Any, int, int | None, list[Any]]


def _run(
    conn: sqlite3.Connection, before: list[str], many: bool, operation: str, parameters: Any
) -> _Done:
    """On the SQLite thread: the statements deferred until now, then the whole life of one
    cursor."""
    for sql in before:
        conn.execute(sql).close()
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, () if parameters is None else parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        return description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class _OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ("_description", "_rowcount", "_lastrowid")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # No aiosqlite cursor (that would be a trip): the statement makes its own.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return 1

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        pass

    async def _async_soft_close(self) -> None:
        pass  # nothing is open: the rows are in memory already

    def close(self) -> None:
        self._rows.clear()

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        try:
            return await_(self._once(False, operation, parameters))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        try:
            return await_(self._once(True, operation, seq_of_parameters))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    async def _once(self, many: bool, operation: str, parameters: Any) -> None:
        driver: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        adapted = self._adapt_connection
        async with adapted._execute_mutex:
            before: list[str] = []
            if isinstance(adapted, OneTripConnection):
                before, adapted.deferred = adapted.deferred, before
            if isinstance(adapted, OneTripConnection) and adapted.inline:
                done = await adapted.run_here(before, many, operation, parameters)
            else:
                done = await driver._execute(  # type: ignore[no-untyped-call]
                    _thread_run, driver, before, many, operation, parameters
                )
        self._description, self._rowcount, self._lastrowid, rows = done
        self._rows = collections.deque(rows)


def _thread_run(
    driver: aiosqlite.Connection, before: list[str], many: bool, operation: str, parameters: Any
) -> _Done:
    return _run(driver._conn, before, many, operation, parameters)


def _thread_run_waiting(driver: aiosqlite.Connection, timeout_ms: int, operation: str) -> _Done:
    """On the SQLite thread: ``operation`` (a BEGIN) with the busy timeout, then none again."""
    conn = driver._conn
    conn.execute(f"PRAGMA busy_timeout={int(timeout_ms)}").close()
    try:
        return _run(conn, [], False, operation, None)
    finally:
        conn.execute("PRAGMA busy_timeout=0").close()


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """The adapted connection; statements can be deferred to go out with the next one.

    An ``inline`` connection (the writer, :meth:`run_inline`) runs its statements on the
    calling thread, the event loop's, without a trip at all. A trip is a queue put to
    SQLite's thread and a wake-up back; under load each one also hands the GIL between the
    two threads, and profiled on the webhook flood the loop spent a quarter of its samples
    waiting in that put. A write statement of this project is tens of microseconds of
    SQLite (WAL, ``synchronous=NORMAL``: a commit does not sync), far less than the trip.
    Two things could wait long, and stay off the loop: ``BEGIN IMMEDIATE`` waits for
    another process's write lock (``busy_timeout``), so it still goes to SQLite's thread;
    and the checkpoint, which writes the WAL back and syncs, is turned off on the writer
    (``wal_autocheckpoint=0``) and run by :class:`server.store.db.Database` on a reader.
    Once BEGIN IMMEDIATE holds the lock, nothing in a WAL transaction waits for anyone.
    """

    __slots__ = ("deferred", "inline", "busy_timeout_ms")
    _cursor_cls = _OneTripCursor  # type: ignore[assignment]

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self.deferred: list[str] = []
        self.inline = False
        self.busy_timeout_ms = 0

    def run_inline(self) -> None:
        """From now on, run statements, commits and rollbacks on the calling thread (the
        connection must have been opened with ``check_same_thread=False``)."""
        conn = self._sqlite()
        conn.execute("PRAGMA wal_autocheckpoint=0").close()
        (self.busy_timeout_ms,) = conn.execute("PRAGMA busy_timeout").fetchone()
        conn.execute("PRAGMA busy_timeout=0").close()  # inline, SQLite never waits (BEGIN below)
        self.inline = True

    async def run_here(
        self, before: list[str], many: bool, operation: str, parameters: Any
    ) -> _Done:
        """One statement on this thread. A BEGIN that finds another process writing does
        not wait here: it waits on SQLite's thread, for up to the connection's busy
        timeout, as every statement used to."""
        try:
            return _run(self._sqlite(), before, many, operation, parameters)
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode != sqlite3.SQLITE_BUSY or not operation.startswith("BEGIN"):
                raise
        driver: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        done: _Done = await driver._execute(  # type: ignore[no-untyped-call]
            _thread_run_waiting, driver, self.busy_timeout_ms, operation
        )
        return done

    def _sqlite(self) -> sqlite3.Connection:
        conn: sqlite3.Connection = self._connection._conn
        return conn

    def execute_now(self, sql: str, rows: list[tuple[Any, ...]]) -> int:
        """``sql`` for each of ``rows`` (executemany) right here, after what was deferred;
        the number of rows changed. For :meth:`server.store.db.Tx.write`, on the inline
        writer only."""
        if not self.inline or self._execute_mutex.locked():
            raise RuntimeError("execute_now runs on the inline writer, between statements")
        before, self.deferred = self.deferred, []
        try:
            return _run(self._sqlite(), before, True, sql, rows)[1]
        except sqlite3.Error as error:  # as SQLAlchemy would raise it (IntegrityError, ...)
            raise DBAPIError.instance(sql, rows, error, sqlite3.Error) from error

    def commit(self) -> None:
        self._end("commit", super().commit)

    def rollback(self) -> None:
        self._end("rollback", super().rollback)

    def _end(self, how: str, through_thread: Callable[[], None]) -> None:
        """Commit or roll back: inline on sqlite3 itself, else as SQLAlchemy's adapter does."""
        if not self.inline:
            through_thread()
            return
        try:
            getattr(self._sqlite(), how)()
        except Exception as error:
            self._handle_exception(error)

    def defer(self, sql: str) -> None:
        """Run ``sql`` (no parameters, no rows: a SAVEPOINT) just before the next statement,
        in the same trip."""
        self.deferred.append(sql)

    def drop_deferred(self) -> bool:
        """Forget what was deferred and has not gone out; True if there was any."""
        had = bool(self.deferred)
        self.deferred = []
        return had


class OneTripDbapi(AsyncAdapt_aiosqlite_dbapi):
    """Pass as ``create_async_engine(url, module=OneTripDbapi())`` for a sqlite+aiosqlite URL."""

    def __init__(self) -> None:
        super().__init__(aiosqlite, sqlite3)

    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        # One caller at a time uses a connection (the pool's checkout, the writer's lock), but
        # the writer's is used from two threads in turn: SQLite's and, inline, the loop's.
        kw.setdefault("check_same_thread", False)
        connection = aiosqlite.connect(*arg, **kw)
        connection._thread.daemon = True  # as SQLAlchemy's own connect() does
        return OneTripConnection(self, await_(connection))
