"""The product page's end-to-end check, for real: a call with speech on both legs becomes a
VoiceCall whose conversation holds what was said, turn by turn.

Real parts throughout: aiortc phones speaking espeak-ng clips made now, SIVO's media tap,
PocketSphinx in its worker process, the outbox, the SCRT2 sink with its JWTs, devorg's SCRT2
host and REST API read with the admin's SOQL. SIVO's clock follows real time during the call
(as devorg's does), so the messages' times fall inside the call's window.
"""

from __future__ import annotations

import asyncio
import time

from devorg.testing import RunningDevorg
from server.clock import FakeClock
from server.media.tones import SAMPLE_RATE
from tests.conftest import AppFactory
from tests.transcription.speaking import SpeechTrack
from tests.transcription.speech import SENTENCES, synthesize, word_overlap
from tests.transcription.test_engine import need_espeak

from .logging_center import close
from .scrt2_center import scrt2_center, sent, soql

VOICE_CALL = (
    "SELECT Id, CallDisposition, CallStartDateTime, CallEndDateTime, CallAcceptDateTime, "
    "VendorCallKey FROM VoiceCall ORDER BY CreatedDate DESC LIMIT 1"
)
# The product page orders by MessageSequenceNumber, which no Salesforce object has: the
# sequence field of ConversationEntry is Seq (reference §ConversationEntry).
ENTRIES = (
    "SELECT Id, Message, ActorType, ActorId FROM ConversationEntry "
    "WHERE Conversation.RelatedRecordId = '{id}' ORDER BY Seq"
)


async def _follow_real_time(clock: FakeClock) -> None:
    last = time.monotonic()
    while True:
        await asyncio.sleep(0.05)
        now = time.monotonic()
        clock.advance(now - last)
        last = now


async def test_a_spoken_call_is_a_voice_call_with_its_conversation(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    need_espeak()
    lc = await scrt2_center(make_client, sf)  # the default engine: PocketSphinx
    ticking = asyncio.create_task(_follow_real_time(lc.center.clock))
    try:
        await lc.api("PUT", "/api/v1/telephony/settings", {"transcribe_calls": True})
        await lc.api("PATCH", f"/api/v1/salesforce/orgs/{lc.row_id}", {"push_transcripts": True})
        caller_voice, agent_voice = SpeechTrack(), SpeechTrack()
        call_id, caller, _, _ = await lc.call_in(
            "bo", caller_track=caller_voice, agent_track=agent_voice
        )
        turns = [
            (agent_voice, "Agent", SENTENCES[0]),
            (caller_voice, "EndUser", SENTENCES[1]),
            (agent_voice, "Agent", SENTENCES[2]),
            (caller_voice, "EndUser", SENTENCES[4]),
        ]
        await asyncio.sleep(0.5)
        for track, _, text in turns:
            seconds = track.say(synthesize(text, rate=SAMPLE_RATE))
            await asyncio.sleep(seconds + 1.2)
        await caller.ok("call.hangup", {"call_id": call_id})
        await lc.center.services.live_transcription.idle()
        await sent(lc)
    finally:
        ticking.cancel()

    status, body = await soql(lc, VOICE_CALL)
    assert status == 200, body
    (call,) = body["records"]
    assert call["VendorCallKey"] == call_id and call["CallDisposition"] == "completed"
    assert call["CallAcceptDateTime"] is not None and call["CallEndDateTime"] is not None

    status, body = await soql(lc, ENTRIES.format(id=call["Id"]))
    assert status == 200, body
    entries = body["records"]
    assert [e["ActorType"] for e in entries] == [actor for _, actor, _ in turns], entries
    for entry, (_, actor, text) in zip(entries, turns, strict=True):
        # espeak's formant voice is far from human speech: some words are always missed
        assert word_overlap(text, entry["Message"]) >= 0.4, (text, entry["Message"])
        if actor == "Agent":
            assert entry["ActorId"] == lc.users["bo"]  # the agent's Salesforce User Id

    view = await lc.api("GET", f"/api/v1/calls/{call_id}/transcript")
    assert view["state"] == "completed"
    assert [s["text"] for s in view["segments"]] == [e["Message"] for e in entries]
    await close(lc)
