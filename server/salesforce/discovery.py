"""What SIVO finds out about an org when it connects, so that no one copies an id anywhere.

Each value is kept with how it was found (shown in the dashboard). The product page's
``ScrtServiceConfiguration`` object is tried first, as it promises; Salesforce documents no
such object and a real org answers ``INVALID_TYPE``, so the SCRT2 base URL is then derived
from the My Domain (reference §2.1), marked uncertain for sandboxes, and the admin may
override it per org.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from . import oauth
from .client import SalesforceClient, SalesforceError
from .hosts import my_domain_name, scrt_base_url

ORG_QUERY = "SELECT Id, Name, IsSandbox FROM Organization LIMIT 1"
CALL_CENTER_QUERY = (
    "SELECT Id, InternalName, Name FROM CallCenter WHERE InternalName LIKE 'SIVO_%' "
    "ORDER BY InternalName"
)
SCRT_QUERY = "SELECT Endpoint FROM ScrtServiceConfiguration LIMIT 1"


@dataclass
class Discovery:
    org_id: str
    org_id15: str
    name: str
    is_sandbox: bool
    instance_url: str
    my_domain: str | None
    identity_url: str
    username: str
    call_centers: list[dict[str, str]]
    scrt_url: str | None
    scrt_source: str
    items: list[dict[str, Any]] = field(default_factory=list)

    def note(self, name: str, value: object, how: str, *, uncertain: bool = False) -> None:
        shown = None if value is None else str(value)
        self.items.append({"name": name, "value": shown, "how": how, "uncertain": uncertain})

    def columns(self) -> dict[str, Any]:
        only = self.call_centers[0] if len(self.call_centers) == 1 else None
        return {
            "org_id": self.org_id,
            "org_id15": self.org_id15,
            "name": self.name,
            "is_sandbox": self.is_sandbox,
            "instance_url": self.instance_url,
            "my_domain": self.my_domain,
            "identity_url": self.identity_url,
            "connected_by": self.username,
            "call_centers": json.dumps(self.call_centers),
            "call_center_id": only["id"] if only else None,
            "call_center_name": only["internal_name"] if only else None,
            "scrt_base_url": self.scrt_url,
            "scrt_source": self.scrt_source,
            "discovery": json.dumps(
                {"items": self.items, "scrt": {"url": self.scrt_url, "source": self.scrt_source}}
            ),
        }


async def discover(client: SalesforceClient, tokens: oauth.TokenResponse) -> Discovery:
    identity = oauth.Identity.model_validate(await client.identity(tokens.id))
    rows = await client.query(ORG_QUERY)
    if not rows:
        raise SalesforceError(200, "NO_ORGANIZATION", "the Organization query returned no row")
    org = rows[0]
    org_id = str(org["Id"])
    if org_id != identity.organization_id:
        raise SalesforceError(200, "ORG_MISMATCH", "identity and Organization disagree")
    is_sandbox = bool(org.get("IsSandbox"))
    my_domain = my_domain_name(tokens.instance_url)
    centers = [
        {"id": str(r["Id"]), "internal_name": str(r["InternalName"]), "name": str(r["Name"])}
        for r in await client.query(CALL_CENTER_QUERY)
    ]
    found = Discovery(
        org_id=org_id,
        org_id15=org_id[:15],
        name=str(org.get("Name") or ""),
        is_sandbox=is_sandbox,
        instance_url=tokens.instance_url,
        my_domain=my_domain,
        identity_url=tokens.id,
        username=identity.username,
        call_centers=centers,
        scrt_url=None,
        scrt_source="none",
    )
    found.note("Org ID (18)", org_id, ORG_QUERY)
    found.note("Org ID (15, the SCRT2 issuer)", org_id[:15], "the first 15 characters of the Id")
    found.note("Sandbox", is_sandbox, ORG_QUERY + " (IsSandbox)")
    found.note("Instance URL", tokens.instance_url, "the token response's instance_url")
    found.note(
        "My Domain",
        my_domain,
        "the instance URL's host" if my_domain else "the instance URL is not a My Domain host",
    )
    found.note("Approved by", identity.username, "the identity URL (GET " + tokens.id + ")")
    names = ", ".join(c["internal_name"] for c in centers) or None
    found.note("SIVO call centers", names, CALL_CENTER_QUERY)
    await _scrt(client, found)
    return found


async def _scrt(client: SalesforceClient, found: Discovery) -> None:
    try:
        rows = await client.query(SCRT_QUERY)
    except SalesforceError as exc:
        if exc.sf_code != "INVALID_TYPE":
            raise
        rows = None
    if rows:
        found.scrt_url, found.scrt_source = str(rows[0]["Endpoint"]).rstrip("/"), "scrt_config"
        found.note("SCRT2 base URL", found.scrt_url, SCRT_QUERY)
        return
    derived = scrt_base_url(found.instance_url, found.is_sandbox)
    how = f"{SCRT_QUERY} answered INVALID_TYPE (Salesforce documents no such object); " + (
        "derived from the My Domain" if derived else "no My Domain to derive it from: set it"
    )
    found.scrt_url, found.scrt_source = derived, "derived" if derived else "none"
    found.note("SCRT2 base URL", derived, how, uncertain=bool(derived) and found.is_sandbox)
