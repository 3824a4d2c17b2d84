"""Benchmark of live transcription: accuracy, speed, and legs per core. Prints ONE JSON line.

Audio: the contact-center sentences of ``tests/transcription/speech.py`` spoken
by espeak-ng (Debian package, made at run time, nothing downloaded) at 140
words per minute, resampled from 22.05 kHz to what each stage needs.

* **Word error rate** of the default engine (PocketSphinx, bundled US English
  model) per espeak-ng voice, each sentence decoded whole at 16 kHz. The
  headline voice is ``--voice``; the others show how much the synthetic voice
  matters (a lot: formant voices are far from the human speech the model
  was trained on).
* **Real-time factor**: decode CPU time / audio duration, one decoder, one
  thread, in this process.
* **Legs per core at real time**: N simulated legs, each speaking the
  sentences back to back (600 ms pauses: continuous speech, the worst case;
  a real leg talks about half of the call) as 20 ms frames at 48 kHz (what an
  Opus leg decodes to), paced by the clock, through one ``Segmenter`` per leg
  and into ONE worker process pinned to one core (``ProcessPoolTranscriber``,
  which also resamples to 16 kHz in the worker). The delay of an utterance is
  from its end in media time (end of speech plus the 150 ms tail) to its text;
  it includes the segmenter's hangover. N runs at real time when the backlog
  does not grow: over ``--seconds`` of audio, the mean delay of the last third
  of utterances exceeds the first third's by at most ``--max-growth-s`` (1 s).
  ``legs_per_core`` is the largest such N (N = 1, 2, 3, ... until one fails);
  ``legs_per_core_delay_p99_under`` also keeps the p99 delay under
  ``--max-delay-s`` (3 s), a live transcript.

Usage::

    .venv/bin/python bench/transcription.py
    .venv/bin/python bench/transcription.py --quick
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.transcription import pocketsphinx as ps  # noqa: E402
from server.transcription.engine import ProcessPoolTranscriber  # noqa: E402
from server.transcription.segmenter import Pcm, Segmenter, Utterance  # noqa: E402
from tests.transcription.speech import (  # noqa: E402
    SENTENCES,
    WORDS_PER_MINUTE,
    espeak_path,
    synthesize,
    word_error_rate,
)

LEG_RATE = 48000
FRAME_MS = 20
PAUSE_MS = 600


def _pinned_init(core: int, pidfile: str) -> None:
    """Worker initializer: run on one core only, say who it is, then load the model."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {core})
    Path(pidfile).write_text(str(os.getpid()))
    ps._init_worker()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def accuracy(voices: list[str]) -> dict[str, Any]:
    decoder = ps.PocketsphinxDecoder()
    by_voice: dict[str, float] = {}
    cpu = 0.0
    audio_s = 0.0
    samples: dict[str, list[tuple[str, str]]] = {}
    for voice in voices:
        hypotheses = []
        for sentence in SENTENCES:
            pcm = synthesize(sentence, voice=voice, rate=ps.MODEL_RATE)
            started = time.thread_time()
            hypotheses.append(decoder.decode(pcm, ps.MODEL_RATE).text)
            cpu += time.thread_time() - started
            audio_s += pcm.size / ps.MODEL_RATE
        by_voice[voice] = round(word_error_rate(SENTENCES, hypotheses), 3)
        if not samples:  # the headline voice: what it heard, for the reader
            samples[voice] = list(zip(SENTENCES[:3], hypotheses[:3], strict=True))
    return {
        "wer_by_voice": by_voice,
        "rtf": round(cpu / audio_s, 3),
        "rtf_audio_s": round(audio_s, 1),
        "examples": samples,
    }


