"""Two-channel call recordings, decoded off the event loop."""

from __future__ import annotations

import asyncio
import wave

import numpy as np

from server.media import MediaEngine

from .audio import band_ratio
from .conftest import PeerFactory
from .peers import caller_and_two_agents, connect_leg


def _read_stereo(path: object) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as wav:
        assert wav.getnchannels() == 2 and wav.getsampwidth() == 2
        rate = wav.getframerate()
        data = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").reshape(-1, 2)
    return data, rate


async def test_recording_has_caller_left_and_agent_right(
    engine: MediaEngine, peers: PeerFactory
) -> None:
    caller, agent = peers("caller", 440.0), peers("agent", 1000.0)
    await connect_leg(engine, "caller", caller)
    await connect_leg(engine, "agent", agent)
    await engine.bridge("caller", "agent")
    handle = engine.start_recording("call-1", "caller")
    await asyncio.sleep(1.5)
    recording = await engine.stop_recording("call-1")

    assert recording.path == handle.path and recording.path.name == "call-1.wav"
    assert recording.channels == 2
    assert 1.3 < recording.duration_s < 1.9
    data, rate = _read_stereo(recording.path)
    assert abs(len(data) / rate - recording.duration_s) < 0.01
    body = data[rate // 2 : rate // 2 + rate // 2]  # skip connection start-up
    assert band_ratio(body[:, 0], 440, rate=rate) > 0.8
    assert band_ratio(body[:, 1], 1000, rate=rate) > 0.8


async def test_recording_follows_transfer_and_is_closed_on_shutdown(
    engine: MediaEngine, peers: PeerFactory
) -> None:
    """The right channel is what the caller hears: agent A, then agent B."""
    caller, agent_a, agent_b = await caller_and_two_agents(engine, peers)
    engine.start_recording("call-2", "caller")
    await asyncio.sleep(1.0)
    await engine.bridge("caller", "b")
    await asyncio.sleep(1.0)
    recording = await engine.stop_recording("call-2")
    data, rate = _read_stereo(recording.path)
    first, second = data[int(0.3 * rate) : int(0.9 * rate)], data[-int(0.7 * rate) :]
    assert band_ratio(first[:, 1], 1000, rate=rate) > 0.7
    assert band_ratio(second[:, 1], 1500, rate=rate) > 0.7
    assert band_ratio(second[:, 0], 440, rate=rate) > 0.7
