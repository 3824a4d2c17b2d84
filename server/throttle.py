"""Login throttling: failed attempts per account and per client address, decaying over time.

Each failure adds one to a key's score, and the score decays exponentially (``half_life_s``).
After ``limit`` failures in a row a key is refused until the decay brings its score below
``limit - 1`` (``Retry-After``): with the defaults, 97 s for an account after 5 failures, 22 s
for an address after 20. Guessing is held to about one try per that long however long it
goes on, and a stopped attack leaves no lock behind: the score keeps decaying. A successful
login clears the account's score. Pure: time comes in as arguments.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from server.failures import Failure


class TooManyAttempts(Failure):
    def __init__(self, retry_after_s: float) -> None:
        super().__init__("too_many_attempts", "too many failed sign-ins; try again later")
        self.retry_after_s = retry_after_s


@dataclass
class _Score:
    value: float
    at: float


class LoginThrottle:
    def __init__(
        self,
        *,
        account_limit: float = 5,
        address_limit: float = 20,
        half_life_s: float = 300.0,
        max_keys: int = 100_000,
    ) -> None:
        self._limits = {"account": account_limit, "address": address_limit}
        self._decay = math.log(2) / half_life_s
        self._max_keys = max_keys
        self._scores: dict[tuple[str, str], _Score] = {}

    def _value(self, key: tuple[str, str], now: float) -> float:
        score = self._scores.get(key)
        if score is None:
            return 0.0
        return score.value * math.exp(-self._decay * max(0.0, now - score.at))

    def check(self, account: str, address: str, now: float) -> None:
        """Raise :class:`TooManyAttempts` while either key is over its limit."""
        wait = 0.0
        for kind, name in (("account", account), ("address", address)):
            free_below = self._limits[kind] - 1
            value = self._value((kind, name), now)
            if value > free_below + 1e-9:
                wait = max(wait, math.log(value / free_below) / self._decay)
        if wait > 0:
            raise TooManyAttempts(wait)

    def failed(self, account: str, address: str, now: float) -> None:
        if len(self._scores) >= self._max_keys:
            self._forget_faded(now)
        for key in (("account", account), ("address", address)):
            self._scores[key] = _Score(self._value(key, now) + 1.0, now)

    def succeeded(self, account: str) -> None:
        self._scores.pop(("account", account), None)

    def _forget_faded(self, now: float) -> None:
        for key in [k for k in self._scores if self._value(k, now) < 0.05]:
            del self._scores[key]
