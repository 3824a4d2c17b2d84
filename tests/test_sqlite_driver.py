"""The one-trip aiosqlite cursor: what SQLAlchemy reads of a statement, in one trip each."""

from __future__ import annotations

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
    trips = 0
    real = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: object, *args: object) -> object:
        nonlocal trips
        trips += 1
        return await real(self, fn, *args)  # type: ignore[arg-type]

    async with db.read() as conn:
        await conn.execute(select(things))  # the connection's first use: its set-up
        monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
        await conn.execute(select(things))
        await conn.execute(select(things.c.id))
    assert trips == 3  # the two selects, and the rollback that returns the connection
