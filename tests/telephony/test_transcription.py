"""Live transcription through the real server: aiortc phones on both legs, the media tap, the
segmenter, an engine, the outbox and the API.

The engine here names the tone it hears (440 Hz: the caller's, 1 kHz: the agent's), so what
the pipeline does is checked exactly; the real engine on real speech is checked end to end
with Salesforce in tests/salesforce/test_transcript_e2e.py.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select

from server.store.tables import events
from server.transcription.engine import Recognized, TranscriptionError
from server.transcription.segmenter import Pcm
from server.transcription.transcripts import Said
from tests.conftest import AppFactory
from tests.media.audio import dominant_frequency
from tests.media.peers import LoopbackPeer
from tests.support.api import new_tenant

from .conftest import Center, Phone, answer, dial, open_center

WORDS = {440.0: "hello this is the caller", 1000.0: "hi this is the agent"}


class ToneNamer:
    """A Transcriber that says which of the test tones an utterance holds."""

    def __init__(self) -> None:
        self.heard: list[float] = []
        self.starts = 0

    async def start(self) -> None:
        self.starts += 1

    async def transcribe(self, samples: Pcm, rate: int) -> Recognized:
        tone = dominant_frequency(samples.astype(np.int16), rate=rate)
        self.heard.append(tone)
        for frequency, text in WORDS.items():
            if abs(tone - frequency) < 30:
                return Recognized(text=text, confidence=0.9)
        raise TranscriptionError(f"no test tone at {tone:.0f} Hz")


@pytest.fixture
async def transcribing(make_client: AppFactory) -> AsyncIterator[tuple[Center, ToneNamer]]:
    engine = ToneNamer()
    async with open_center(make_client, transcriber=engine) as center:
        yield center, engine


async def _connected_call(center: Center) -> tuple[str, str, Phone, LoopbackPeer, LoopbackPeer]:
    agent, agent_id = await center.agent("ann")
    caller = await center.web_phone()
    call_id, caller_peer = await dial(center, caller, None)
    await agent.wait_for("call.ringing")
    agent_peer = await answer(agent, call_id, None)
    await caller_peer.wait_connected()
    await caller.wait_for("call.updated", lambda d: d["state"] == "connected")
    return call_id, agent_id, agent, caller_peer, agent_peer


async def _say(peer: LoopbackPeer, frequency: float, seconds: float = 0.6) -> None:
    """A tone for ``seconds``, then the silence that ends the utterance (0.5 s hangover)."""
    peer.set_frequency(frequency)
    await asyncio.sleep(seconds)
    peer.set_frequency(None)
    await asyncio.sleep(0.9)


async def test_the_engine_loads_while_the_first_call_rings_and_at_start_once_in_use(
    make_client: AppFactory, transcribing: tuple[Center, ToneNamer]
) -> None:
    center, engine = transcribing
    assert engine.starts == 0  # no tenant transcribes: no model loaded for nothing
    await center.api("PUT", "/api/v1/telephony/settings", {"transcribe_calls": True})
    agent, _ = await center.agent("ann")
    caller = await center.web_phone()
    call_id, _ = await dial(center, caller, None)
    await agent.wait_for("call.ringing")
    await center.until(lambda: engine.starts == 1)  # before anyone has said a word
    await caller.ok("call.hangup", {"call_id": call_id})
    await center.services.live_transcription.idle()
    assert engine.starts == 1  # once per process, not per call

    restarted = ToneNamer()
    await make_client(transcriber=restarted)  # the same database: a tenant transcribes
    await center.until(lambda: restarted.starts == 1)


async def test_both_parties_turn_by_turn_and_nothing_on_hold(
    transcribing: tuple[Center, ToneNamer],
) -> None:
    center, engine = transcribing
    await center.api("PUT", "/api/v1/telephony/settings", {"transcribe_calls": True})
    call_id, agent_id, agent, caller_peer, agent_peer = await _connected_call(center)

    await _say(caller_peer, 440.0)
    await _say(agent_peer, 1000.0)
    live = await center.api("GET", f"/api/v1/calls/{call_id}/transcript")
    assert live["state"] == "live"
    await center.until(lambda: len(engine.heard) >= 2, timeout=5)  # while the call goes on

    await agent.ok("call.hold", {"call_id": call_id, "on": True})
    await _say(caller_peer, 440.0)  # not heard on hold, and not transcribed
    await _say(agent_peer, 1000.0)  # the agent may talk to a colleague: not transcribed
    await agent.ok("call.hold", {"call_id": call_id, "on": False})
    await asyncio.sleep(0.2)
    await _say(caller_peer, 440.0)

    await agent.ok("call.hangup", {"call_id": call_id})
    await center.services.live_transcription.idle()

    segments = [d for _, d in await center.events("transcript.segment")]
    assert [(s["speaker"], s["text"]) for s in segments] == [
        ("caller", WORDS[440.0]),
        ("agent", WORDS[1000.0]),
        ("caller", WORDS[440.0]),
    ]
    assert [s.get("agent_id") for s in segments] == [None, agent_id, None]
    starts = [s["start_seconds"] for s in segments]
    assert starts == sorted(starts) and starts[0] >= 0
    for s in segments:
        # the tone's 0.6 s, with the segmenter's 0.2 s pre-roll and 0.15 s tail at most
        assert 0.4 <= s["end_seconds"] - s["start_seconds"] <= 1.2, s
        assert s["call_id"] == call_id and s["is_final"] and s["language"] == "en-US"
    assert len({s["segment_id"] for s in segments}) == 3
    assert len(engine.heard) == 3  # nothing from the hold reached the engine

    [(_, completed)] = await center.events("transcript.completed")
    assert completed["call_id"] == call_id
    assert [(s["speaker"], s["text"]) for s in completed["segments"]] == [
        (s["speaker"], s["text"]) for s in segments
    ]
    types = [t for t, _ in await center.events()]
    assert types.index("transcript.completed") > types.index("call.ended")

    view = await center.api("GET", f"/api/v1/calls/{call_id}/transcript")
    assert view["state"] == "completed"
    assert view["transcript_id"] == completed["transcript_id"]
    assert [s["segment_id"] for s in view["segments"]] == [s["segment_id"] for s in segments]
    assert view["segments"][1]["agent_id"] == agent_id


async def test_off_by_default_nothing_is_tapped(transcribing: tuple[Center, ToneNamer]) -> None:
    center, engine = transcribing
    settings = await center.api("GET", "/api/v1/telephony/settings")
    assert settings["transcribe_calls"] is False
    call_id, _, agent, caller_peer, _ = await _connected_call(center)
    legs = center.services.media._legs  # the engine's own legs: none may be tapped
    assert legs and all(leg.audio_tap is None for leg in legs.values())
    await _say(caller_peer, 440.0)
    await agent.ok("call.hangup", {"call_id": call_id})
    await center.services.live_transcription.idle()
    assert engine.heard == []
    assert await center.events("transcript.segment", "transcript.completed") == []
    view = await center.api("GET", f"/api/v1/calls/{call_id}/transcript")
    assert view == {
        "call_id": call_id,
        "transcript_id": None,
        "state": "none",
        "language": None,
        "segments": [],
    }


async def test_another_tenants_call_and_unknown_calls_are_404(
    transcribing: tuple[Center, ToneNamer],
) -> None:
    center, _ = transcribing
    other = await new_tenant(center.client, "Other")
    call_id, _, agent, _, _ = await _connected_call(center)
    body: Any = await center.api(
        "GET", f"/api/v1/calls/{call_id}/transcript", status=404, tenant=other
    )
    assert body["error"]["code"] == "not_found"
    await center.api("GET", "/api/v1/calls/call_nope/transcript", status=404)
    await agent.ok("call.hangup", {"call_id": call_id})


async def test_a_transcript_over_256_kb_goes_out_reduced_with_its_link(
    transcribing: tuple[Center, ToneNamer],
) -> None:
    """A long call's transcript.completed: receivers get the reduced form and its link; the
    event log and the API keep every segment."""
    center, _ = transcribing
    await center.api("PUT", "/api/v1/telephony/settings", {"transcribe_calls": True})
    call_id, _, agent, _, _ = await _connected_call(center)
    transcripts = center.services.transcripts
    await center.until(
        lambda: (center.tenant.id, call_id) in center.services.live_transcription._calls
    )
    started = await transcripts.begin(center.tenant.id, call_id)  # already live: unchanged
    assert started is not None
    line = "please confirm the delivery address for the order " * 20  # 1 KB
    for n in range(300):
        said = Said("caller", None, line, 0.8, n * 10_000, n * 10_000 + 9_000)
        await transcripts.add(center.tenant.id, call_id, started, said)
    await agent.ok("call.hangup", {"call_id": call_id})
    await center.services.live_transcription.idle()

    async with center.services.db.read() as conn:
        row = (
            await conn.execute(
                select(events.c.id, events.c.body, events.c.data).where(
                    events.c.type == "transcript.completed"
                )
            )
        ).one()
    sent = json.loads(row.body)
    assert len(row.body.encode()) < 1024 and sent["data"]["truncated"] is True
    assert sent["data"]["call_id"] == call_id and sent["data"]["transcript_id"]
    assert sent["data"]["full_data_url"].endswith(f"/api/v1/events/{row.id}")
    assert sent["data"]["original_size"] > 256 * 1024
    assert len(json.loads(row.data)["segments"]) == 300
    full = await center.api("GET", f"/api/v1/events/{row.id}")
    assert len(full["data"]["segments"]) == 300
    view = await center.api("GET", f"/api/v1/calls/{call_id}/transcript")
    assert len(view["segments"]) == 300 and view["state"] == "completed"
