"""Creating orgs, users, call centers and records from JSON: seed files and the control API.

Seed format (``python -m devorg --seed FILE``, ``POST /__devorg/seed``)::

    {"orgs": [{"name": "Acme", "isSandbox": false,
               "callCenters": [{"internalName": "SIVO_Acme", "name": "SIVO",
                                "adapterUrl": "http://127.0.0.1:8080/softphone",
                                "certificate": "-----BEGIN CERTIFICATE-----...",
                                "settings": {"/sivo/tenant": "acme"}}],
               "users": [{"username": "ada@acme.test", "lastName": "Lovelace",
                          "firstName": "Ada", "email": "ada@acme.test", "password": "pw",
                          "callCenter": "SIVO_Acme"}],
               "records": {"Account": [{"@ref": "acme", "Name": "Acme", "Phone": "..."}],
                           "Contact": [{"LastName": "Smith", "AccountId": "@acme"}]}}]}

``@ref`` names a record so that later records can point to it with ``"@name"``.
"""

from __future__ import annotations

import logging
from typing import Any
from xml.etree import ElementTree

from .dml import DmlError, validate_values
from .schema import SCHEMA
from .scrt_auth import load_certificate_key
from .state import Devorg
from .store import OrgData, Record

__all__ = ["SeedError", "add_call_center", "add_record", "add_user", "demo_seed", "load_seed"]

logger = logging.getLogger(__name__)
DEFAULT_PASSWORD = "devorg"
RECORD_ORDER = ("Account", "Contact", "Case", "Task")


class SeedError(ValueError):
    """Invalid seed or control-API input; the message says which item and why."""


def _text(spec: dict[str, Any], name: str, *, required: bool = False) -> str | None:
    value = spec.get(name)
    if value is None and required:
        raise SeedError(f"{name} is required")
    if value is not None and not isinstance(value, str):
        raise SeedError(f"{name} must be a string")
    return value


def create_org(devorg: Devorg, spec: dict[str, Any]) -> OrgData:
    name = _text(spec, "name") or "devorg"
    is_sandbox = spec.get("isSandbox", False)
    if not isinstance(is_sandbox, bool):
        raise SeedError("isSandbox must be a boolean")
    return devorg.store.create_org(name, is_sandbox=is_sandbox)


def set_certificate(org: OrgData, call_center: Record, certificate: str) -> None:
    try:
        load_certificate_key(certificate)
    except ValueError as exc:
        raise SeedError(str(exc)) from exc
    org.certificates[call_center["Id"]] = certificate


def add_call_center(devorg: Devorg, org: OrgData, spec: dict[str, Any]) -> Record:
    internal_name = _text(spec, "internalName", required=True) or ""
    # reqInternalName: alphanumeric (underscores allowed), starts with a letter, <= 40 chars.
    if (
        not internal_name[:1].isalpha()
        or not internal_name.replace("_", "").isalnum()
        or len(internal_name) > 40
    ):
        raise SeedError("internalName must start with a letter, be alphanumeric, <= 40 chars")
    if org.first("CallCenter", InternalName=internal_name) is not None:
        raise SeedError(f"call center {internal_name} already exists")
    record = devorg.store.insert(
        org,
        "CallCenter",
        {
            "InternalName": internal_name,
            "Name": _text(spec, "name") or internal_name,
            "AdapterUrl": _text(spec, "adapterUrl"),
            "CustomSettings": None,
            "Version": "4",
        },
        user_id=None,
    )
    certificate = _text(spec, "certificate")
    if certificate:
        set_certificate(org, record, certificate)
    settings = spec.get("settings") or {}
    if not isinstance(settings, dict):
        raise SeedError("settings must map '/section/item' to values")
    org.call_center_settings[record["Id"]] = {str(k): str(v) for k, v in settings.items()}
    return record


