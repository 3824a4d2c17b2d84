"""Fixtures: a loopback media engine and loopback peers, checked for leaks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path

import pytest

from server.media import LegState, MediaConfig, MediaEngine

from .peers import LoopbackPeer

PeerFactory = Callable[..., LoopbackPeer]


class StateLog:
    def __init__(self) -> None:
        self.events: list[tuple[str, LegState]] = []

    def __call__(self, leg_id: str, state: LegState) -> None:
        self.events.append((leg_id, state))

    def of(self, leg_id: str) -> list[LegState]:
        return [state for leg, state in self.events if leg == leg_id]


@pytest.fixture
def states() -> StateLog:
    return StateLog()


@pytest.fixture
def media_config() -> MediaConfig:
    return MediaConfig.loopback(setup_timeout_s=10.0)


@pytest.fixture
async def engine(
    media_config: MediaConfig, tmp_path: Path, states: StateLog
) -> AsyncIterator[MediaEngine]:
    engine = MediaEngine(
        config=media_config, recordings_dir=tmp_path / "recordings", on_leg_state=states
    )
    yield engine
    await engine.close()
    assert engine.open_peer_connections == 0


@pytest.fixture
async def peers() -> AsyncIterator[PeerFactory]:
    created: list[LoopbackPeer] = []

    def make(
        name: str, frequency: float | None = None, codecs: Sequence[str] | None = None
    ) -> LoopbackPeer:
        peer = LoopbackPeer(name, frequency=frequency, codecs=codecs)
        created.append(peer)
        return peer

    yield make
    for peer in created + [p for p in LoopbackPeer.all_peers if p not in created]:
        await peer.close()
    assert all(peer.closed for peer in LoopbackPeer.all_peers)
    LoopbackPeer.all_peers.clear()
