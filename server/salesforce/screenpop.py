"""Screen pops resolved on the server: a caller's number in, the ``screenPop`` argument out.

One lookup, for one org and one number::

    lookup(tenant, org, raw) ──> the org (the tenant's, or 404) and the tenant's settings
        ──> normalize(raw, region) ── not a number ──> invalid_number (no request)
        ──> cache (org, E.164) ── hit ──> decide(...)  cached: true
        ──> single flight per (org, E.164): ONE SOSL search, GET /search/?q=FIND {…}
              ├── answered within timeout_s ──> decide(...)
              └── not yet (or failed) ───────> failed, at once; the search goes on and
                                               fills the cache when Salesforce answers

What is cached is what Salesforce found, not the pop: the tenant's ``prefer_case`` applies
at every read. A search that found nothing is cached too, for a shorter time, and
``invalidate`` forgets a number (a record was just created from the pop). The cache is
bounded (least recently used out first) and runs on the injected clock.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from typing import Any, Protocol

import httpx
from sqlalchemy.engine import RowMapping

from server.clock import Clock
from server.failures import NotFound
from server.schemas.screenpop import ScreenPopResult, ScreenPopSettings, ScreenPopSettingsUpdate
from server.store import salesforce as org_store
from server.store import screenpop as store
from server.store.db import Database

from .client import SalesforceError
from .screenpop_policy import (
    Found,
    Number,
    Policy,
    decide,
    failed,
    found_in,
    invalid_number,
    normalize,
    search_for,
)

logger = logging.getLogger(__name__)

DEFAULT_REGION = "US"
Key = tuple[str, str]  # (org row id, E.164)


class SearchClient(Protocol):
    @property
    def data_url(self) -> str: ...

    async def request(self, method: str, url: str, **kw: Any) -> httpx.Response: ...


class OrgClients(Protocol):
    """What screen pops need of the connected orgs (``SalesforceOrgs`` is one)."""

    def client(self, row: RowMapping) -> SearchClient: ...


class PopCache:
    """What searches found, by (org row id, E.164), until it expires on ``clock``.

    Args:
        ttl_s: how long a search that found something is kept.
        negative_ttl_s: the same for one that found nothing (shorter: a record may be
            created any moment).
        max_entries: past this, the least recently used entry goes.
    """

    def __init__(
        self, *, clock: Clock, ttl_s: float, negative_ttl_s: float, max_entries: int
    ) -> None:
        self._clock = clock
        self._ttl_s = ttl_s
        self._negative_ttl_s = negative_ttl_s
        self._max = max_entries
        self._entries: OrderedDict[Key, tuple[float, Found]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Key) -> Found | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry[0] <= self._clock.now():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return entry[1]

    def put(self, key: Key, found: Found) -> None:
        ttl = self._negative_ttl_s if found.empty else self._ttl_s
        self._entries[key] = (self._clock.now() + ttl, found)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def drop(self, key: Key) -> None:
        self._entries.pop(key, None)


class ScreenPops:
    """Screen-pop lookups for every tenant's orgs, with their cache and settings.

    Args:
        timeout_s: how long ``lookup`` waits for Salesforce unless told otherwise (5 s).
        ttl_s, negative_ttl_s, max_entries: the cache's (60 s, 15 s, 10,000 numbers); the
            org an id names and a tenant's settings are kept for ``ttl_s`` too.
    """

    def __init__(
        self,
        *,
        db: Database,
        orgs: OrgClients,
        clock: Clock,
        timeout_s: float = 5.0,
        ttl_s: float = 60.0,
        negative_ttl_s: float = 15.0,
        max_entries: int = 10_000,
    ) -> None:
        self._db = db
        self._orgs = orgs
        self._clock = clock
        self._timeout_s = timeout_s
        self._ttl_s = ttl_s
        self._cache = PopCache(
            clock=clock, ttl_s=ttl_s, negative_ttl_s=negative_ttl_s, max_entries=max_entries
        )
        self._flights: dict[Key, asyncio.Task[Found]] = {}
        self._tasks: set[asyncio.Task[Found]] = set()  # every search still running
        self._rows: dict[tuple[str, str], tuple[float, RowMapping]] = {}
        self._settings: dict[str, tuple[float, ScreenPopSettings]] = {}

    # -- lookups ----------------------------------------------------------------------------

    async def lookup(
        self, tenant_id: str, org_ref: str, raw: str, *, timeout_s: float | None = None
    ) -> ScreenPopResult:
        """The pop for ``raw`` in the tenant's org ``org_ref`` (its org id, 18 or 15
        characters, or SIVO's row id).

        Returns ``failed`` once ``timeout_s`` has passed without Salesforce's answer, or
        when Salesforce failed; the search itself is not cancelled.

        Raises:
            NotFound: the tenant has no such org.
            ReconnectNeeded: the org must be connected again (nothing is sent).
        """
        row = await self._org(tenant_id, org_ref)
        prefs = await self.settings(tenant_id)
        number = normalize(raw, prefs.default_region)
        if number is None:
            return invalid_number()
        policy = Policy(prefer_case=prefs.prefer_case)
        key = (str(row["id"]), number.e164)
        found = self._cache.get(key)
        if found is not None:
            return decide(number, found, policy).model_copy(update={"cached": True})
        flight = self._flights.get(key) or self._start(key, row, number)
        wait = self._timeout_s if timeout_s is None else timeout_s
        try:
            found = await asyncio.wait_for(asyncio.shield(flight), wait)
        except TimeoutError:
            logger.warning("%s x screenpop search still running after %.2f s", key[0], wait)
            return failed(number)
        except SalesforceError as exc:
            logger.warning("%s x screenpop search failed: %s", key[0], exc.sf_code)
            return failed(number)
        return decide(number, found, policy)

    async def invalidate(self, tenant_id: str, org_ref: str, raw: str) -> None:
        """Forget what was found for the number (a search under way is not kept either)."""
        row = await self._org(tenant_id, org_ref)
        number = normalize(raw, (await self.settings(tenant_id)).default_region)
        if number is not None:
            key = (str(row["id"]), number.e164)
            self._cache.drop(key)
            self._flights.pop(key, None)

    async def settled(self) -> None:
        """Wait for every search under way (tests)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def close(self) -> None:
        """At shutdown, before the HTTP client closes: searches still running are dropped."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _start(self, key: Key, row: RowMapping, number: Number) -> asyncio.Task[Found]:
        task = asyncio.create_task(self._search(row, number), name=f"screenpop {key[0]}")
        self._flights[key] = task
        self._tasks.add(task)

        def done(finished: asyncio.Task[Found]) -> None:
            self._tasks.discard(finished)
            current = self._flights.get(key) is finished
            if current:
                del self._flights[key]
            if finished.cancelled() or finished.exception() is not None:
                return  # the exception is the waiters'; reading it marks it retrieved
            if current:  # not invalidated meanwhile
                self._cache.put(key, finished.result())

        task.add_done_callback(done)
        return task

    async def _search(self, row: RowMapping, number: Number) -> Found:
        client = self._orgs.client(row)
        started = time.perf_counter()
        resp = await client.request(
            "GET", f"{client.data_url}/search/", params={"q": search_for(number)}
        )
        try:
            found = found_in(resp.json())
        except ValueError as exc:
            raise SalesforceError(resp.status_code, "INVALID_RESPONSE", str(exc)) from exc
        logger.info(
            "%s screenpop search …%s: %d contacts, %d accounts, %d open cases in %.0f ms",
            row["id"],
            number.e164[-4:],
            len(found.contacts),
            len(found.accounts),
            len(found.cases),
            (time.perf_counter() - started) * 1000,
        )
        return found

    async def _org(self, tenant_id: str, org_ref: str) -> RowMapping:
        now = self._clock.now()
        kept = self._rows.get((tenant_id, org_ref))
        if kept is not None and kept[0] > now:
            return kept[1]
        async with self._db.read() as conn:
            row = await org_store.org_by_any_id(conn, org_ref)
        if row is None or row["tenant_id"] != tenant_id:
            self._rows.pop((tenant_id, org_ref), None)
            raise NotFound("Salesforce org")
        self._rows[(tenant_id, org_ref)] = (now + self._ttl_s, row)
        return row

    # -- settings ---------------------------------------------------------------------------

    async def settings(self, tenant_id: str) -> ScreenPopSettings:
        now = self._clock.now()
        kept = self._settings.get(tenant_id)
        if kept is not None and kept[0] > now:
            return kept[1]
        async with self._db.read() as conn:
            row = await store.get_settings(conn, tenant_id)
        found = ScreenPopSettings(
            default_region=row["default_region"] if row else DEFAULT_REGION,
            prefer_case=bool(row["prefer_case"]) if row else False,
        )
        self._settings[tenant_id] = (now + self._ttl_s, found)
        return found

    async def update_settings(
        self, tenant_id: str, body: ScreenPopSettingsUpdate
    ) -> ScreenPopSettings:
        current = await self.settings(tenant_id)
        merged = current.model_copy(update=body.changes())
        async with self._db.transaction() as tx:
            await store.upsert_settings_txn(
                tx,
                {
                    "tenant_id": tenant_id,
                    "default_region": merged.default_region,
                    "prefer_case": merged.prefer_case,
                    "updated_at": self._clock.now(),
                },
            )
        self._settings.pop(tenant_id, None)
        logger.info("%s screenpop settings: %s", tenant_id, merged.model_dump())
        return merged
