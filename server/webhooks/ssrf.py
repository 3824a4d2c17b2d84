"""Server-side request forgery guard for webhook deliveries.

The check is applied to the addresses a connection will actually use: a resolver wrapper
filters every DNS answer before aiohttp connects (so DNS rebinding cannot slip a private
address in between a check and the connect), and IP-literal hosts, which aiohttp never
resolves, are checked by the sender itself. Operators may open networks explicitly with
``SIVO_WEBHOOK_ALLOW_NETWORKS``.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_6TO4 = ipaddress.ip_network("2002::/16")


class BlockedDestination(OSError):
    """The destination address is not allowed; the message says which and why."""


def why_blocked(address: IPAddress) -> str | None:
    """The reason an address may not be contacted, or None when it is a public address."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            inner = why_blocked(embedded)
            return f"embeds {embedded}, which {inner}" if inner else None
        if address.teredo is not None or address in _NAT64_LOCAL:
            return "is a tunnelling address"
    if address.is_loopback:
        return "is a loopback address"
    if address.is_link_local:
        return "is a link-local address (cloud metadata lives here)"
    if address.is_multicast:
        return "is a multicast address"
    if address.is_unspecified:
        return "is the unspecified address"
    if isinstance(address, ipaddress.IPv4Address) and address in _CGNAT:
        return "is a carrier-grade NAT address"
    if address.is_private:
        return "is a private address"
    if address.is_reserved or not address.is_global:
        return "is a reserved address"
    return None


class AddressPolicy:
    def __init__(self, allow: Iterable[IPNetwork] = ()) -> None:
        self._allow = tuple(allow)

    def check(self, host: str) -> None:
        """Raise ``BlockedDestination`` unless ``host`` (an IP literal) may be contacted."""
        address = ipaddress.ip_address(host.split("%", 1)[0])
        if any(address in net for net in self._allow if net.version == address.version):
            return
        reason = why_blocked(address)
        if reason is not None:
            raise BlockedDestination(
                f"blocked destination: {address} {reason} "
                "(allow it with SIVO_WEBHOOK_ALLOW_NETWORKS)"
            )


def ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


class GuardedResolver(AbstractResolver):
    """Resolves as usual, then keeps only addresses the policy allows."""

    def __init__(self, policy: AddressPolicy, inner: AbstractResolver | None = None) -> None:
        self._policy = policy
        self._inner = inner or DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        allowed: list[ResolveResult] = []
        last: BlockedDestination | None = None
        for result in results:
            try:
                self._policy.check(result["host"])
            except BlockedDestination as exc:
                last = exc
                continue
            allowed.append(result)
        if not allowed:
            raise last or BlockedDestination(f"{host} did not resolve to an allowed address")
        return allowed

    async def close(self) -> None:
        await self._inner.close()

    def __getattr__(self, name: str) -> Any:  # pragma: no cover - passthrough for aiohttp
        return getattr(self._inner, name)
