"""SSRF guard: address classes, the allow-list, and the resolver filter (loopback only)."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from aiohttp.abc import AbstractResolver, ResolveResult

from server.webhooks.ssrf import AddressPolicy, BlockedDestination, GuardedResolver, why_blocked

# These literals are only classified here, never contacted.
NON_PUBLIC = [
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "224.0.0.251",
    "0.0.0.0",
    "240.0.0.1",
    "::1",
    "fe80::1",
    "fc00::1",
    "fd00:ec2::254",
    "::ffff:127.0.0.1",
    "2002:7f00:1::",
    "64:ff9b::a00:1",
    "192.0.2.10",
    "255.255.255.255",
]


@pytest.mark.parametrize("address", NON_PUBLIC)
def test_non_public_addresses_are_blocked(address: str) -> None:
    assert why_blocked(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700::6810:85e5"])
def test_public_addresses_pass(address: str) -> None:
    assert why_blocked(ipaddress.ip_address(address)) is None


def test_allow_list_opens_only_the_named_network() -> None:
    AddressPolicy([ipaddress.ip_network("127.0.0.0/8")]).check("127.0.0.1")
    with pytest.raises(BlockedDestination, match="loopback"):
        AddressPolicy([]).check("127.0.0.1")
    with pytest.raises(BlockedDestination, match="SIVO_WEBHOOK_ALLOW_NETWORKS"):
        AddressPolicy([ipaddress.ip_network("127.0.0.0/8")]).check("::1")


class _RebindingResolver(AbstractResolver):
    """Answers a hostname with a loopback address, as a rebinding DNS server would."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        return [
            ResolveResult(
                hostname=host, host="127.0.0.1", port=port, family=socket.AF_INET, proto=0, flags=0
            )
        ]

    async def close(self) -> None:
        return None


async def test_resolver_filters_what_dns_returns() -> None:
    blocked = GuardedResolver(AddressPolicy([]), _RebindingResolver())
    with pytest.raises(BlockedDestination, match="loopback"):
        await blocked.resolve("innocent.example", 443)
    allowed = GuardedResolver(
        AddressPolicy([ipaddress.ip_network("127.0.0.0/8")]), _RebindingResolver()
    )
    assert [r["host"] for r in await allowed.resolve("innocent.example", 443)] == ["127.0.0.1"]
