"""Spoken test audio made at test time with espeak-ng, and word error rate.

espeak-ng is a Debian package (``.ci/run`` installs it); nothing is downloaded.
Its voices are formant-synthesized, far from a human caller: PocketSphinx's
acoustic model (trained on human speech) recognizes some much better than
others, so the voice is always stated beside a figure.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import wave
from pathlib import Path

import numpy as np

from server.transcription.engine import resample
from server.transcription.segmenter import Pcm

VOICE = "en-us+f2"
WORDS_PER_MINUTE = 140

SENTENCES = [
    "thank you for calling how can i help you today",
    "i would like to check the status of my order",
    "can you give me your account number please",
    "my internet connection has been down since yesterday",
    "i need to change the address on my account",
    "let me transfer you to the billing department",
    "please hold while i look that up for you",
    "i was charged twice for the same payment",
    "could you spell your last name for me",
    "your refund will arrive in five business days",
    "i want to cancel my subscription",
    "is there anything else i can help you with",
    "the technician will visit you on monday morning",
    "i have a question about my last invoice",
    "can i speak to a manager please",
    "we are sorry for the inconvenience",
    "please confirm your date of birth",
    "the package was delivered to the wrong house",
    "i would like to upgrade my phone plan",
    "thank you for your patience have a nice day",
    "what is the best number to reach you",
    "your case number is seven four two one",
]


def espeak_path() -> str | None:
    return shutil.which("espeak-ng")


def synthesize(text: str, *, voice: str = VOICE, rate: int = 16000) -> Pcm:
    """``text`` spoken by espeak-ng, as 16-bit mono PCM at ``rate``."""
    espeak = espeak_path()
    if espeak is None:
        raise RuntimeError("espeak-ng is not installed (apt-get install espeak-ng)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "speech.wav"
        subprocess.run(
            [espeak, "-v", voice, "-s", str(WORDS_PER_MINUTE), "-w", str(path), text],
            check=True,
            capture_output=True,
        )
        with wave.open(str(path)) as wav:
            if wav.getnchannels() != 1 or wav.getsampwidth() != 2:
                raise RuntimeError("espeak-ng wrote an unexpected WAV format")
            source_rate = wav.getframerate()
            pcm = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.int16)
    return resample(pcm, source_rate, rate)


def words(text: str) -> list[str]:
    return [w for w in text.lower().replace("'", "").split() if w]


def edit_distance(reference: list[str], hypothesis: list[str]) -> int:
    """Word-level Levenshtein distance (substitutions + deletions + insertions)."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        current = [i]
        for j, hyp in enumerate(hypothesis, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp)))
        previous = current
    return previous[-1]


def word_error_rate(references: list[str], hypotheses: list[str]) -> float:
    """Corpus WER: total edits over total reference words."""
    pairs = zip(references, hypotheses, strict=True)
    edits = sum(edit_distance(words(r), words(h)) for r, h in pairs)
    total = sum(len(words(r)) for r in references)
    return edits / total if total else 0.0


def word_overlap(reference: str, hypothesis: str) -> float:
    """Share of the reference's distinct words that the hypothesis contains."""
    ref = set(words(reference))
    return len(ref & set(words(hypothesis))) / len(ref) if ref else 1.0
