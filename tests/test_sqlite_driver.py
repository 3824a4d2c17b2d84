"""The one-trip aiosqlite cursor: what SQLAlchemy reads of a statement, in one trip each."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path

import aiosqlite
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, update
from sqlalchemy.exc import IntegrityError

from server.store.db import Database

metadata = MetaData()
things = Table(
    "things",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String, unique=True, nullable=False),
)


@pytest.fixture
async def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/t.db")
    async with database.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield database  # type: ignore[misc]
    await database.close()


async def test_rows_rowcount_lastrowid_and_many(db: Database) -> None:
    """Inserts (one and many), an update's rowcount, the rows of a select, in order."""
    async with db.transaction() as tx:
        first = await tx.conn.execute(insert(things).values(name="a"))
        assert first.inserted_primary_key == (1,)
        await tx.conn.execute(insert(things), [{"name": "b"}, {"name": "c"}])
        changed = await tx.conn.execute(
            update(things).where(things.c.id > 1).values(name=things.c.name + "!")
        )
        assert changed.rowcount == 2
    async with db.read() as conn:
        rows = (await conn.execute(select(things.c.id).order_by(things.c.id))).scalars().all()
        assert rows == [1, 2, 3]
        assert (await conn.execute(select(things).where(things.c.id == 9))).first() is None


async def test_errors_are_the_dbapi_errors_and_roll_back(db: Database) -> None:
    """A constraint failure raises IntegrityError and leaves nothing of its transaction."""
    with pytest.raises(IntegrityError):
        async with db.transaction() as tx:
            await tx.conn.execute(insert(things).values(name="x"))
            await tx.conn.execute(insert(things).values(name="x"))
    async with db.read() as conn:
        assert (await conn.execute(select(things))).first() is None


async def test_one_trip_per_statement(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """A select costs one trip to the SQLite thread (SQLAlchemy's own adapter makes four)."""
    async with db.read() as conn:
        await conn.execute(select(things))  # the connection's first use: its set-up
        trips = _count_trips(monkeypatch)
        await conn.execute(select(things))
        await conn.execute(select(things.c.id))
    assert trips() == 3  # the two selects, and the rollback that returns the connection


def _count_trips(monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """From now on, count the trips to SQLite's thread; returns how many so far."""
    trips = 0
    real = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: object, *args: object) -> object:
        nonlocal trips
        trips += 1
        return await real(self, fn, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return lambda: trips


async def test_the_writer_makes_no_trip(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """The writer's statements, savepoints and commits run on the loop's thread: a group of
    units makes no trip to SQLite's thread once the writer is open."""
    async with db.transaction() as tx:  # opens the writer (its set-up may use the thread)
        await tx.conn.execute(insert(things).values(name="first"))
    trips = _count_trips(monkeypatch)

    async def unit(name: str) -> None:
        async with db.transaction() as tx:
            await tx.conn.execute(insert(things).values(name=name))

    await asyncio.gather(*(unit(f"u{i}") for i in range(5)))
    with pytest.raises(IntegrityError):
        await unit("u0")  # rolled back alone, inline too
    assert trips() == 0
    monkeypatch.undo()
    async with db.read() as conn:
        names = (await conn.execute(select(things.c.name))).scalars().all()
    assert sorted(names) == ["first", "u0", "u1", "u2", "u3", "u4"]


async def test_a_begin_that_finds_another_writer_waits_off_the_loop(tmp_path: Path) -> None:
    """Another process holds SQLite's write lock: the writer's BEGIN IMMEDIATE waits for it on
    SQLite's thread (busy timeout), while the event loop goes on running, and then commits."""
    path = tmp_path / "t.db"
    first, other = (Database(f"sqlite+aiosqlite:///{path}") for _ in range(2))
    try:
        async with first.engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        async with first.transaction() as tx:  # the writer is open and inline
            await tx.conn.execute(insert(things).values(name="a"))
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("INSERT INTO things (name) VALUES ('held')")

        async def write() -> None:
            async with first.transaction() as tx:
                await tx.conn.execute(insert(things).values(name="b"))

        writing = asyncio.ensure_future(write())
        ticks = 0
        while ticks < 20:  # the loop is not blocked while the BEGIN waits
            await asyncio.sleep(0.01)
            ticks += 1
        assert not writing.done()
        holder.execute("COMMIT")
        holder.close()
        await asyncio.wait_for(writing, 5)
        async with other.read() as conn:
            names = (await conn.execute(select(things.c.name))).scalars().all()
        assert sorted(names) == ["a", "b", "held"]
    finally:
        await first.close()
        await other.close()
