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
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
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
            done: _Done = await driver._execute(  # type: ignore[no-untyped-call]
                _thread_run, driver, before, many, operation, parameters
            )
        self._description, self._rowcount, self._lastrowid, rows = done
        self._rows = collections.deque(rows)


def _thread_run(
    driver: aiosqlite.Connection, before: list[str], many: bool, operation: str, parameters: Any
) -> _Done:
    return _run(driver._conn, before, many, operation, parameters)


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """The adapted connection; statements can be deferred to go out with the next one."""

    __slots__ = ("deferred",)
    _cursor_cls = _OneTripCursor  # type: ignore[assignment]

    def __init__(self, dbapi: Any, connection: Any) -> None:
        super().__init__(dbapi, connection)
        self.deferred: list[str] = []

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
        connection = aiosqlite.connect(*arg, **kw)
        connection._thread.daemon = True  # as SQLAlchemy's own connect() does
        return OneTripConnection(self, await_(connection))
