"""Benchmark: from the end of an utterance to its ConversationEntry in Salesforce. ONE JSON line.

The whole path, nothing simulated: ``--calls`` concurrent web calls through SIVO's
Socket.IO signaling and media engine, each caller and agent an aiortc phone on 127.0.0.1
speaking espeak-ng sentences (made now, voice ``en-us+f2``, 140 words per minute) turn by
turn, 1.2 s between turns; SIVO on SQLite with its real clock, transcription on (the
default engine, PocketSphinx, in ``--workers`` processes: SIVO's default is 1)
and "Push transcripts" on, so each segment goes through the outbox to the SCRT2 sink and
devorg's SCRT2 host (in-process, HTTPS, same event loop as SIVO and the phones).

An utterance ends when its phone's track hands aiortc the last frame of speech (the clip
is trimmed to its last loud sample first); its ConversationEntry arrives at devorg's
``ServerReceivedTimestamp`` (devorg's clock is real time here). An entry belongs to the
utterance of the same speaker whose time window it overlaps (the entry's
``ClientTimestamp`` + ``ClientDuration`` are SIVO's segment times); when the segmenter split
an utterance, its last piece counts. The delay therefore includes the segmenter's
hangover (the silence it waits for before it closes an utterance), decoding in the worker,
the outbox, the SCRT2 sender and devorg; the last three alone are reported too (from the
``transcript.segment`` event's commit to the entry, matched by ``messageId``).

Usage::

    .venv/bin/python -m bench.transcript_push [--calls 2] [--turns 10] [--workers 1] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from aiohttp import web
from sqlalchemy import select

from devorg.testing import RunningDevorg, running_devorg
from server.api.context import SERVICES, Services
from server.app import create_app
from server.media.tones import SAMPLE_RATE
from server.schemas.salesforce import AgentsFromUsers, SalesforceOrgUpdate
from server.schemas.telephony import NumberCreate, QueueCreate, SettingsUpdate
from server.store.tables import events
from tests.media.peers import FRAME, Pcm, ToneTrack
from tests.telephony.conftest import Phone
from tests.transcription.speech import SENTENCES, VOICE, WORDS_PER_MINUTE, synthesize

from .screenpop import _connect, bench_settings
from .scrt2 import CENTER, USER, _scrt2_on

NUMBER = "+18005550100"
GAP_S = 1.2  # between turns: past the segmenter's hangover, as people pause
LOUD = 500  # |sample| above this is speech, for trimming the clip's silent tail


class TimedSpeechTrack(ToneTrack):
    """Plays queued utterances in real time and notes when each one's first and last frame
    left for the encoder (epoch seconds)."""

    def __init__(self) -> None:
        super().__init__(None)
        self._frames: list[Pcm] = []
        self._next = 0
        self.spoken: list[tuple[float, float]] = []  # (start, end) per utterance
        self._started: float | None = None

    def say(self, pcm: Pcm) -> float:
        loud = np.flatnonzero(np.abs(pcm.astype(np.int32)) > LOUD)
        speech = pcm[loud[0] : loud[-1] + 1] if loud.size else pcm
        padded = np.pad(speech.astype(np.int16), (0, -speech.size % FRAME))
        self._frames = list(padded.reshape(-1, FRAME))
        self._next = 0
        return padded.size / SAMPLE_RATE

    def next_pcm(self) -> Pcm:
        if self._next >= len(self._frames):
            return np.zeros(FRAME, dtype=np.int16)
        now = time.time()
        if self._next == 0:
            self._started = now
        frame = self._frames[self._next]
        self._next += 1
        if self._next == len(self._frames):
            assert self._started is not None
            self.spoken.append((self._started, now + FRAME / SAMPLE_RATE))
        return frame


class _Clips:
    """espeak-ng clips at 48 kHz, made once per sentence."""

    def __init__(self) -> None:
        self._made: dict[str, Pcm] = {}

    def __call__(self, text: str) -> Pcm:
        if text not in self._made:
            self._made[text] = synthesize(text, rate=SAMPLE_RATE)
        return self._made[text]


def _ms(samples: list[float]) -> dict[str, float]:
    if len(samples) < 2:
        return {"p50": round(samples[0], 1) if samples else 0.0, "p99": 0.0, "n": len(samples)}
    q = statistics.quantiles(samples, n=100, method="inclusive")
    return {"p50": round(q[49], 1), "p99": round(q[98], 1), "n": len(samples)}


async def _center(svc: Services, sf: RunningDevorg, calls: int) -> tuple[str, list[str], str]:
    """An org with ``calls`` agents imported from its users, SCRT2 and transcripts on;
    returns the tenant, the agents' softphone tokens and the org id."""
    org = await sf.create_org("Bench")
    await sf.create_call_center(org["orgId"], CENTER)
    await sf.create_user(org["orgId"], USER, first_name="Ada", last_name="Admin")
    emails = [f"agent{i}@bench.test" for i in range(calls)]
    for i, email in enumerate(emails):
        await sf.create_user(org["orgId"], email, first_name="Agent", last_name=str(i), email=email)
    tenant, _key = await svc.identity.create_tenant("bench")
    org_id = await _connect(svc, sf, tenant)
    row_id = await _scrt2_on(svc, sf, tenant, org_id)
    await svc.salesforce.orgs.update(tenant, row_id, SalesforceOrgUpdate(push_transcripts=True))
    await svc.telephony.update_settings(tenant, SettingsUpdate(transcribe_calls=True))
    queue = await svc.telephony.create_queue(tenant, QueueCreate(name="Support", wrap_up_s=0))
    await svc.telephony.create_number(
        tenant, NumberCreate(number=NUMBER, queue_id=queue.id, published=True)
    )
    users = await svc.salesforce.users.import_users(tenant, row_id)
    wanted = [u.user_id for u in users.users if u.email in emails]
    made = await svc.salesforce.users.create_agents(
        tenant, row_id, AgentsFromUsers(user_ids=wanted, queue_ids=[queue.id])
    )
    tokens = [(await svc.tokens.mint(agent_id=a, tenant_id=tenant)).token for a in made.created]
    return tenant, tokens, org_id


