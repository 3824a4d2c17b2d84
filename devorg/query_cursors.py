"""Query locators: SOQL results served in batches, with server-side cursors held in memory.

Salesforce returns at most 2,000 records per response; ``Sforce-Query-Options: batchSize=N``
asks for smaller batches, 200 to 2,000 (REST API Developer Guide, "Query", "Query Options
Header"). A larger result comes with ``done: false`` and ``nextRecordsUrl:
/services/data/vXX.X/query/01g...-2000``; a GET on that URL ("Query More Results") returns
the next batch; ``totalSize`` is always the full count. A locator "expires automatically
after 15 minutes of inactivity" and "a user can have up to ten query cursors open at a
time ... the oldest of the ten cursors is released" (SOAP API Developer Guide,
"QueryLocator"); a released, expired or unknown locator gets ``INVALID_QUERY_LOCATOR``.

Pure apart from the id factory: time comes in as ``now`` (seconds).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "LocatorError",
    "QueryCursors",
    "batch_size_from_header",
]

DEFAULT_BATCH_SIZE = 2000  # "The default is 2,000; the minimum is 200, and the maximum is 2,000"
MIN_BATCH_SIZE = 200
MAX_CURSORS_PER_USER = 10
_LOCATOR = re.compile(r"^(01g[0-9A-Za-z]{15})-(\d+)$")
_BATCH_OPTION = re.compile(r"(?:^|[,;\s])batchSize\s*=\s*(\d+)", re.IGNORECASE)

Record = dict[str, Any]


class LocatorError(Exception):
    """The locator is unknown, of another org or user, released, or expired."""


def batch_size_from_header(value: str | None) -> int:
    """The batch size asked for by ``Sforce-Query-Options``, clamped to 200..2,000.

    Guess: out-of-range values are clamped rather than refused (the guide only says "there is
    no guarantee that the requested batch size is the actual batch size").
    """
    match = _BATCH_OPTION.search(value or "")
    if match is None:
        return DEFAULT_BATCH_SIZE
    return max(MIN_BATCH_SIZE, min(DEFAULT_BATCH_SIZE, int(match.group(1))))


@dataclass
class _Cursor:
    org_id: str
    user_id: str
    records: list[Record]
    batch_size: int
    all_rows: bool
    last_used: float


class QueryCursors:
    """Open cursors of all orgs, keyed by their 18-character ``01g`` locator."""

    def __init__(self, *, ttl_seconds: float, new_locator: Callable[[], str]) -> None:
        self.ttl_seconds = ttl_seconds
        self._new_locator = new_locator
        self._cursors: dict[str, _Cursor] = {}

    def __len__(self) -> int:
        return len(self._cursors)

    def first_page(
        self,
        result: Record,
        *,
        org_id: str,
        user_id: str,
        batch_size: int,
        all_rows: bool,
        version: str,
        now: float,
    ) -> Record:
        """Cut ``result`` (``{totalSize, done, records}``) to its first batch, keeping a
        cursor for the rest."""
        self._expire(now)
        records: list[Record] = result["records"]
        if len(records) <= batch_size:
            return result
        mine = [k for k, c in self._cursors.items() if (c.org_id, c.user_id) == (org_id, user_id)]
        for locator in mine[: max(0, len(mine) - MAX_CURSORS_PER_USER + 1)]:
            del self._cursors[locator]  # dicts keep insertion order: the oldest go first
        locator = self._new_locator()
        self._cursors[locator] = _Cursor(org_id, user_id, records, batch_size, all_rows, now)
        return self._page(locator, self._cursors[locator], 0, version)

    def next_page(
        self, locator_text: str, *, org_id: str, user_id: str, version: str, now: float
    ) -> Record:
        """The batch a ``nextRecordsUrl`` names (its last path segment, ``01g...-N``).

        Raises:
            LocatorError: unknown, released or expired locator, another org's or user's,
                or an offset outside the result.
        """
        self._expire(now)
        match = _LOCATOR.match(locator_text)
        cursor = self._cursors.get(match.group(1)) if match else None
        if match is None or cursor is None or (cursor.org_id, cursor.user_id) != (org_id, user_id):
            raise LocatorError(locator_text)
        offset = int(match.group(2))
        if not 0 < offset < len(cursor.records):
            raise LocatorError(locator_text)
        cursor.last_used = now
        return self._page(match.group(1), cursor, offset, version)

    def _page(self, locator: str, cursor: _Cursor, offset: int, version: str) -> Record:
        end = offset + cursor.batch_size
        page: Record = {"totalSize": len(cursor.records), "done": end >= len(cursor.records)}
        if end < len(cursor.records):
            resource = "queryAll" if cursor.all_rows else "query"
            page["nextRecordsUrl"] = f"/services/data/v{version}/{resource}/{locator}-{end}"
        else:
            del self._cursors[locator]  # the cursor is used up
        page["records"] = cursor.records[offset:end]
        return page

    def _expire(self, now: float) -> None:
        stale = [k for k, c in self._cursors.items() if c.last_used + self.ttl_seconds <= now]
        for locator in stale:
            del self._cursors[locator]
