"""FeedTrack: bounded queue, local audio priority, continuous timestamps."""

from __future__ import annotations

import asyncio

from server.media.feed import FeedTrack
from server.media.sdpinfo import CodecInfo

OPUS = CodecInfo("opus", 48000, 2, 111)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_queue_drops_oldest_and_timestamps_stay_continuous() -> None:
    clock = FakeClock()
    feed = FeedTrack(codec=OPUS, max_queue=2, clock=clock, label="t")
    for i in range(4):
        feed.push(("a", 1), 5000 + 960 * i, bytes([i]))
    assert feed.dropped == 2
    first, second = await feed.recv(), await feed.recv()
    assert (bytes(first), bytes(second)) == (b"\x02", b"\x03")
    assert (first.pts, second.pts) == (0, 960)
    clock.now += 0.04
    feed.push(("b", 7), 123, b"\x09")  # new source (transfer): re-based
    assert (await feed.recv()).pts == 960 + 1920


async def test_local_audio_preempts_bridged_packets_and_is_paced() -> None:
    loop = asyncio.get_running_loop()
    feed = FeedTrack(codec=OPUS, max_queue=4, clock=loop.time, label="t")
    feed.push(("a", 1), 0, b"bridged")
    feed.play([b"d1", b"d2"])  # DTMF clears and blocks the bridged queue
    feed.push(("a", 1), 960, b"ignored")
    start = loop.time()
    assert [bytes(await feed.recv()) for _ in range(2)] == [b"d1", b"d2"]
    assert loop.time() - start >= 0.015  # second packet waited ~20 ms
    feed.set_hold([b"h"])
    assert bytes(await feed.recv()) == b"h"
    feed.set_hold([])
    feed.push(("a", 1), 1920, b"back")
    assert bytes(await feed.recv()) == b"back"
    feed.stop()