async def _one_call(
    url: str, token: str, index: int, turns: int, clips: _Clips, setting_up: asyncio.Lock
) -> tuple[str, dict[str, TimedSpeechTrack]]:
    """One agent signs in; a web caller dials; they speak ``turns`` sentences by turns,
    agent first; the caller hangs up. Returns the call id and both tracks. Calls are set up
    one at a time (``setting_up``), so the agent Available is the one this call rings."""
    agent = Phone(f"agent{index}")
    caller = Phone(f"caller{index}")
    tracks = {"Agent": TimedSpeechTrack(), "EndUser": TimedSpeechTrack()}
    try:
        async with setting_up:
            await agent.connect(url, "/agent", {"token": token})
            await agent.wait_for("session.ready")
            await agent.ok("presence.set", {"status": "available"})
            await caller.connect(url, "/caller")
            await caller.ok("phone.register", {"number": f"+1415555{index:04d}"})
            caller_peer = caller.peer(None, tracks["EndUser"])
            offer = await caller_peer.offer()
            dialed = await caller.ok("call.dial", {"to": NUMBER, "sdp": offer})
            call_id = str(dialed["call_id"])
            await caller_peer.accept(dialed["sdp"])
            await agent.wait_for("call.ringing", lambda r: r["call_id"] == call_id, timeout=30)
            agent_peer = agent.peer(None, tracks["Agent"])
            offer = await agent_peer.offer()
            answered = await agent.ok("call.answer", {"call_id": call_id, "sdp": offer})
            await agent_peer.accept(answered["sdp"])
            await agent_peer.wait_connected()
        await asyncio.sleep(0.5)
        for turn in range(turns):
            speaker = "Agent" if turn % 2 == 0 else "EndUser"
            text = SENTENCES[(index * 7 + turn) % len(SENTENCES)]
            await asyncio.sleep(tracks[speaker].say(clips(text)) + GAP_S)
        await caller.ok("call.hangup", {"call_id": call_id})
        return call_id, tracks
    finally:
        await caller.close()
        await agent.close()


async def _segments_committed(svc: Services) -> dict[str, float]:
    """When each ``transcript.segment`` committed (epoch s), by segment id."""
    async with svc.db.read() as conn:
        rows = await conn.execute(
            select(events.c.data, events.c.created_at).where(events.c.type == "transcript.segment")
        )
        return {json.loads(r.data)["segment_id"]: float(r.created_at) for r in rows}


def _pushed(sf: RunningDevorg, org_id: str, committed: dict[str, float]) -> list[float]:
    """Per entry, ms from its segment's commit to its arrival in devorg."""
    org = sf.devorg.store.orgs[org_id]
    return [
        int(e["ServerReceivedTimestamp"]) - committed[str(e["MessageIdentifier"])] * 1000
        for e in org.records_of("ConversationEntry").values()
        if str(e["MessageIdentifier"]) in committed
    ]


