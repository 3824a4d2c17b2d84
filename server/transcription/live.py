"""Live transcription of both parties of a call: a ``CallObserver`` that taps each leg.

::

    LegOpened ── the tenant transcribes? (cached) ── begin(call) ── tap the leg's audio
    tap, on the event loop: (codec, payload, arrival) queued; dropped while the call is held
    every 100 ms per leg, in a thread: decode ─> 16 kHz ─> Segmenter.push ─> utterances
        └─> Transcriber.transcribe (a process pool) ─┐
    per call, in the order the utterances ended: Transcripts.add ─> transcript.segment
    LegClosed: the leg's last audio flushed · CallEnded: every leg drained ─> completed

Nothing is decoded unless the tenant turned transcription on. The segmenter works in the
leg's media time (arrival since its first packet, jitter under 60 ms absorbed), so a gap
(mute, loss, hold) closes the utterance; ``start_ms``/``end_ms`` are then placed on the
call's clock from the wall time of the leg's first packet. Nothing said while the call is
on hold is transcribed: the caller's leg is not heard (the media engine), the agents' audio
is dropped here. An utterance the engine cannot transcribe is logged and skipped; a call
whose backlog outgrows ``max_backlog`` drops its newest utterances (said so in the log)
rather than fall further behind.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from server.clock import Clock
from server.media import AudioTap, MediaError
from server.media.codec import AudioDecoder, downsample
from server.media.sdpinfo import CodecInfo
from server.media.tones import SAMPLE_RATE
from server.telephony.effects import CallEnded, CallHeld, LegClosed, LegOpened, Notice

from .engine import Recognized, Transcriber, TranscriptionError
from .segmenter import Segmenter, SegmenterConfig, Utterance
from .transcripts import Said, Transcripts

logger = logging.getLogger(__name__)

RATE = 16_000  # what the engines are fed
BATCH_S = 0.1
JITTER_MS = 60
SETTING_TTL_S = 5.0


class AudioTaps(Protocol):
    """The media engine, as transcription needs it."""

    def tap_audio(self, leg_id: str, tap: AudioTap | None) -> None: ...


Packet = tuple[CodecInfo, bytes, float]


@dataclass(eq=False)
class LegAudio:
    """One leg's audio on its way to utterances. ``process`` runs in a worker thread, one
    batch at a time per leg; everything else on the event loop."""

    leg_id: str
    agent_id: str | None  # None: the caller's leg
    segmenter: Segmenter
    pending: list[Packet] = field(default_factory=list)
    decoders: dict[CodecInfo, AudioDecoder] = field(default_factory=dict)
    first_arrival: float | None = None
    offset_ms: int = 0  # where the leg's media time 0 falls on the call's clock
    next_ms: int = 0
    closed: bool = False

    def process(self, batch: list[Packet], final: bool) -> list[Utterance]:
        out: list[Utterance] = []
        for codec, payload, arrival in batch:
            decoder = self.decoders.get(codec)
            if decoder is None:
                decoder = self.decoders[codec] = AudioDecoder(codec)
            pcm = downsample(decoder.decode(payload), SAMPLE_RATE // RATE)
            if not pcm.size:
                continue
            assert self.first_arrival is not None
            at_ms = round((arrival - self.first_arrival) * 1000)
            if at_ms < self.next_ms + JITTER_MS:
                at_ms = self.next_ms  # late or early by jitter: right after the last frame
            self.next_ms = at_ms + pcm.size * 1000 // RATE
            out.extend(self.segmenter.push(pcm, at_ms))
        if final:
            out.extend(self.segmenter.flush())
        return out


@dataclass(eq=False)
class CallTranscript:
    tenant_id: str
    call_id: str
    started_at: float  # the call's created_at
    legs: dict[str, LegAudio] = field(default_factory=dict)
    pumps: set[asyncio.Task[None]] = field(default_factory=set)
    said: asyncio.Queue[tuple[LegAudio, Utterance, asyncio.Task[Recognized | None]] | None] = field(
        default_factory=asyncio.Queue
    )
    held: bool = False
    ended: bool = False


class LiveTranscription:
    """Args:
    transcripts: stores segments and emits their events.
    taps: the media engine.
    transcriber: the engine (a process pool in production, a fake in tests).
    clock: wall time, to place a leg's first packet on the call's clock.
    media_clock: the media engine's clock (arrival times of the tapped packets).
    """

    def __init__(
        self,
        *,
        transcripts: Transcripts,
        taps: AudioTaps,
        transcriber: Transcriber,
        clock: Clock,
        media_clock: Callable[[], float] = time.monotonic,
        segmenter: SegmenterConfig | None = None,
        max_backlog: int = 50,
        threads: int = 1,
    ) -> None:
        self._transcripts = transcripts
        self._taps = taps
        self._transcriber = transcriber
        self._clock = clock
        self._media_clock = media_clock
        self._segmenter = segmenter or SegmenterConfig()
        self._max_backlog = max_backlog
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="transcribe")
        self._setting: dict[str, tuple[float, bool]] = {}
        self._calls: dict[tuple[str, str], asyncio.Task[CallTranscript | None]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._warmed = False
        self.dropped = 0

    # -- the CallObserver ----------------------------------------------------------------

    def observe(self, tenant_id: str, notice: Notice) -> None:
        if isinstance(notice, LegOpened):
            key = (tenant_id, notice.call_id)
            if key not in self._calls:  # now, so that the call's later notices find it
                self._calls[key] = asyncio.ensure_future(self._begin(tenant_id, notice.call_id))
            self._spawn(self._leg_opened(tenant_id, notice))
        elif (tenant_id, notice_call(notice)) not in self._calls:
            return
        elif isinstance(notice, LegClosed):
            self._spawn(self._leg_closed(tenant_id, notice))
        elif isinstance(notice, CallHeld):
            self._spawn(self._held(tenant_id, notice))
        elif isinstance(notice, CallEnded):
            self._spawn(self._ended(tenant_id, notice.call_id))

    async def start(self) -> None:
        """When a tenant transcribes, load the engine now, in the background: its model
        takes seconds to load, and the first utterance after a restart should not wait."""
        if await self._transcripts.used():
            self._warm_engine()

    def _warm_engine(self) -> None:
        if not self._warmed:
            self._warmed = True
            self._spawn(self._load_engine())

    async def _load_engine(self) -> None:
        try:
            await self._transcriber.start()
        except Exception:  # the first utterance will try again, and log what fails
            logger.exception("transcription engine did not start")

    async def idle(self, timeout: float = 30.0) -> None:
        """Wait until every ended call's transcript is completed (tests, shutdown)."""
        async with asyncio.timeout(timeout):
            while self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self, timeout: float = 10.0) -> None:
        """Let the calls that ended finish their transcripts, then stop."""
        try:
            await self.idle(timeout)
        except TimeoutError:
            logger.warning("transcription: %d tasks still running at shutdown", len(self._tasks))
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._executor.shutdown(wait=True, cancel_futures=True)

    # -- calls and legs ------------------------------------------------------------------

    async def _transcribes(self, tenant_id: str) -> bool:
        now = self._clock.now()
        kept = self._setting.get(tenant_id)
        if kept is None or kept[0] <= now:
            kept = self._setting[tenant_id] = (
                now + SETTING_TTL_S,
                await self._transcripts.transcribes(tenant_id),
            )
        return kept[1]

    async def _begin(self, tenant_id: str, call_id: str) -> CallTranscript | None:
        if not await self._transcribes(tenant_id):
            return None
        self._warm_engine()  # loading while the call rings, not when the first words end
        started = await self._transcripts.begin(tenant_id, call_id)
        if started is None:
            return None
        call = CallTranscript(tenant_id, call_id, started)
        self._spawn(self._commit(call))
        logger.info("call %s: transcribed live", call_id)
        return call

    async def _call(self, tenant_id: str, call_id: str) -> CallTranscript | None:
        task = self._calls.get((tenant_id, call_id))
        return None if task is None else await task

    async def _leg_opened(self, tenant_id: str, notice: LegOpened) -> None:
        key = (tenant_id, notice.call_id)
        begun = self._calls[key]
        call = await begun
        if call is None:
            if self._calls.get(key) is begun:
                del self._calls[key]  # off for this tenant: nothing to keep
            return
        if call.ended:
            return
        agent = None if notice.party == "caller" else notice.party
        leg = LegAudio(notice.leg_id, agent, Segmenter(RATE, self._segmenter))
        try:
            self._taps.tap_audio(notice.leg_id, lambda c, p, at: self._heard(call, leg, c, p, at))
        except MediaError:
            return  # the leg closed before it could be tapped
        call.legs[leg.leg_id] = leg
        pump = asyncio.ensure_future(self._pump(call, leg))
        call.pumps.add(pump)
        pump.add_done_callback(call.pumps.discard)

    def _heard(
        self, call: CallTranscript, leg: LegAudio, codec: CodecInfo, payload: bytes, at: float
    ) -> None:
        """The tap: on the event loop's media hot path, so it only queues."""
        if call.held or leg.closed:
            return
        if leg.first_arrival is None:
            leg.first_arrival = at
            leg.offset_ms = max(0, round((self._clock.now() - call.started_at) * 1000))
        leg.pending.append((codec, payload, at))

    async def _leg_closed(self, tenant_id: str, notice: LegClosed) -> None:
        call = await self._call(tenant_id, notice.call_id)
        leg = call.legs.get(notice.leg_id) if call else None
        if leg is not None:
            leg.closed = True

    async def _held(self, tenant_id: str, notice: CallHeld) -> None:
        call = await self._call(tenant_id, notice.call_id)
        if call is not None:
            call.held = notice.on

    async def _ended(self, tenant_id: str, call_id: str) -> None:
        call = await self._call(tenant_id, call_id)
        if call is None:
            return
        call.ended = True
        for leg in call.legs.values():
            leg.closed = True
        await asyncio.gather(*list(call.pumps), return_exceptions=True)
        await call.said.put(None)  # the committer completes the transcript after the rest

    # -- the pipeline --------------------------------------------------------------------

    async def _pump(self, call: CallTranscript, leg: LegAudio) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(BATCH_S)
            final = leg.closed
            batch, leg.pending = leg.pending, []
            if batch or final:
                utterances = await loop.run_in_executor(self._executor, leg.process, batch, final)
                for utterance in utterances:
                    self._recognize(call, leg, utterance)
            if final:
                call.legs.pop(leg.leg_id, None)
                return

    def _recognize(self, call: CallTranscript, leg: LegAudio, utterance: Utterance) -> None:
        if call.said.qsize() >= self._max_backlog:
            self.dropped += 1
            logger.warning(
                "call %s: transcription backlog full, utterance of %d ms dropped",
                call.call_id,
                utterance.duration_ms,
            )
            return
        task = asyncio.ensure_future(self._text(utterance))
        call.said.put_nowait((leg, utterance, task))

    async def _text(self, utterance: Utterance) -> Recognized | None:
        try:
            return await self._transcriber.transcribe(utterance.samples, utterance.rate)
        except TranscriptionError as exc:
            logger.warning("utterance of %d ms not transcribed: %s", utterance.duration_ms, exc)
            return None

    async def _commit(self, call: CallTranscript) -> None:
        """The call's segments in the order their utterances ended, then its completion."""
        while (item := await call.said.get()) is not None:
            leg, utterance, task = item
            recognized = await task
            text = recognized.text.strip() if recognized else ""
            if recognized is None or not text:
                continue
            said = Said(
                speaker="caller" if leg.agent_id is None else "agent",
                agent_id=leg.agent_id,
                text=text,
                confidence=recognized.confidence,
                start_ms=leg.offset_ms + utterance.start_ms,
                end_ms=leg.offset_ms + utterance.end_ms,
            )
            try:
                await self._transcripts.add(call.tenant_id, call.call_id, call.started_at, said)
            except Exception:
                logger.exception("call %s: a transcript segment could not be stored", call.call_id)
        await self._transcripts.complete(call.tenant_id, call.call_id)
        self._calls.pop((call.tenant_id, call.call_id), None)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("transcription task failed", exc_info=task.exception())


def notice_call(notice: Notice) -> str | None:
    return getattr(notice, "call_id", None)
