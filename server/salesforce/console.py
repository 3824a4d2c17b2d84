"""The softphone inside an org's Lightning console: which pages may frame it, and its policy.

Salesforce opens the call center's adapter URL, ``{SIVO}/softphone/?org=<org row id>``, in an
iframe of the console with its own parameters (``sfdcIframeOrigin``, ``mode=Lightning``, …;
reference §7.1). Per request, the page's Content-Security-Policy then says:

- ``frame-ancestors``: only that org's Lightning origin and its My Domain (instance) origin,
  so no other site can frame the softphone (clickjacking); an unknown or disconnected org
  leaves ``'none'``;
- ``script-src``: SIVO, plus ``sfdcIframeOrigin`` when it is one of those origins, so that
  the page can load the org's ``opencti_min.js`` and nothing from anywhere else.

The same page opened without ``org`` is the standalone softphone, under the plain policy.
The framing check is made again in the browser (``static/softphone/opencti-model.js``): the
page refuses to load anything for a frame origin the org does not own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from phonenumbers import PhoneMetadata, country_code_for_region

from server.schemas.screenpop import ScreenPopSettings
from server.store import salesforce as store
from server.store.db import Database

from .hosts import lightning_origin, origin

# The page's policy apart from the two per-org directives. ws:// and wss:// to this origin
# are covered by 'self' (CSP Level 3).
_BASE = (
    "default-src 'self'; media-src 'self' blob:; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'"
)
# The microphone for this origin only; Salesforce's iframe delegates it with allow="microphone"
# (reference §9). Everything else a page could ask for stays off.
SOFTPHONE_PERMISSIONS = "microphone=(self), camera=(), geolocation=(), payment=(), usb=()"


@dataclass(frozen=True, slots=True)
class DialPlan:
    """How the softphone reads a number clicked in Salesforce (people type national forms):
    the tenant's default region's country code and international prefix (US: 1 and 011)."""

    country_code: str | None  # None: no default country (a national number is refused)
    international_prefix: str


def dial_plan(region: str) -> DialPlan:
    metadata = PhoneMetadata.metadata_for_region(region.upper())
    prefix = (metadata.international_prefix if metadata else None) or "00"
    # Regions with several prefixes give a pattern ("0(?:0|11)"): the preferred one, or 00.
    if not prefix.isdigit():
        prefix = (metadata.preferred_international_prefix if metadata else None) or "00"
    code = country_code_for_region(region.upper())
    return DialPlan(str(code) if code else None, prefix)


@dataclass(frozen=True, slots=True)
class ConsoleFrame:
    """What the softphone page needs to know of the org that frames it (nothing secret)."""

    org_row_id: str
    name: str
    origins: tuple[str, ...]  # Lightning first, then the My Domain (instance) origin
    dial: DialPlan

    def allows(self, frame_origin: str | None) -> bool:
        return frame_origin is not None and frame_origin.lower() in self.origins


def console_origins(instance_url: str) -> tuple[str, ...]:
    """The origins an org's console pages are served from (one off Salesforce)."""
    found: list[str] = []
    for candidate in (lightning_origin(instance_url), origin(instance_url)):
        if candidate not in found:
            found.append(candidate)
    return tuple(found)


def softphone_csp(frame: ConsoleFrame | None, frame_origin: str | None) -> str:
    """The softphone page's policy for this request (see the module docstring)."""
    if frame is None:
        return f"{_BASE}; frame-ancestors 'none'"
    scripts = "'self'"
    if frame.allows(frame_origin):
        # Our own spelling of the origin, never the query's text.
        scripts += " " + next(o for o in frame.origins if o == str(frame_origin).lower())
    return f"{_BASE}; script-src {scripts}; frame-ancestors {' '.join(frame.origins)}"


class TenantSettings(Protocol):
    async def settings(self, tenant_id: str) -> ScreenPopSettings: ...


class ConsoleFraming:
    """Looks the framing org up by the id the adapter URL carries."""

    def __init__(self, *, db: Database, settings: TenantSettings) -> None:
        self._db = db
        self._settings = settings

    async def frame(self, org_ref: str) -> ConsoleFrame | None:
        """The org ``org_ref`` (SIVO's row id, or the 15/18-character org id) while it is
        connected; None for an unknown one. An org that needs reconnecting still frames
        the softphone: its agents must be able to read why calls do not pop."""
        if not org_ref or len(org_ref) > 40:
            return None
        async with self._db.read() as conn:
            row = await store.org_by_any_id(conn, org_ref)
        if row is None:
            return None
        region = (await self._settings.settings(str(row["tenant_id"]))).default_region
        return ConsoleFrame(
            org_row_id=str(row["id"]),
            name=str(row["name"] or ""),
            origins=console_origins(str(row["instance_url"])),
            dial=dial_plan(region),
        )
