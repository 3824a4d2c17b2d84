"""In-memory data of a devorg instance: several orgs, each with its own records.

Every record lives in exactly one :class:`OrgData`; lookups never cross orgs, which is what
keeps two orgs from seeing each other's data. Records are plain dicts keyed by API field
name, with 18-character ids and dateTimes in the REST wire format.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import ids
from .schema import KEY_PREFIXES, SCHEMA
from .settings import Clock
from .sftime import format_datetime

__all__ = ["OrgData", "Record", "Store"]

logger = logging.getLogger(__name__)

Record = dict[str, Any]


@dataclass
class OrgData:
    """One org: its records plus the contact-center state SCRT2 needs."""

    org_id: str
    is_sandbox: bool
    records: dict[str, dict[str, Record]] = field(default_factory=dict)
    # CallCenter Id -> reqTelephonyIntegrationCertificate PEM (call center XML, reqHvcc).
    certificates: dict[str, str] = field(default_factory=dict)
    # Call-center XML items (getCallCenterSettings), by call center Id: "/section/item" -> value.
    call_center_settings: dict[str, dict[str, str]] = field(default_factory=dict)
    passwords: dict[str, str] = field(default_factory=dict)  # User Id -> password
    seen_jtis: dict[str, float] = field(default_factory=dict)  # jti -> exp
    autonumbers: dict[str, int] = field(default_factory=dict)
    # Deleted records (IsDeleted = true), by type then Id: the Recycle Bin, seen by queryAll.
    recycle_bin: dict[str, dict[str, Record]] = field(default_factory=dict)

    @property
    def org_id15(self) -> str:
        return self.org_id[:15]

    # RecordSource protocol (soql_eval) -------------------------------------------------
    def records_of(self, object_name: str) -> dict[str, Record]:
        return self.records.setdefault(object_name, {})

    def records_iter(self, object_name: str) -> Iterable[Record]:
        return list(self.records_of(object_name).values())

    def get(self, record_id: str, *, deleted: bool = False) -> tuple[str, Record] | None:
        """The live record with ``record_id`` (15 or 18 chars); ``deleted`` looks in the
        Recycle Bin instead."""
        if not isinstance(record_id, str) or not ids.is_salesforce_id(record_id):
            return None
        type_name = KEY_PREFIXES.get(record_id[:3])
        if type_name is None:
            return None
        table = self.recycle_bin.get(type_name, {}) if deleted else self.records_of(type_name)
        record = table.get(ids.to18(record_id))
        return (type_name, record) if record is not None else None

    def checkpoint(self) -> Any:
        """A copy of the data that :meth:`restore` puts back (``allOrNone`` rollbacks)."""
        return copy.deepcopy((self.records, self.recycle_bin, self.autonumbers))

    def restore(self, saved: Any) -> None:
        self.records, self.recycle_bin, self.autonumbers = copy.deepcopy(saved)

    def find(self, object_name: str, **criteria: Any) -> Iterator[Record]:
        for record in self.records_of(object_name).values():
            if all(record.get(k) == v for k, v in criteria.items()):
                yield record

    def first(self, object_name: str, **criteria: Any) -> Record | None:
        return next(self.find(object_name, **criteria), None)

    def organization(self) -> Record:
        return self.records_of("Organization")[self.org_id]

    def next_autonumber(self, name: str) -> int:
        self.autonumbers[name] = self.autonumbers.get(name, 0) + 1
        return self.autonumbers[name]


class _SourceView:
    """Adapts :class:`OrgData` to soql_eval's RecordSource protocol; ``all_rows`` adds the
    Recycle Bin (``queryAll``)."""

    def __init__(self, org: OrgData, all_rows: bool = False) -> None:
        self.org = org
        self.all_rows = all_rows

    def records(self, object_name: str) -> Iterable[Record]:
        live = self.org.records_iter(object_name)
        if not self.all_rows:
            return live
        return [*live, *self.org.recycle_bin.get(object_name, {}).values()]

    def get(self, record_id: str) -> tuple[str, Record] | None:
        found = self.org.get(record_id)
        if found is None and self.all_rows:
            found = self.org.get(record_id, deleted=True)
        return found


class Store:
    """All orgs of one devorg instance, and the id counter they share."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.orgs: dict[str, OrgData] = {}
        self.id_generator = ids.IdGenerator()

    def source(self, org: OrgData, *, all_rows: bool = False) -> _SourceView:
        return _SourceView(org, all_rows)

    def org(self, org_id: str) -> OrgData | None:
        if not ids.is_salesforce_id(org_id):
            return None
        return self.orgs.get(ids.to18(org_id))

    def org_by_id15(self, org_id15: str) -> OrgData | None:
        return next((o for o in self.orgs.values() if o.org_id15 == org_id15), None)

    def create_org(self, name: str, *, is_sandbox: bool) -> OrgData:
        org_id = self.id_generator.new_id("00D")
        org = OrgData(org_id=org_id, is_sandbox=is_sandbox)
        self.orgs[org_id] = org
        now = format_datetime(self.clock.now())
        org.records_of("Organization")[org_id] = {
            "Id": org_id,
            "Name": name,
            "IsSandbox": is_sandbox,
            "OrganizationType": "Developer Edition",
            "InstanceName": "DEVORG",
            "NamespacePrefix": None,
            "TimeZoneSidKey": "America/Los_Angeles",
            "LanguageLocaleKey": "en_US",
            "CreatedDate": now,
            "LastModifiedDate": now,
            "SystemModstamp": now,
            "CreatedById": None,
            "LastModifiedById": None,
        }
        logger.info("org %s created (%s, sandbox=%s)", org_id, name, is_sandbox)
        return org

    def insert(
        self, org: OrgData, type_name: str, values: Record, *, user_id: str | None
    ) -> Record:
        """Create a record with system fields, defaults and derived fields filled in."""
        obj = SCHEMA[type_name]
        record_id = self.id_generator.new_id(obj.key_prefix)
        now = format_datetime(self.clock.now())
        record: Record = dict.fromkeys(obj.fields)
        if "IsDeleted" in obj.fields:
            record["IsDeleted"] = False
        record.update(obj.defaults)
        record.update(values)
        record.update(
            Id=record_id,
            CreatedDate=now,
            LastModifiedDate=now,
            SystemModstamp=now,
            CreatedById=user_id,
            LastModifiedById=user_id,
        )
        if "OwnerId" in obj.fields and record.get("OwnerId") is None:
            record["OwnerId"] = user_id
        self._derive(org, type_name, record, created=True)
        org.records_of(type_name)[record_id] = record
        return record

    def update(
        self, org: OrgData, type_name: str, record: Record, values: Record, *, user_id: str | None
    ) -> None:
        record.update(values)
        now = format_datetime(self.clock.now())
        record.update(LastModifiedDate=now, SystemModstamp=now, LastModifiedById=user_id)
        self._derive(org, type_name, record, created=False)

    def delete(self, org: OrgData, type_name: str, record: Record, *, user_id: str | None) -> None:
        """Move ``record`` to the Recycle Bin (``IsDeleted = true``); no cascade."""
        del org.records_of(type_name)[record["Id"]]
        now = format_datetime(self.clock.now())
        record.update(IsDeleted=True, SystemModstamp=now, LastModifiedById=user_id)
        org.recycle_bin.setdefault(type_name, {})[record["Id"]] = record

    def _derive(self, org: OrgData, type_name: str, record: Record, *, created: bool) -> None:
        if type_name in ("Contact", "User"):
            parts = [record.get("FirstName"), record.get("LastName")]
            record["Name"] = " ".join(p for p in parts if p)
        elif type_name == "Case":
            if created:
                record["CaseNumber"] = f"{org.next_autonumber('Case'):08d}"
            contact = org.get(record["ContactId"]) if record.get("ContactId") else None
            if contact is not None:
                # Case mirrors its Contact's phone and email (Object Reference, Case).
                record["ContactPhone"] = contact[1].get("Phone")
                record["ContactMobile"] = contact[1].get("MobilePhone")
                record["ContactEmail"] = contact[1].get("Email")
                record["AccountId"] = record.get("AccountId") or contact[1].get("AccountId")
            record["IsClosed"] = record.get("Status") == "Closed"
        elif type_name == "Task":
            record["IsClosed"] = record.get("Status") == "Completed"
        elif created and type_name == "VoiceCall":
            record["Name"] = f"VC-{org.next_autonumber('VoiceCall'):08d}"
        elif created and type_name == "VoiceCallRecording":
            record["Name"] = f"VCR-{org.next_autonumber('VoiceCallRecording'):08d}"
        elif created and type_name == "Conversation" and not record.get("Name"):
            record["Name"] = f"C-{org.next_autonumber('Conversation'):08d}"

    # Snapshots ---------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "nextIdCounter": self.id_generator.next_counter,
            "orgs": [
                {
                    "orgId": o.org_id,
                    "isSandbox": o.is_sandbox,
                    "records": o.records,
                    "certificates": o.certificates,
                    "callCenterSettings": o.call_center_settings,
                    "passwords": o.passwords,
                    "autonumbers": o.autonumbers,
                    "recycleBin": o.recycle_bin,
                }
                for o in self.orgs.values()
            ],
        }

    def load_json(self, data: dict[str, Any]) -> None:
        self.orgs.clear()
        self.id_generator = ids.IdGenerator(int(data["nextIdCounter"]))
        for item in data["orgs"]:
            org = OrgData(
                org_id=item["orgId"],
                is_sandbox=bool(item["isSandbox"]),
                records=item["records"],
                certificates=item.get("certificates", {}),
                call_center_settings=item.get("callCenterSettings", {}),
                passwords=item.get("passwords", {}),
                autonumbers=item.get("autonumbers", {}),
                recycle_bin=item.get("recycleBin", {}),
            )
            for type_name, table in org.records.items():
                if type_name in SCHEMA and "IsDeleted" in SCHEMA[type_name].fields:
                    for record in table.values():  # snapshots older than IsDeleted
                        record.setdefault("IsDeleted", False)
            self.orgs[org.org_id] = org

    def save_snapshot(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=1, sort_keys=True))
        logger.info("snapshot written to %s", path)

    def load_snapshot(self, path: Path) -> None:
        self.load_json(json.loads(path.read_text()))
        logger.info("snapshot loaded from %s (%d orgs)", path, len(self.orgs))
