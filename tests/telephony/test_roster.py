"""The tenant roster (server/telephony/roster.py): read once however many ask at once, a
change that arrives while it is being read is not lost, a failed read is tried again."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from server.telephony.roster import Roster
from server.telephony.state import AgentProfile


def profile(agent_id: str, name: str) -> AgentProfile:
    return AgentProfile(agent_id, name, "100", frozenset())


class Source:
    """The store's ``agent_profiles``, held until ``release`` (or failing once)."""

    def __init__(self, *profiles: AgentProfile) -> None:
        self.rows = list(profiles)
        self.reads = 0
        self.release = asyncio.Event()
        self.fail_next = False

    async def load(self) -> Sequence[AgentProfile]:
        self.reads += 1
        await self.release.wait()
        if self.fail_next:
            self.fail_next = False
            raise ConnectionError("database gone")
        return list(self.rows)


async def test_many_first_asks_read_once_and_then_never() -> None:
    source = Source(profile("ag_1", "Ann"))
    roster = Roster(tenant_id="tn_a", load=source.load)
    assert roster.cached() is None
    asks = [asyncio.create_task(roster.agents()) for _ in range(3)]
    await asyncio.sleep(0)
    source.release.set()
    results = await asyncio.gather(*asks)
    assert [list(r) for r in results] == [["ag_1"]] * 3
    await roster.agents()
    assert source.reads == 1
    assert roster.cached() == {"ag_1": profile("ag_1", "Ann")}


async def test_a_change_during_the_read_is_applied_after_it() -> None:
    """The read began before the row changed: its result may be stale, the change wins."""
    source = Source(profile("ag_1", "Ann"), profile("ag_2", "Bob"))
    roster = Roster(tenant_id="tn_a", load=source.load)
    reading = asyncio.create_task(roster.agents())
    await asyncio.sleep(0)
    renamed = asyncio.create_task(roster.changed("ag_1", profile("ag_1", "Ann B")))
    deleted = asyncio.create_task(roster.changed("ag_2", None))
    created = asyncio.create_task(roster.changed("ag_3", profile("ag_3", "Cy")))
    await asyncio.sleep(0)
    source.release.set()
    await asyncio.gather(reading, renamed, deleted, created)
    assert {a: p.name for a, p in (roster.cached() or {}).items()} == {
        "ag_1": "Ann B",
        "ag_3": "Cy",
    }


async def test_a_change_before_any_read_is_left_to_that_read() -> None:
    source = Source(profile("ag_1", "Ann"))
    source.release.set()
    roster = Roster(tenant_id="tn_a", load=source.load)
    await roster.changed("ag_2", profile("ag_2", "Bob"))  # nobody asked yet: nothing kept
    assert roster.cached() is None and source.reads == 0


async def test_a_failed_read_is_tried_again_by_the_next_ask() -> None:
    source = Source(profile("ag_1", "Ann"))
    source.fail_next = True
    source.release.set()
    roster = Roster(tenant_id="tn_a", load=source.load)
    with pytest.raises(ConnectionError):
        await roster.agents()
    await roster.changed("ag_1", None)  # no roster kept: left for the next read
    assert list(await roster.agents()) == ["ag_1"]
    assert source.reads == 2