def _delays(
    sf: RunningDevorg, org_id: str, calls: list[tuple[str, dict[str, TimedSpeechTrack]]]
) -> tuple[list[float], int, int]:
    """Per utterance, ms from its end to its (last) entry's arrival; also the utterances
    with no entry and the entries matching no utterance."""
    org = sf.devorg.store.orgs[org_id]
    by_key = {str(r["VendorCallKey"]): r for r in org.records_of("VoiceCall").values()}
    delays: list[float] = []
    missed = stray = 0
    for call_id, tracks in calls:
        conversation = by_key[call_id].get("ConversationId")
        entries = list(org.find("ConversationEntry", ConversationId=conversation))
        matched: set[int] = set()
        for actor, track in tracks.items():
            for start, end in track.spoken:
                arrivals = [
                    (i, int(e["ServerReceivedTimestamp"]) / 1000)
                    for i, e in enumerate(entries)
                    if e["ActorType"] == actor
                    and int(e["ClientTimestamp"]) / 1000 < end + 0.5
                    and (int(e["ClientTimestamp"]) + int(e["ClientDuration"])) / 1000 > start - 0.5
                ]
                if not arrivals:
                    missed += 1
                    continue
                matched.update(i for i, _ in arrivals)
                delays.append((max(at for _, at in arrivals) - end) * 1000)
        stray += len(entries) - len(matched)
    return delays, missed, stray


async def run(calls: int, turns: int, workers: int) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="sivo-bench-transcripts-"))
    clips = _Clips()
    for text in SENTENCES:  # made before the calls: espeak-ng is not on the measured path
        clips(text)
    async with running_devorg(tls=True, request_log_size=100_000) as sf:
        settings = bench_settings(work, sf, "http://127.0.0.1:8080")
        app = create_app(settings.with_overrides(transcription_workers=workers))
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        try:
            svc = app[SERVICES]
            _tenant, tokens, org_id = await _center(svc, sf, calls)
            started = time.perf_counter()
            setting_up = asyncio.Lock()
            spoken = await asyncio.gather(
                *(
                    _one_call(url, token, i, turns, clips, setting_up)
                    for i, token in enumerate(tokens)
                )
            )
            await svc.live_transcription.idle(timeout=120)
            await svc.salesforce.scrt2.idle(timeout=120)
            elapsed = time.perf_counter() - started
            delays, missed, stray = _delays(sf, org_id, list(spoken))
            pushed = _pushed(sf, org_id, await _segments_committed(svc))
            scrt = [e for e in sf.devorg.request_log if e["host"] == "scrt"]
        finally:
            await runner.cleanup()
    utterances = sum(len(t.spoken) for _, tracks in spoken for t in tracks.values())
    return {
        "utterances": utterances,
        "utterances_without_entry": missed,
        "entries_without_utterance": stray,
        "end_of_utterance_to_entry_ms": _ms(delays),
        # the share of it after SIVO committed the segment: outbox, SCRT2 sender, devorg
        "segment_committed_to_entry_ms": _ms(pushed),
        "scrt2_requests": len(scrt),
        "scrt2_refused": sum(1 for e in scrt if e["status"] >= 400),  # devorg's checks
        "elapsed_s": round(elapsed, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2, help="concurrent calls")
    parser.add_argument("--turns", type=int, default=10, help="utterances per call")
    parser.add_argument("--workers", type=int, default=1, help="speech engine processes")
    parser.add_argument("--runs", type=int, default=3, help="runs (medians reported)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    runs = [asyncio.run(run(args.calls, args.turns, args.workers)) for _ in range(args.runs)]
    pooled = [r["end_of_utterance_to_entry_ms"] for r in runs]
    print(
        json.dumps(
            {
                "benchmark": "transcript_push",
                "database": "sqlite (temp dir)",
                "devorg": "in-process, HTTPS, same event loop",
                "engine": "pocketsphinx (bundled en-us model)",
                "workers": args.workers,
                "voice": VOICE,
                "words_per_minute": WORDS_PER_MINUTE,
                "calls": args.calls,
                "turns_per_call": args.turns,
                "runs": len(runs),
                "median": {
                    "end_of_utterance_to_entry_p50_ms": statistics.median(p["p50"] for p in pooled),
                    "end_of_utterance_to_entry_p99_ms": statistics.median(p["p99"] for p in pooled),
                    "segment_committed_to_entry_p50_ms": statistics.median(
                        r["segment_committed_to_entry_ms"]["p50"] for r in runs
                    ),
                    "utterances_without_entry": statistics.median(
                        r["utterances_without_entry"] for r in runs
                    ),
                },
                "runs_detail": runs,
            }
        )
    )


if __name__ == "__main__":
    main()
