"""The GC ratchet: survivors of full collections are frozen, and a major collection reclaims
cyclic garbage that was frozen while it was still alive."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from server.heap import FULL_EVERY, GcRatchet, resident_bytes


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector can free it


@pytest.fixture
def ratchet() -> Iterator[GcRatchet]:
    r = GcRatchet(major_growth=0.5, major_interval_s=3600)
    r.start()
    yield r
    r.stop()


def test_start_freezes_the_heap_and_full_collections_freeze_their_survivors(
    ratchet: GcRatchet,
) -> None:
    assert gc.get_freeze_count() > 0 and gc.get_threshold()[2] == FULL_EVERY
    frozen = gc.get_freeze_count()
    survivors = [Node() for _ in range(1000)]
    gc.collect()
    assert gc.get_freeze_count() >= frozen + 1000 and ratchet.minors >= 1
    assert len(gc.get_objects(generation=2)) < 1000  # what the next one walks
    del survivors


def test_a_major_collection_reclaims_garbage_frozen_while_alive(ratchet: GcRatchet) -> None:
    node = Node()
    gone = weakref.ref(node)
    gc.collect()  # node survives and is frozen
    del node
    gc.collect()  # frozen objects are not walked: the cycle stays
    assert gone() is not None
    ratchet.major()
    assert gone() is None and ratchet.majors == 1


def test_a_major_is_due_on_growth_or_age(ratchet: GcRatchet) -> None:
    assert not ratchet.major_due()
    ratchet._baseline = resident_bytes() // 2  # as if memory had doubled since the last major
    assert ratchet.major_due()
    late = GcRatchet(major_growth=10.0, major_interval_s=0.0)
    assert late.major_due()


def test_stop_restores_the_collector() -> None:
    r = GcRatchet()
    r.start()
    r.stop()
    assert gc.get_freeze_count() == 0 and gc.get_threshold()[2] == 10
