"""Identifiers: a type prefix, a millisecond time prefix (so ids sort by creation), randomness.

They never contain ".", which Standard Webhooks forbids in message ids.
"""

from __future__ import annotations

import secrets


def new_id(prefix: str, now: float) -> str:
    return f"{prefix}_{int(now * 1000):012x}{secrets.token_hex(10)}"
