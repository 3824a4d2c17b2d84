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

from sqlalchemy.engine import RowMapping

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

    def note(
        self, key: str, name: str, value: str | bool | None, how: str, *, uncertain: bool = False
    ) -> None:
        self.items.append(
            {"key": key, "name": name, "value": value, "how": how, "uncertain": uncertain}
        )

    def columns(self, previous: RowMapping | None = None) -> dict[str, Any]:
        """The org row's columns; what the admin chose before (a call center that still
        exists, an SCRT2 override) stays."""
        ids = [c["id"] for c in self.call_centers]
        chosen = previous["call_center_id"] if previous is not None else None
        if chosen not in ids:
            chosen = ids[0] if len(ids) == 1 else None
        name = next((c["internal_name"] for c in self.call_centers if c["id"] == chosen), None)
        scrt_url, scrt_source = self.scrt_url, self.scrt_source
        if previous is not None and previous["scrt_source"] == "admin":
            scrt_url, scrt_source = previous["scrt_base_url"], "admin"
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
            "call_center_id": chosen,
            "call_center_name": name,
            "scrt_base_url": scrt_url,
            "scrt_source": scrt_source,
            "discovery": json.dumps(
                {"items": self.items, "scrt": {"url": self.scrt_url, "source": self.scrt_source}}
            ),
        }


async def discover(client: SalesforceClient, instance_url: str, identity_url: str) -> Discovery:
    """Everything SIVO reads from an org: at connect, and when the admin asks again."""
    identity = oauth.Identity.model_validate(await client.identity(identity_url))
    rows = await client.query(ORG_QUERY)
    if not rows:
        raise SalesforceError(200, "NO_ORGANIZATION", "the Organization query returned no row")
    org = rows[0]
    org_id = str(org["Id"])
    if org_id != identity.organization_id:
        raise SalesforceError(200, "ORG_MISMATCH", "identity and Organization disagree")
    is_sandbox = bool(org.get("IsSandbox"))
    my_domain = my_domain_name(instance_url)
    centers = [
        {"id": str(r["Id"]), "internal_name": str(r["InternalName"]), "name": str(r["Name"])}
        for r in await client.query(CALL_CENTER_QUERY)
    ]
    found = Discovery(
        org_id=org_id,
        org_id15=org_id[:15],
        name=str(org.get("Name") or ""),
        is_sandbox=is_sandbox,
        instance_url=instance_url,
        my_domain=my_domain,
        identity_url=identity_url,
        username=identity.username,
        call_centers=centers,
        scrt_url=None,
        scrt_source="none",
    )
    found.note("org_id", "Org ID (18)", org_id, ORG_QUERY)
    found.note("org_id15", "Org ID (15, the SCRT2 issuer)", org_id[:15], "the first 15 characters")
    found.note("is_sandbox", "Sandbox", is_sandbox, ORG_QUERY + " (IsSandbox)")
    found.note("instance_url", "Instance URL", instance_url, "the token response's instance_url")
    found.note(
        "my_domain",
        "My Domain",
        my_domain,
        "the instance URL's host" if my_domain else "the instance URL is not a My Domain host",
    )
    found.note(
        "approved_by", "Approved by", identity.username, f"the identity URL (GET {identity_url})"
    )
    names = ", ".join(c["internal_name"] for c in centers) or None
    found.note("call_centers", "SIVO call centers", names, CALL_CENTER_QUERY)
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
        found.note("scrt_base_url", "SCRT2 base URL", found.scrt_url, SCRT_QUERY)
        return
    derived = scrt_base_url(found.instance_url, found.is_sandbox)
    how = f"{SCRT_QUERY} answered INVALID_TYPE (Salesforce documents no such object); " + (
        "derived from the My Domain" if derived else "no My Domain to derive it from: set it"
    )
    found.scrt_url, found.scrt_source = derived, "derived" if derived else "none"
    uncertain = bool(derived) and found.is_sandbox
    found.note("scrt_base_url", "SCRT2 base URL", derived, how, uncertain=uncertain)