def import_call_center(devorg: Devorg, org: OrgData, xml: str) -> Record:
    """Setup → Call Centers → Import: a call center definition file (``<callCenter>`` with
    ``<section>``s of ``<item name=…>``). A call center of the same internal name is updated
    (Salesforce asks before overwriting; devorg just does), else created."""
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError as exc:
        raise SeedError(f"not a call center definition: {exc}") from exc
    if root.tag != "callCenter":
        raise SeedError("not a call center definition: the root element must be callCenter")
    items = {
        f"/{section.get('name')}/{item.get('name')}": (item.text or "").strip()
        for section in root.iter("section")
        for item in section.iter("item")
    }
    internal = items.get("/reqGeneralInfo/reqInternalName", "")
    spec = {
        "internalName": internal,
        "name": items.get("/reqGeneralInfo/reqDisplayName") or internal,
        "adapterUrl": items.get("/reqGeneralInfo/reqAdapterUrl") or None,
        "certificate": items.get("/reqHvcc/reqTelephonyIntegrationCertificate") or None,
        "settings": items,
    }
    existing = org.first("CallCenter", InternalName=internal)
    if existing is None:
        return add_call_center(devorg, org, spec)
    existing["Name"], existing["AdapterUrl"] = spec["name"], spec["adapterUrl"]
    if spec["certificate"]:
        set_certificate(org, existing, str(spec["certificate"]))
    org.call_center_settings[existing["Id"]] = items
    return existing


def add_user(devorg: Devorg, org: OrgData, spec: dict[str, Any]) -> Record:
    username = _text(spec, "username", required=True) or ""
    if "@" not in username:
        raise SeedError("username must look like an email address")
    for other in devorg.store.orgs.values():
        # Salesforce usernames are unique across all orgs.
        if other.first("User", Username=username) is not None:
            raise SeedError(f"username {username} is taken")
    call_center_id = None
    if spec.get("callCenter"):
        center = org.first("CallCenter", InternalName=spec["callCenter"])
        if center is None:
            raise SeedError(f"no call center {spec['callCenter']} in this org")
        call_center_id = center["Id"]
    last_name = _text(spec, "lastName") or username.split("@")[0]
    user = devorg.store.insert(
        org,
        "User",
        {
            "Username": username,
            "Email": _text(spec, "email") or username,
            "FirstName": _text(spec, "firstName"),
            "LastName": last_name,
            "Alias": (_text(spec, "alias") or last_name)[:8].lower(),
            "IsActive": bool(spec.get("isActive", True)),
            "UserType": _text(spec, "userType") or "Standard",
            "Phone": _text(spec, "phone"),
            "MobilePhone": _text(spec, "mobilePhone"),
            "Title": _text(spec, "title"),
            "CallCenterId": call_center_id,
            "TimeZoneSidKey": "America/Los_Angeles",
            "LanguageLocaleKey": "en_US",
        },
        user_id=None,
    )
    org.passwords[user["Id"]] = _text(spec, "password") or DEFAULT_PASSWORD
    return user


def add_record(
    devorg: Devorg,
    org: OrgData,
    type_name: str,
    values: dict[str, Any],
    refs: dict[str, str] | None = None,
) -> Record:
    obj = SCHEMA.get(type_name)
    if obj is None or not obj.dml:
        raise SeedError(f"records of type {type_name} cannot be seeded")
    refs = refs if refs is not None else {}
    fields = {
        k: (refs.get(v[1:], v) if isinstance(v, str) and v.startswith("@") else v)
        for k, v in values.items()
        if k != "@ref"
    }
    try:
        checked = validate_values(org, obj, fields, creating=True)
    except DmlError as exc:
        raise SeedError(f"{type_name}: {exc.errors[0]['message']}") from exc
    owner = next(iter(org.records_of("User")), None)
    record = devorg.store.insert(org, type_name, checked, user_id=owner)
    if isinstance(values.get("@ref"), str):
        refs[values["@ref"]] = record["Id"]
    return record


