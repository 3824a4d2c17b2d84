"""Group commit on SQLite: units of work queued together share one transaction, each unit
still all or nothing, and each caller returns only once its unit has committed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, event, insert, select
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
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/t.db")
    async with database.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield database
    await database.close()


def count_commits(db: Database) -> list[int]:
    commits = [0]

    def on_commit(_conn: object) -> None:
        commits[0] += 1

    event.listen(db.engine.sync_engine, "commit", on_commit)
    return commits


async def names(db: Database) -> list[str]:
    async with db.read() as conn:
        return list((await conn.execute(select(things.c.name).order_by(things.c.id))).scalars())


async def test_queued_units_commit_together(db: Database) -> None:
    """Eight concurrent units: every row is there when each caller returns, in fewer commits."""
    commits = count_commits(db)

    async def unit(i: int) -> None:
        async with db.transaction() as tx:
            await tx.conn.execute(insert(things).values(name=f"n{i}"))
        assert f"n{i}" in await names(db)  # committed by the time the block has exited

    await asyncio.gather(*(unit(i) for i in range(8)))
    assert await names(db) == [f"n{i}" for i in range(8)]
    assert commits[0] < 8


async def test_a_failing_unit_is_rolled_back_alone(db: Database) -> None:
    """The third unit breaks a constraint: its caller gets the error, the others commit."""

    async def unit(i: int, name: str) -> None:
        async with db.transaction() as tx:
            await tx.conn.execute(insert(things).values(name=f"{name}-a"))
            await tx.conn.execute(insert(things).values(name=name))

    results = await asyncio.gather(
        unit(0, "x"), unit(1, "y"), unit(2, "x"), unit(3, "z"), return_exceptions=True
    )
    assert [type(r) for r in results] == [type(None), type(None), IntegrityError, type(None)]
    assert await names(db) == ["x-a", "x", "y-a", "y", "z-a", "z"]


async def test_a_failing_first_unit_and_an_exception_without_sql(db: Database) -> None:
    """The group's first unit fails, the next fails before any SQL: the rest still commit."""

    async def unit(i: int) -> None:
        async with db.transaction() as tx:
            if i == 1:
                raise ValueError("refused before writing")
            await tx.conn.execute(insert(things).values(name="same" if i < 3 else f"n{i}"))
            if i == 0:
                await tx.conn.execute(insert(things).values(name="same"))

    results = await asyncio.gather(*(unit(i) for i in range(5)), return_exceptions=True)
    assert [type(r).__name__ for r in results] == [
        "IntegrityError",
        "ValueError",
        "NoneType",
        "NoneType",
        "NoneType",
    ]
    assert await names(db) == ["same", "n3", "n4"]


async def test_after_commit_callbacks_run_in_unit_order(db: Database) -> None:
    """Each unit's callbacks run after the commit, in the order the units ran."""
    order: list[int] = []

    async def unit(i: int) -> None:
        async with db.transaction() as tx:
            await tx.conn.execute(insert(things).values(name=f"n{i}"))
            tx.after_commit(lambda: order.append(i))
            assert order == [] or max(order) < i

    await asyncio.gather(*(unit(i) for i in range(6)))
    assert order == list(range(6))


async def test_a_cancelled_member_still_lets_the_group_commit(db: Database) -> None:
    """A caller cancelled while its group waits to commit: the others' units still commit."""
    started = asyncio.Event()

    async def unit(i: int) -> None:
        async with db.transaction() as tx:
            await tx.conn.execute(insert(things).values(name=f"n{i}"))
            if i == 0:
                started.set()

    first = asyncio.ensure_future(unit(0))
    others = [asyncio.ensure_future(unit(i)) for i in range(1, 4)]
    await started.wait()
    first.cancel()
    await asyncio.gather(*others)
    await asyncio.gather(first, return_exceptions=True)
    assert {"n1", "n2", "n3"} <= set(await names(db))
    async with db.transaction() as tx:  # the writer is free again
        await tx.conn.execute(insert(things).values(name="after"))
    assert "after" in await names(db)
