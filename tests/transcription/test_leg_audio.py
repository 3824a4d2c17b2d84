"""What a leg tap will see: speech encoded and decoded payload by payload, then segmented.

The media engine hands observers one encoded payload at a time
(``leg.feed.observer``); ``AudioDecoder`` turns each into 48 kHz PCM. This
feeds those frames to the segmenter with their media time and the utterances
to PocketSphinx, for both codecs a leg can negotiate.
"""

from __future__ import annotations

import numpy as np
import pytest

from server.media.codec import FRAME_SAMPLES, AudioDecoder, encode_frames
from server.media.sdpinfo import CodecInfo
from server.media.tones import SAMPLE_RATE
from server.transcription.pocketsphinx import PocketsphinxDecoder
from server.transcription.segmenter import Segmenter, Utterance
from tests.transcription.speech import SENTENCES, synthesize, word_overlap
from tests.transcription.test_engine import need_espeak

OPUS = CodecInfo("opus", 48000, 2, 111)
PCMU = CodecInfo("pcmu", 8000, 1, 0)


@pytest.mark.parametrize("codec", [OPUS, PCMU], ids=lambda c: c.name)
def test_decoded_leg_audio_segments_and_transcribes(codec: CodecInfo) -> None:
    need_espeak()
    chosen = [SENTENCES[2], SENTENCES[4]]
    pause = np.zeros(SAMPLE_RATE, np.int16)
    signal = np.concatenate(
        [
            pause,
            synthesize(chosen[0], rate=SAMPLE_RATE),
            pause,
            synthesize(chosen[1], rate=SAMPLE_RATE),
            pause,
        ]
    )
    signal = np.pad(signal, (0, -signal.size % FRAME_SAMPLES))
    frames = signal.reshape(-1, FRAME_SAMPLES)
    payloads = encode_frames(codec, frames)

    decoder = AudioDecoder(codec)
    segmenter = Segmenter(SAMPLE_RATE)
    utterances: list[Utterance] = []
    at_ms = 0
    for payload in payloads:
        pcm = decoder.decode(payload)
        utterances += segmenter.push(pcm, at_ms)
        at_ms += pcm.size * 1000 // SAMPLE_RATE
    utterances += segmenter.flush()

    assert len(utterances) == 2
    # The first sentence starts after one second of silence (less the pre-roll).
    assert 700 <= utterances[0].start_ms <= 1000
    engine = PocketsphinxDecoder()
    for sentence, utterance in zip(chosen, utterances, strict=True):
        text = engine.decode(utterance.samples, utterance.rate).text
        assert word_overlap(sentence, text) >= 0.6, (codec.name, sentence, text)
