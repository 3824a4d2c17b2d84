"""FeedTrack with a writer (the engine's direct path): sent at once, local audio paced."""

from __future__ import annotations

import asyncio

from server.media.feed import FeedTrack
from server.media.sdpinfo import CodecInfo

OPUS = CodecInfo("opus", 48000, 2, 111)


class Writer:
    def __init__(self) -> None:
        self.sent: list[tuple[float, int, bytes]] = []
        self.accepting = True

    def __call__(self, timestamp: int, payload: bytes) -> bool:
        if self.accepting:
            self.sent.append((asyncio.get_running_loop().time(), timestamp, payload))
        return self.accepting


async def test_bridged_packets_are_written_at_once_with_continuous_timestamps() -> None:
    loop = asyncio.get_running_loop()
    feed = FeedTrack(codec=OPUS, max_queue=2, clock=loop.time, label="t")
    writer = Writer()
    observed: list[bytes] = []
    feed.observer = observed.append
    feed.attach(writer)
    for i in range(4):  # more than max_queue: nothing queues, nothing is dropped
        feed.push(("a", 1), 5000 + 960 * i, bytes([i]))
    assert [(t, p) for _, t, p in writer.sent] == [(960 * i, bytes([i])) for i in range(4)]
    assert (feed.sent, feed.dropped) == (4, 0)
    assert observed == [bytes([i]) for i in range(4)]
    writer.accepting = False  # e.g. not connected yet
    feed.push(("a", 1), 5000 + 960 * 4, b"\x04")
    assert (feed.sent, feed.dropped) == (4, 1)
    assert observed == [bytes([i]) for i in range(4)]
    feed.stop()


async def test_local_audio_preempts_bridged_packets_and_is_paced() -> None:
    loop = asyncio.get_running_loop()
    feed = FeedTrack(codec=OPUS, max_queue=4, clock=loop.time, label="t")
    writer = Writer()
    feed.attach(writer)
    feed.play([b"d1", b"d2"])
    feed.push(("a", 1), 960, b"ignored")  # DTMF blocks bridged audio
    await asyncio.sleep(0.06)
    assert [p for _, _, p in writer.sent] == [b"d1", b"d2"]
    assert writer.sent[1][0] - writer.sent[0][0] >= 0.015  # paced at 20 ms
    assert writer.sent[1][1] - writer.sent[0][1] == 960

    feed.set_hold([b"h"])
    await asyncio.sleep(0.07)
    held = [p for _, _, p in writer.sent[2:]]
    assert held and set(held) == {b"h"}
    feed.set_hold([])
    await asyncio.sleep(0.03)
    count = len(writer.sent)
    feed.push(("a", 1), 1920, b"back")
    assert writer.sent[count:] and writer.sent[-1][2] == b"back"
    feed.stop()


async def test_stop_ends_local_playout() -> None:
    loop = asyncio.get_running_loop()
    feed = FeedTrack(codec=OPUS, max_queue=4, clock=loop.time, label="t")
    writer = Writer()
    feed.attach(writer)
    feed.set_hold([b"h"])
    await asyncio.sleep(0.03)
    feed.stop()
    count = len(writer.sent)
    await asyncio.sleep(0.05)
    assert len(writer.sent) == count