def load_seed(devorg: Devorg, data: Any) -> list[OrgData]:
    """Create every org of a seed document; returns the orgs in seed order."""
    if not isinstance(data, dict) or not isinstance(data.get("orgs"), list):
        raise SeedError('a seed is {"orgs": [...]}')
    created = []
    for position, spec in enumerate(data["orgs"]):
        try:
            org = create_org(devorg, spec)
            for center in spec.get("callCenters", []):
                add_call_center(devorg, org, center)
            for user in spec.get("users", []):
                add_user(devorg, org, user)
            records = spec.get("records", {})
            refs: dict[str, str] = {}
            for type_name in sorted(
                records,
                key=lambda t: (
                    t not in RECORD_ORDER,
                    RECORD_ORDER.index(t) if t in RECORD_ORDER else 0,
                ),
            ):
                for values in records[type_name]:
                    add_record(devorg, org, type_name, values, refs)
        except (SeedError, TypeError, AttributeError) as exc:
            raise SeedError(f"orgs[{position}]: {exc}") from exc
        created.append(org)
    logger.info("seed loaded: %d orgs", len(created))
    return created


def demo_seed(softphone_url: str | None) -> dict[str, Any]:
    """The built-in demo data set: a production org and a sandbox."""
    adapter = softphone_url or "http://127.0.0.1:8080/softphone"
    return {
        "orgs": [
            {
                "name": "SIVO Demo Co",
                "callCenters": [
                    {"internalName": "SIVO_Demo", "name": "SIVO Demo", "adapterUrl": adapter}
                ],
                "users": [
                    {
                        "username": "admin@sivo-demo.devorg",
                        "firstName": "Ada",
                        "lastName": "Admin",
                        "title": "System Administrator",
                    },
                    {
                        "username": "agent@sivo-demo.devorg",
                        "firstName": "Alan",
                        "lastName": "Agent",
                        "callCenter": "SIVO_Demo",
                        "phone": "(415) 555-0199",
                    },
                    {
                        "username": "agent2@sivo-demo.devorg",
                        "firstName": "Grace",
                        "lastName": "Hopper",
                        "callCenter": "SIVO_Demo",
                    },
                    {
                        "username": "former@sivo-demo.devorg",
                        "firstName": "Fred",
                        "lastName": "Former",
                        "isActive": False,
                    },
                    {
                        "username": "portal@sivo-demo.devorg",
                        "lastName": "Portal",
                        "userType": "PowerCustomerSuccess",
                    },
                ],
                "records": {
                    "Account": [
                        {
                            "@ref": "acme",
                            "Name": "Acme Corp",
                            "Phone": "(415) 555-0100",
                            "Industry": "Manufacturing",
                            "BillingCity": "San Francisco",
                        },
                        {"@ref": "globex", "Name": "Globex", "Phone": "+44 20 7946 0000"},
                    ],
                    "Contact": [
                        {
                            "@ref": "jo",
                            "FirstName": "Jo",
                            "LastName": "Smith",
                            "Phone": "(415) 555-1212",
                            "Email": "jo.smith@acme.example",
                            "AccountId": "@acme",
                        },
                        {
                            "FirstName": "Sam",
                            "LastName": "Lee",
                            "Phone": "415.555.3434",
                            "MobilePhone": "+1 650 555 7878",
                            "AccountId": "@acme",
                        },
                        {
                            "FirstName": "Nia",
                            "LastName": "Okafor",
                            "Phone": "+44 20 7946 0018",
                            "AccountId": "@globex",
                        },
                    ],
                    "Case": [
                        {
                            "Subject": "Invoice question",
                            "ContactId": "@jo",
                            "Origin": "Phone",
                            "SuppliedPhone": "4155551212",
                        },
                    ],
                },
            },
            {
                "name": "SIVO Demo Co (UAT sandbox)",
                "isSandbox": True,
                "callCenters": [
                    {"internalName": "SIVO_Demo", "name": "SIVO Demo", "adapterUrl": adapter}
                ],
                "users": [
                    {
                        "username": "admin@sivo-demo.devorg.uat",
                        "firstName": "Ada",
                        "lastName": "Admin",
                    },
                    {
                        "username": "agent@sivo-demo.devorg.uat",
                        "firstName": "Alan",
                        "lastName": "Agent",
                        "callCenter": "SIVO_Demo",
                    },
                ],
                "records": {
                    "Contact": [
                        {"FirstName": "Test", "LastName": "Caller", "Phone": "(415) 555-1212"}
                    ]
                },
            },
        ]
    }
