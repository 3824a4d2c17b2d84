"""Audio encoders and decoders for the paths that need PCM.

Encoded-domain bridging never decodes. PCM is needed only for recording,
conference mixing, transcoding and pre-encoding tones. Internally PCM is
48 kHz mono int16 in 20 ms frames; G.711 is resampled to and from 8 kHz with
numpy (linear interpolation up, box filter down: adequate for telephone-band
speech and tones). These objects are stateful and not thread-safe: each is
used by one worker call at a time.
"""

from __future__ import annotations

import fractions
from collections.abc import Iterable
from typing import Any

import av
import numpy as np
import numpy.typing as npt

from .sdpinfo import CodecInfo
from .tones import FRAME_SAMPLES, SAMPLE_RATE

Pcm = npt.NDArray[np.int16]

_AV_ENCODERS: dict[str, Any] = {"opus": "libopus", "pcmu": "pcm_mulaw", "pcma": "pcm_alaw"}
_AV_DECODERS: dict[str, Any] = {"opus": "opus", "pcmu": "pcm_mulaw", "pcma": "pcm_alaw"}
OPUS_BITRATE = 32000  # mono voice; aiortc's own default is 96 kbit/s stereo


def _to_int16(array: npt.NDArray[np.generic]) -> Pcm:
    if array.dtype == np.int16:
        return np.asarray(array, dtype=np.int16)
    scaled = np.asarray(array, dtype=np.float32) * 32767.0
    return np.asarray(np.clip(scaled, -32768, 32767), dtype=np.int16)


def upsample(pcm: Pcm, factor: int) -> Pcm:
    """Linear interpolation by an integer factor (e.g. 8 kHz -> 48 kHz)."""
    if factor == 1 or len(pcm) == 0:
        return pcm
    x = np.arange(len(pcm) * factor) / factor
    return np.interp(x, np.arange(len(pcm)), pcm).astype(np.int16)


def downsample(pcm: Pcm, factor: int) -> Pcm:
    """Box-filter decimation by an integer factor (e.g. 48 kHz -> 8 kHz)."""
    if factor == 1:
        return pcm
    usable = len(pcm) - len(pcm) % factor
    return np.asarray(pcm[:usable].reshape(-1, factor).mean(axis=1), dtype=np.int16)


class AudioDecoder:
    """Decodes one RTP stream's payloads to 48 kHz mono int16."""

    def __init__(self, codec: CodecInfo) -> None:
        self.codec = codec
        self._context: av.AudioCodecContext = av.CodecContext.create(_AV_DECODERS[codec.name], "r")
        self._context.sample_rate = codec.clock_rate
        self._context.layout = "mono"
        self._factor = SAMPLE_RATE // codec.clock_rate

    def decode(self, payload: bytes) -> Pcm:
        """PCM of one payload; empty if it cannot be decoded (logged by PyAV)."""
        try:
            frames = self._context.decode(av.Packet(payload))
        except (av.error.FFmpegError, ValueError):
            return np.zeros(0, dtype=np.int16)
        parts = []
        for frame in frames:
            array = frame.to_ndarray()
            if array.ndim == 2 and array.shape[0] > 1:  # planar stereo: average
                array = array.mean(axis=0)
            elif array.ndim == 2 and frame.format.is_packed and len(frame.layout.channels) > 1:
                array = array.reshape(-1, len(frame.layout.channels)).mean(axis=1)
            parts.append(_to_int16(array.reshape(-1)))
        if not parts:
            return np.zeros(0, dtype=np.int16)
        return upsample(np.concatenate(parts), self._factor)


class AudioEncoder:
    """Encodes 20 ms frames of 48 kHz mono int16 into one payload each."""

    def __init__(self, codec: CodecInfo) -> None:
        self.codec = codec
        self._factor = SAMPLE_RATE // codec.clock_rate
        context: av.AudioCodecContext = av.CodecContext.create(_AV_ENCODERS[codec.name], "w")
        context.sample_rate = codec.clock_rate
        context.layout = "mono"
        context.format = "s16"
        context.time_base = fractions.Fraction(1, codec.clock_rate)
        if codec.name == "opus":
            context.bit_rate = OPUS_BITRATE
            context.options = {"application": "voip", "frame_duration": "20"}
        self._context = context
        self._pts = 0

    def encode(self, pcm: Pcm) -> list[bytes]:
        """Payloads for one frame of ``FRAME_SAMPLES`` samples (usually exactly one)."""
        samples = downsample(pcm, self._factor)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = self.codec.clock_rate
        frame.pts = self._pts
        self._pts += len(samples)
        return [bytes(packet) for packet in self._context.encode(frame)]


def encode_frames(codec: CodecInfo, frames: Iterable[Pcm]) -> list[bytes]:
    """Pre-encode a signal (tones, hold tone) into 20 ms payloads, once."""
    encoder = AudioEncoder(codec)
    payloads: list[bytes] = []
    for frame in frames:
        payloads.extend(encoder.encode(frame))
    return payloads


__all__ = ["FRAME_SAMPLES", "AudioDecoder", "AudioEncoder", "encode_frames"]
