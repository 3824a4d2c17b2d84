"""Create and update rules of the REST ``sobjects`` resources, with Salesforce's error codes.

Error bodies are the REST API's ``[{"message", "errorCode", "fields"}]`` (REST API Developer
Guide, "Status Codes and Error Responses"). Messages copy the ones Salesforce returns for
unknown fields, read-only fields, missing required fields and bad references.
"""

from __future__ import annotations

import re
from typing import Any

from . import ids
from .schema import BOOLEAN, DATE, DATETIME, ID, INT, REFERENCE, TEXT_TYPES, ObjectDef
from .sftime import format_datetime, parse_datetime
from .store import OrgData, Record, Store

__all__ = ["DmlError", "create_record", "delete_record", "update_record", "validate_values"]


class DmlError(Exception):
    """A refused create or update: HTTP status plus the REST error list."""

    def __init__(self, status: int, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors[0]["message"] if errors else "DML error")
        self.status = status
        self.errors = errors


def _error(message: str, code: str, fields: list[str] | None = None) -> dict[str, Any]:
    return {"message": message, "errorCode": code, "fields": fields or []}


# Task's polymorphic references (Object Reference, Task): WhoId is a Contact or a Lead,
# WhatId anything else ("Related To"), never a person; the label is what the error names.
_WHO_WHAT: dict[tuple[str, str], tuple[str, frozenset[str], bool]] = {
    ("Task", "WhoId"): ("Contact/Lead ID", frozenset({"Contact", "Lead"}), True),
    ("Task", "WhatId"): ("Related To ID", frozenset({"Contact", "Lead", "User"}), False),
}
# Restricted picklists refuse other values (Object Reference, Task: CallType, TaskSubtype).
RESTRICTED: dict[tuple[str, str], frozenset[str]] = {
    ("Task", "CallType"): frozenset({"Internal", "Inbound", "Outbound"}),
    ("Task", "TaskSubtype"): frozenset({"Task", "Email", "ListEmail", "Cadence", "Call"}),
}
# Fields that can be set on create only ("Create", not "Update", in the Object Reference).
CREATE_ONLY = frozenset({("Task", "TaskSubtype")})


def _coerce(org: OrgData, obj: ObjectDef, name: str, type_: str, value: Any) -> Any:
    if value is None:
        return None
    if type_ in (REFERENCE, ID):
        if not isinstance(value, str) or not ids.is_salesforce_id(value):
            raise DmlError(
                400,
                [_error(f"{name}: id value of incorrect type: {value}", "MALFORMED_ID", [name])],
            )
        target = org.get(value)
        expected = obj.fields[name].reference_to
        if target is None and org.get(value, deleted=True) is not None:
            # Seen from Salesforce: the record is in the Recycle Bin (no field named).
            raise DmlError(400, [_error("entity is deleted", "ENTITY_IS_DELETED")])
        polymorphic = _WHO_WHAT.get((obj.name, name))
        if target is not None and polymorphic is not None:
            label, types, only = polymorphic
            if (target[0] in types) != only:
                raise DmlError(
                    400,
                    [
                        _error(
                            f"{label}: id value of incorrect type: {value}",
                            "FIELD_INTEGRITY_EXCEPTION",
                            [name],
                        )
                    ],
                )
        if name == "OwnerId" and target is not None and target[1].get("IsActive") is False:
            raise DmlError(
                400,
                [
                    _error(
                        f"operation performed with inactive user [{value}] as owner of "
                        f"{obj.name.lower()}",
                        "INACTIVE_OWNER_OR_USER",
                    )
                ],
            )
        if target is None or (expected is not None and target[0] != expected):
            # Records of other orgs are invisible: they fail like missing ones.
            raise DmlError(
                400, [_error("invalid cross reference id", "INVALID_CROSS_REFERENCE_KEY", [name])]
            )
        return ids.to18(value)
    if type_ in TEXT_TYPES:
        if not isinstance(value, str):
            raise _parse_error(value, "String", name)
        return value
    if type_ == BOOLEAN:
        if not isinstance(value, bool):
            raise _parse_error(value, "Boolean", name)
        return value
    if type_ == INT:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _parse_error(value, "Integer", name)
        return value
    if type_ == DATETIME:
        try:
            return format_datetime(parse_datetime(str(value)))
        except ValueError as exc:
            raise _parse_error(value, "Datetime", name) from exc
    if type_ == DATE:
        if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise _parse_error(value, "Date", name)
        return value
    return value


