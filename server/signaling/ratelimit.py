"""Token buckets for the unauthenticated ``/caller`` namespace (pure; time is an argument)."""

from __future__ import annotations

from collections import OrderedDict


class TokenBucket:
    """``rate`` tokens per second, at most ``burst`` saved up; each message takes one."""

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.at = now

    def take(self, now: float, cost: float = 1.0) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < cost:
            return False
        self.tokens -= cost
        return True


class AddressLimits:
    """Per remote address: a message bucket shared by its connections, and a count of them.

    Buckets of idle addresses are forgotten beyond ``max_addresses`` (oldest first), so a
    scan from many addresses cannot grow memory without bound.
    """

    def __init__(
        self, *, rate: float, burst: float, max_connections: int, max_addresses: int = 10000
    ) -> None:
        self.rate, self.burst = rate, burst
        self.max_connections = max_connections
        self.max_addresses = max_addresses
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()
        self._connections: dict[str, int] = {}

    def take(self, address: str, now: float) -> bool:
        bucket = self._buckets.get(address)
        if bucket is None:
            bucket = self._buckets[address] = TokenBucket(self.rate, self.burst, now)
            while len(self._buckets) > self.max_addresses:
                self._buckets.popitem(last=False)
        self._buckets.move_to_end(address)
        return bucket.take(now)

    def connect(self, address: str, now: float) -> bool:
        if self._connections.get(address, 0) >= self.max_connections or not self.take(address, now):
            return False
        self._connections[address] = self._connections.get(address, 0) + 1
        return True

    def disconnect(self, address: str) -> None:
        left = self._connections.get(address, 0) - 1
        if left > 0:
            self._connections[address] = left
        else:
            self._connections.pop(address, None)
