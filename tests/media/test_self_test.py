"""The pin-protection self-test of the private aiortc API."""

from __future__ import annotations

import aiortc.rtcdtlstransport
import pytest

from server.media import PrivateApiError, self_test


async def test_self_test_passes_on_pinned_aiortc() -> None:
    await self_test()


async def test_self_test_detects_changed_dispatch(monkeypatch: pytest.MonkeyPatch) -> None:
    """If the DTLS transport stopped calling _handle_rtp_packet, start-up fails."""

    async def changed(self: object, data: bytes, arrival_time_ms: int) -> None:
        return None

    monkeypatch.setattr(aiortc.rtcdtlstransport.RTCDtlsTransport, "_handle_rtp_data", changed)
    with pytest.raises(PrivateApiError, match="_handle_rtp_packet"):
        await self_test()


async def test_self_test_detects_renamed_receiver_state(monkeypatch: pytest.MonkeyPatch) -> None:
    original = aiortc.rtcrtpreceiver.RTCRtpReceiver.__init__

    def init(self: aiortc.rtcrtpreceiver.RTCRtpReceiver, *args: object) -> None:
        original(self, *args)
        del self._RTCRtpReceiver__remote_streams  # type: ignore[attr-defined]

    monkeypatch.setattr(aiortc.rtcrtpreceiver.RTCRtpReceiver, "__init__", init)
    with pytest.raises(PrivateApiError, match="remote_streams"):
        await self_test()
