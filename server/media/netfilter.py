"""Which remote ICE candidates the server may talk to (pure).

aioice sends connectivity checks to every remote candidate it is given, and
resolves ``.local`` (mDNS) names by multicasting on every interface. When the
engine is restricted to some networks (loopback in tests), candidates are
filtered here, before aioice sees them: in the offer SDP and on trickle.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable
from dataclasses import dataclass

logger = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class CandidateFilter:
    """Accepts candidates whose address lies in ``networks``; ``None`` accepts all."""

    networks: tuple[Network, ...] | None

    @classmethod
    def from_cidrs(cls, cidrs: Iterable[str] | None) -> CandidateFilter:
        if cidrs is None:
            return cls(None)
        return cls(tuple(ipaddress.ip_network(c, strict=False) for c in cidrs))

    def allows_address(self, host: str) -> bool:
        """Whether a candidate's connection address may be used.

        Hostnames (mDNS ``.local`` or others) are refused when restricted: their
        address is unknown until resolved, and resolving is itself traffic.
        """
        if self.networks is None:
            return True
        try:
            address = ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            return False
        return any(address.version == n.version and address in n for n in self.networks)

    def allows_candidate(self, candidate: str) -> bool:
        """Whether an SDP candidate value (with or without ``candidate:``) is allowed.

        Raises:
            ValueError: the candidate does not have the RFC 8839 fields.
        """
        return self.allows_address(parse_candidate_address(candidate))

    def filter_sdp(self, sdp: str) -> tuple[str, int]:
        """Remove disallowed ``a=candidate`` lines from an SDP.

        Returns:
            The filtered SDP and the number of candidates removed. Malformed
            candidate lines are removed too (and counted).
        """
        if self.networks is None:
            return sdp, 0
        kept: list[str] = []
        removed = 0
        newline = "\r\n" if "\r\n" in sdp else "\n"
        for line in sdp.splitlines():
            if line.startswith("a=candidate:"):
                try:
                    allowed = self.allows_candidate(line[2:])
                except ValueError:
                    allowed = False
                if not allowed:
                    removed += 1
                    logger.debug("x dropping remote candidate %r", line)
                    continue
            kept.append(line)
        return newline.join(kept) + newline, removed


def strip_candidate_prefix(candidate: str) -> str:
    """``candidate:1 1 udp ...`` (browser form) -> ``1 1 udp ...`` (aiortc form)."""
    candidate = candidate.strip()
    if candidate.startswith("a="):
        candidate = candidate[2:]
    if candidate.startswith("candidate:"):
        candidate = candidate[len("candidate:") :]
    return candidate


def parse_candidate_address(candidate: str) -> str:
    """The connection address of an ICE candidate (RFC 8839 section 5.1).

    Raises:
        ValueError: fewer than the 8 mandatory fields, or a bad port or type.
    """
    bits = strip_candidate_prefix(candidate).split()
    if len(bits) < 8 or bits[6] != "typ" or not bits[5].isdigit():
        raise ValueError(f"malformed ICE candidate: {candidate!r}")
    if not bits[1].isdigit() or not bits[3].isdigit():
        raise ValueError(f"malformed ICE candidate: {candidate!r}")
    return bits[4]
