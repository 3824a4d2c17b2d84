"""A call's media: each party's leg on the :class:`MediaEngine`, and how the legs are wired.

Leg ids are ``<call id>.<party>`` (party: ``caller`` or an agent id). ICE candidates may
arrive while the offer is still being answered; they wait here and follow the answer.
Media errors become :class:`TelephonyError` (the code the client sees) at this boundary.
"""

from __future__ import annotations

import logging

from server.media import InvalidSdpError, MediaEngine, MediaError

from .call import CallState
from .errors import TelephonyError
from .runtime import CallRuntime

logger = logging.getLogger(__name__)

Candidate = tuple[str | None, str | None, int | None]  # candidate, sdpMid, sdpMLineIndex


class CallMedia:
    """Opens, closes and wires the legs of calls; knows which call and party own a leg."""

    def __init__(self, media: MediaEngine) -> None:
        self.media = media
        self._owners: dict[str, tuple[str, str]] = {}  # leg id -> (call id, party)
        self._early: dict[str, list[Candidate]] = {}  # leg id -> candidates before the answer

    async def open(self, rt: CallRuntime, party: str, sdp: str) -> str:
        """Answer a party's offer on a new leg; trickled candidates that came early follow."""
        leg_id = rt.leg_id(party)
        self._owners[leg_id] = (rt.id, party)
        self._early.setdefault(leg_id, [])
        try:
            answer = await self.media.open_leg(leg_id, sdp)
        except InvalidSdpError as exc:
            self._forget(leg_id)
            raise TelephonyError("invalid_sdp", str(exc), "sdp") from exc
        except MediaError as exc:
            self._forget(leg_id)
            raise TelephonyError("invalid_state", str(exc)) from exc
        rt.legs[party] = leg_id
        for candidate, mid, index in self._early.pop(leg_id, []):
            await self._add_candidate(leg_id, candidate, mid, index)
        return answer

    async def close(self, rt: CallRuntime, party: str) -> None:
        leg_id = rt.legs.pop(party, None) or rt.leg_id(party)
        self._forget(leg_id)
        await self.media.close_leg(leg_id)

    def release(self, leg_id: str) -> tuple[str, str] | None:
        """The engine lost a leg: stop tracking it; returns its (call id, party), if ours."""
        return self._owners.pop(leg_id, None)

    async def renegotiate(self, rt: CallRuntime, party: str, sdp: str) -> str:
        """A new offer on a party's live leg (reconnect, network change)."""
        try:
            return await self.media.renegotiate(rt.legs[party], sdp)
        except InvalidSdpError as exc:
            raise TelephonyError("invalid_sdp", str(exc), "sdp") from exc

    async def add_candidate(
        self, rt: CallRuntime, party: str, candidate: str | None, mid: str | None, index: int | None
    ) -> None:
        leg_id = rt.leg_id(party)
        if leg_id in self._early:  # the offer is still being answered
            self._early[leg_id].append((candidate, mid, index))
        elif party in rt.legs:
            await self._add_candidate(leg_id, candidate, mid, index)
        else:
            raise TelephonyError("invalid_state", "send the offer before its candidates")

    async def _add_candidate(
        self, leg_id: str, candidate: str | None, mid: str | None, index: int | None
    ) -> None:
        try:
            await self.media.add_remote_candidate(leg_id, candidate, mid, index)
        except InvalidSdpError as exc:
            raise TelephonyError("invalid_sdp", str(exc), "candidate") from exc

    def _forget(self, leg_id: str) -> None:
        self._owners.pop(leg_id, None)
        self._early.pop(leg_id, None)

    async def wire(self, rt: CallRuntime) -> None:
        """Wire the legs for the call's current shape (talk, consult, conference, waiting)."""
        caller = rt.legs.get("caller")
        primary = rt.legs.get(rt.call.agent_id or "")
        consult = rt.legs.get(rt.consult.agent_id) if rt.consult else None
        try:
            if rt.conference and caller:
                agents = [rt.legs.get(a) for a in sorted(rt.participants)]
                legs = [leg for leg in (caller, *agents) if leg]
                if len(legs) >= 2:
                    await self.media.conference(legs)
            elif rt.consult is not None and primary and consult:
                await self.media.bridge(primary, consult)
            elif caller and primary and rt.call.state is CallState.CONNECTED:
                await self.media.bridge(caller, primary)
            if caller:
                self.media.hold(caller, rt.call.held or rt.wait_on_hold)
            for agent_id, leg in rt.legs.items():
                if agent_id != "caller":
                    self.media.mute(leg, agent_id in rt.muted)
        except MediaError:
            logger.exception("call %s: x media wiring failed", rt.id)
