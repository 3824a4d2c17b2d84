"""Stored org rows as the API shows them."""

from __future__ import annotations

import json

from sqlalchemy.engine import RowMapping

from server.schemas.salesforce import CallCenterChoice, Discovered, SalesforceOrg
from server.times import rfc3339

from .hosts import lightning_origin


def org_view(row: RowMapping) -> SalesforceOrg:
    centers = [CallCenterChoice(**c) for c in json.loads(row["call_centers"])]
    chosen = next((c for c in centers if c.id == row["call_center_id"]), None)
    discovery = json.loads(row["discovery"])
    return SalesforceOrg(
        id=row["id"],
        org_id=row["org_id"],
        org_id15=row["org_id15"],
        name=row["name"],
        is_sandbox=bool(row["is_sandbox"]),
        environment=row["environment"],
        login=row["environment"] if row["environment"] != "my_domain" else row["login_url"],
        instance_url=row["instance_url"],
        lightning_origin=lightning_origin(row["instance_url"]),
        my_domain=row["my_domain"],
        status=row["status"],
        status_reason=row["status_reason"],
        connected_by=row["connected_by"],
        connected_at=rfc3339(row["connected_at"]),
        call_center=chosen,
        call_centers=centers,
        scrt_base_url=row["scrt_base_url"],
        scrt_source=row["scrt_source"],
        push_transcripts=bool(row["push_transcripts"]),
        provider_name=row["provider_name"],
        discovery=[Discovered(**item) for item in discovery.get("items", [])],
    )
