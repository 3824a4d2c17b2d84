"""``/api/v1/screenpop``: a caller's number resolved to the ``sforce.opencti.screenPop``
argument for one of the tenant's connected orgs, the cache behind it, and its settings."""

from __future__ import annotations

from aiohttp import web

from server.schemas.screenpop import (
    CacheQuery,
    ScreenPopQuery,
    ScreenPopResult,
    ScreenPopSettings,
    ScreenPopSettingsUpdate,
)

from .context import services, tenant_id
from .contract import Contract

screen_pops = Contract(tag="Screen pops")
BASE = "/api/v1/screenpop"


def _number(raw: str) -> str:
    # An unencoded "+" in a query string arrives as a space (form encoding): a number that
    # starts with a space and a digit had a "+" there.
    return f"+{raw[1:]}" if raw[:1] == " " and raw[1:2].isdigit() else raw


@screen_pops.get(
    BASE,
    query=ScreenPopQuery,
    response=ScreenPopResult,
    summary="What to pop for a caller's number",
    errors=(404, 409),
)
async def get_screen_pop(request: web.Request, query: ScreenPopQuery) -> ScreenPopResult:
    """One Salesforce search per number not seen in the last minute (Contacts, Accounts and
    open Cases whose phone fields hold it), then the tenant's policy: one Contact → that
    record; no Contact and one Account → the Account; several → Salesforce's search and the
    matches for a chooser; nothing → a new Contact with the phone filled in. `failed` when
    Salesforce did not answer within `timeout_ms` (its answer still fills the cache); 404
    for an org the tenant does not have; 409 `needs_reconnect` when it must be connected
    again."""
    return await services(request).salesforce.screen_pops.lookup(
        tenant_id(request),
        query.org_id,
        _number(query.number),
        timeout_s=query.timeout_ms / 1000,
    )


@screen_pops.delete(
    f"{BASE}/cache",
    query=CacheQuery,
    summary="Forget what was found for a number",
    errors=(404,),
)
async def forget_screen_pop(request: web.Request, query: CacheQuery) -> None:
    """Call it after creating a record from the pop: the next lookup asks Salesforce again."""
    await services(request).salesforce.screen_pops.invalidate(
        tenant_id(request), query.org_id, _number(query.number)
    )


@screen_pops.get(
    f"{BASE}/settings", response=ScreenPopSettings, summary="The tenant's screen-pop settings"
)
async def get_screen_pop_settings(request: web.Request) -> ScreenPopSettings:
    return await services(request).salesforce.screen_pops.settings(tenant_id(request))


@screen_pops.patch(
    f"{BASE}/settings",
    body=ScreenPopSettingsUpdate,
    response=ScreenPopSettings,
    summary="Change the default region or prefer_case",
)
async def update_screen_pop_settings(
    request: web.Request, body: ScreenPopSettingsUpdate
) -> ScreenPopSettings:
    """`default_region` reads numbers without a country code (default `US`); `prefer_case`
    pops a single Contact's only open Case instead of the Contact (default false)."""
    return await services(request).salesforce.screen_pops.update_settings(tenant_id(request), body)
