"""A scripted ``Transcriber`` for tests: no model, no processes."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from .engine import Recognized, TranscriptionError
from .segmenter import Pcm


@dataclass(frozen=True)
class Heard:
    """One call to the fake: how much audio it was given, at what rate."""

    samples: int
    rate: int

    @property
    def duration_ms(self) -> int:
        return self.samples * 1000 // self.rate


class FakeTranscriber:
    """Answers each utterance with the next scripted text (or ``default``).

    ``delay_s`` simulates a slow engine; a scripted ``TranscriptionError``
    (instead of a text) is raised for that utterance.
    """

    def __init__(
        self,
        script: Iterable[str | TranscriptionError] = (),
        *,
        default: str = "",
        confidence: float = 0.9,
        delay_s: float = 0.0,
    ) -> None:
        self._script: deque[str | TranscriptionError] = deque(script)
        self._default = default
        self._confidence = confidence
        self._delay_s = delay_s
        self.heard: list[Heard] = []
        self.started = False

    async def start(self) -> None:
        self.started = True

    async def transcribe(self, samples: Pcm, rate: int) -> Recognized:
        self.heard.append(Heard(samples=int(samples.size), rate=rate))
        if self._delay_s:
            await asyncio.sleep(self._delay_s)
        answer = self._script.popleft() if self._script else self._default
        if isinstance(answer, TranscriptionError):
            raise answer
        return Recognized(text=answer, confidence=self._confidence if answer else 0.0)