def leg_signal(clips: list[Pcm], leg: int) -> Pcm:
    """One leg's speech: all clips, rotated per leg, with pauses; a per-leg offset."""
    pause = np.zeros(PAUSE_MS * LEG_RATE // 1000, np.int16)
    order = clips[leg % len(clips) :] + clips[: leg % len(clips)]
    lead = np.zeros((leg * 137 % 1000) * LEG_RATE // 1000, np.int16)
    parts = [lead]
    for clip in order:
        parts += [clip, pause]
    return np.concatenate(parts)


async def trial(legs: int, clips: list[Pcm], seconds: float, core: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        pidfile = str(Path(tmp) / "worker.pid")
        transcriber = ProcessPoolTranscriber(
            decode=ps._decode, initializer=_pinned_init, initargs=(core, pidfile), workers=1
        )
        await transcriber.start()
        worker = int(Path(pidfile).read_text())
    cpu_before = cpu_seconds(worker)
    step = FRAME_MS * LEG_RATE // 1000
    frames = int(seconds * 1000 / FRAME_MS)
    signals = []
    for leg in range(legs):
        signal = leg_signal(clips, leg)
        repeats = -(-frames * step // signal.size)
        signals.append(np.tile(signal, repeats)[: frames * step])
    segmenters = [Segmenter(LEG_RATE) for _ in range(legs)]
    done: list[tuple[int, float]] = []  # (end in media time, delay to its text)
    pending: set[asyncio.Task[None]] = set()
    t0 = time.perf_counter()

    async def recognize(utterance: Utterance) -> None:
        await transcriber.transcribe(utterance.samples, utterance.rate)
        done.append((utterance.end_ms, time.perf_counter() - (t0 + utterance.end_ms / 1000)))

    def submit(utterances: list[Utterance]) -> None:
        for utterance in utterances:
            task = asyncio.create_task(recognize(utterance))
            pending.add(task)
            task.add_done_callback(pending.discard)

    for i in range(frames):
        # Pace by the clock: frame i is due at t0 + i * 20 ms.
        await asyncio.sleep(max(0.0, t0 + i * FRAME_MS / 1000 - time.perf_counter()))
        for leg, segmenter in enumerate(segmenters):
            submit(segmenter.push(signals[leg][i * step : (i + 1) * step], i * FRAME_MS))
    for segmenter in segmenters:
        submit(segmenter.flush())
    await asyncio.gather(*pending)
    wall = time.perf_counter() - t0
    worker_cpu = cpu_seconds(worker) - cpu_before
    await transcriber.close()
    done.sort()
    third = max(1, len(done) // 3)
    first = statistics.mean(d for _, d in done[:third])
    last = statistics.mean(d for _, d in done[-third:])
    delays = sorted(d for _, d in done)
    return {
        "legs": legs,
        "utterances": len(delays),
        "delay_ms_p50": round(1000 * statistics.median(delays)),
        "delay_ms_p99": round(1000 * delays[min(len(delays) - 1, int(0.99 * len(delays)))]),
        "delay_ms_max": round(1000 * delays[-1]),
        "worker_cpu_share": round(worker_cpu / wall, 3),
        "delay_growth_ms": round(1000 * (last - first)),  # last third's mean - first third's
    }


async def capacity(args: argparse.Namespace, core: int) -> dict[str, Any]:
    clips = [synthesize(s, voice=args.voice, rate=LEG_RATE) for s in SENTENCES]
    trials = []
    real_time: dict[str, Any] | None = None  # the backlog does not grow
    live: dict[str, Any] | None = None  # and the p99 delay is under --max-delay-s
    for legs in range(1, args.max_legs + 1):
        result = await trial(legs, clips, args.seconds, core)
        result["keeps_up"] = result["delay_growth_ms"] <= 1000 * args.max_growth_s
        trials.append(result)
        print(json.dumps(result), file=sys.stderr)
        if not result["keeps_up"]:
            break
        real_time = result
        if result["delay_ms_p99"] <= 1000 * args.max_delay_s:
            live = result
    return {
        "legs_per_core": real_time["legs"] if real_time else 0,
        "legs_per_core_delay_p99_under": live["legs"] if live else 0,
        "delay_ms_p50_at_1_leg": trials[0]["delay_ms_p50"],
        "delay_ms_p99_at_1_leg": trials[0]["delay_ms_p99"],
        "trials": trials,
    }


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voice", default="en-us+f2", help="headline espeak-ng voice")
    parser.add_argument("--other-voices", default="en-us+f5,en-us+m1,en-us")
    parser.add_argument("--seconds", type=float, default=40.0, help="audio per capacity trial")
    parser.add_argument("--max-legs", type=int, default=12)
    parser.add_argument("--max-delay-s", type=float, default=3.0)
    parser.add_argument("--max-growth-s", type=float, default=1.0)
    parser.add_argument("--quick", action="store_true", help="one voice, 15 s trials")
    args = parser.parse_args()
    espeak = espeak_path()
    if espeak is None:
        sys.exit("espeak-ng is not installed (apt-get install espeak-ng)")
    if args.quick:
        args.other_voices, args.seconds = "", 15.0
    voices = [args.voice] + [v for v in args.other_voices.split(",") if v]
    core = 0
    if hasattr(os, "sched_getaffinity"):
        cores = sorted(os.sched_getaffinity(0))
        core = cores[-1]
        if len(cores) > 1:  # this process (pacing, segmenters) stays off the worker's core
            os.sched_setaffinity(0, set(cores[:-1]))

    measured = accuracy(voices)
    legs = asyncio.run(capacity(args, core))
    version = subprocess.run([espeak, "--version"], capture_output=True, text=True).stdout
    print(
        json.dumps(
            {
                "engine": "pocketsphinx 5.1.1, bundled en-us model",
                "audio": f"{version.strip()}, {WORDS_PER_MINUTE} wpm, resampled",
                "sentences": len(SENTENCES),
                "voice": args.voice,
                "wer": measured["wer_by_voice"][args.voice],
                **measured,
                "legs_condition": (
                    f"1 worker pinned to core {core}, continuous speech, 48 kHz 20 ms frames,"
                    f" {args.seconds:g} s per trial; real time = the delay does not grow by more"
                    f" than {args.max_growth_s:g} s from the first third of utterances to the"
                    f" last; 'under' = also p99 delay <= {args.max_delay_s:g} s"
                ),
                **legs,
                "cpu": cpu_model(),
                "cores": os.cpu_count(),
            }
        )
    )


if __name__ == "__main__":
    main()