def _parse_error(value: Any, type_name: str, field: str) -> DmlError:
    return DmlError(
        400,
        [
            _error(
                f"Cannot deserialize instance of {type_name.lower()} from {value!r} "
                f"for field {field}",
                "JSON_PARSER_ERROR",
            )
        ],
    )


def validate_values(org: OrgData, obj: ObjectDef, body: Any, *, creating: bool) -> Record:
    """Check a request body against ``obj`` and return the values to store.

    Raises:
        DmlError: 400 with INVALID_FIELD, INVALID_FIELD_FOR_INSERT_UPDATE,
            REQUIRED_FIELD_MISSING, MALFORMED_ID, INVALID_CROSS_REFERENCE_KEY or
            JSON_PARSER_ERROR.
    """
    if not isinstance(body, dict):
        raise DmlError(400, [_error("Request body must be a JSON object", "JSON_PARSER_ERROR")])
    values: Record = {}
    read_only: list[str] = []
    for key, value in body.items():
        if key == "attributes":
            continue
        field = obj.field(key)
        if field is None:
            raise DmlError(
                400,
                [_error(f"No such column '{key}' on sobject of type {obj.name}", "INVALID_FIELD")],
            )
        if not field.writable or (not creating and (obj.name, field.name) in CREATE_ONLY):
            read_only.append(field.name)
            continue
        allowed = RESTRICTED.get((obj.name, field.name))
        if allowed is not None and value is not None and value not in allowed:
            raise DmlError(
                400,
                [
                    _error(
                        f"bad value for restricted picklist field: {value}",
                        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                        [field.name],
                    )
                ],
            )
        values[field.name] = _coerce(org, obj, field.name, field.type, value)
    if read_only:
        listed = ", ".join(read_only)
        raise DmlError(
            400,
            [
                _error(
                    f"Unable to create/update fields: {listed}. Please check the security "
                    "settings of this field and verify that it is read/write for your profile "
                    "or permission set.",
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    read_only,
                )
            ],
        )
    missing = [
        f.name
        for f in obj.fields.values()
        if f.required
        and (values.get(f.name) in (None, "") if creating or f.name in values else False)
    ]
    if missing:
        raise DmlError(
            400,
            [
                _error(
                    f"Required fields are missing: [{', '.join(missing)}]",
                    "REQUIRED_FIELD_MISSING",
                    missing,
                )
            ],
        )
    return values


def _check_unique(org: OrgData, obj: ObjectDef, values: Record, record_id: str | None) -> None:
    for field in obj.unique_fields():
        value = values.get(field.name)
        if not isinstance(value, str) or not value:
            continue
        for other in org.records_of(obj.name).values():
            theirs = other.get(field.name)
            if (
                other["Id"] != record_id
                and isinstance(theirs, str)
                and theirs.lower() == value.lower()
            ):
                raise DmlError(
                    400,
                    [
                        _error(
                            f"duplicate value found: {field.name} duplicates value on record "
                            f"with id: {other['Id']}",
                            "DUPLICATE_VALUE",
                            [field.name],
                        )
                    ],
                )


def create_record(store: Store, org: OrgData, obj: ObjectDef, body: Any, user_id: str) -> Record:
    values = validate_values(org, obj, body, creating=True)
    _check_unique(org, obj, values, None)
    return store.insert(org, obj.name, values, user_id=user_id)


def update_record(
    store: Store, org: OrgData, obj: ObjectDef, record: Record, body: Any, user_id: str
) -> None:
    values = validate_values(org, obj, body, creating=False)
    _check_unique(org, obj, values, record["Id"])
    store.update(org, obj.name, record, values, user_id=user_id)


def deleted_error() -> DmlError:
    """404 ``ENTITY_IS_DELETED``: the record is in the Recycle Bin (seen from Salesforce)."""
    return DmlError(404, [_error("entity is deleted", "ENTITY_IS_DELETED")])


def delete_record(store: Store, org: OrgData, obj: ObjectDef, record: Record, user_id: str) -> None:
    store.delete(org, obj.name, record, user_id=user_id)
