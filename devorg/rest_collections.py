"""sObject Collections: up to 200 records per request, with per-record results.

REST API Developer Guide, "sObject Collections" (API 42.0+) and its pages:

- ``POST /composite/sobjects`` ``{allOrNone, records: [{attributes: {type}, ...}]}`` creates
  ("Create Records Using sObject Collections"); ``PATCH`` with each record's ``id`` updates;
  ``DELETE ?ids=a,b&allOrNone=`` deletes; ``GET /composite/sobjects/{Type}?ids=&fields=``
  (or ``POST`` with ``{ids, fields}``) retrieves, ``null`` standing for a missing record.
- ``PATCH /composite/sobjects/{Type}/{ExternalIdField}`` upserts (API 46.0+) and adds
  ``created`` to each result.

A well-formed request answers 200 with one result per record, in order:
``{"id", "success": true, "errors": []}``, or ``{"success": false, "errors":
[{"statusCode", "message", "fields"}]}``. With ``allOrNone: true`` one failure rolls back
everything; the records that had succeeded then report ``ALL_OR_NONE_OPERATION_ROLLED_BACK``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from multidict import MultiMapping

from . import ids
from .dml import DmlError, create_record, delete_record, update_record
from .rest_common import (
    RestContext,
    RestResult,
    api_major,
    collection_error,
    error_body,
    field_paths,
    method_not_allowed,
    not_found,
)
from .rest_sobjects import external_id_field, upsert_one
from .schema import ObjectDef, object_def
from .soql_eval import render_record

__all__ = ["collections"]

MAX_RECORDS = 200  # "The list can contain up to 200 objects."
MAX_RETRIEVE = 2000  # "Retrieve Records Using sObject Collections": up to 2,000 ids
COLLECTIONS_SINCE, UPSERT_SINCE = 42, 46
_ROLLED_BACK = {
    "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "message": "Record rolled back because not all records were valid and the request was "
    "using AllOrNone header",
    "fields": [],
}


_Operation = Callable[[RestContext, dict[str, Any]], dict[str, Any]]


class _RecordError(Exception):
    def __init__(self, code: str, message: str, fields: list[str] | None = None) -> None:
        super().__init__(message)
        self.error = {"statusCode": code, "message": message, "fields": fields or []}


def _too_many(limit: int) -> RestResult:
    return RestResult(
        400,
        error_body(
            f"record limit reached. cannot submit more than {limit} records into this call",
            "EXCEEDED_ID_LIMIT",
        ),
    )


def collections(
    ctx: RestContext, method: str, parts: list[str], params: MultiMapping[str], body: Any
) -> RestResult:
    """Route ``/composite/sobjects`` plus ``parts``."""
    major = api_major(ctx.version)
    if major < COLLECTIONS_SINCE or len(parts) > 2 or (len(parts) == 2 and major < UPSERT_SINCE):
        return not_found()
    if not parts:
        if method == "DELETE":
            return _delete(ctx, params)
        if method == "POST":
            return _write(ctx, body, _create)
        if method == "PATCH":
            return _write(ctx, body, _update)
        return method_not_allowed(method, "POST,PATCH,DELETE")
    obj = object_def(parts[0])
    if obj is None or obj.name != parts[0]:
        return not_found()
    if len(parts) == 1:
        return _retrieve(ctx, method, obj, params, body)
    if method != "PATCH":
        return method_not_allowed(method, "PATCH")
    return _write(ctx, body, _upserter(obj, parts[1]))


def _write(ctx: RestContext, body: Any, operation: _Operation) -> RestResult:
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        return RestResult(400, error_body("records is required", "JSON_PARSER_ERROR"))
    records: list[Any] = body["records"]
    if len(records) > MAX_RECORDS:
        return _too_many(MAX_RECORDS)
    if not all(
        isinstance(r, dict)
        and isinstance(r.get("attributes"), dict)
        and isinstance(r["attributes"].get("type"), str)
        for r in records
    ):
        return RestResult(
            400, error_body("Each record must have an attributes map with a type", "INVALID_INPUT")
        )
    return _run(ctx, records, body.get("allOrNone") is True, operation)


def _object_of(record: dict[str, Any], operation: str) -> ObjectDef:
    obj = object_def(str(record["attributes"]["type"]))
    if obj is None:
        raise _RecordError(
            "INVALID_TYPE", f"sObject type '{record['attributes']['type']}' is not supported"
        )
    if not obj.dml:
        raise _RecordError("INVALID_TYPE_FOR_OPERATION", f"entity type cannot be {operation}")
    return obj


def _values(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k not in ("attributes", "id", "Id")}


def _create(ctx: RestContext, record: dict[str, Any]) -> dict[str, Any]:
    obj = _object_of(record, "inserted")
    if record.get("id") or record.get("Id"):
        raise _RecordError("INVALID_FIELD", "cannot specify Id in an insert call", ["Id"])
    created = create_record(ctx.store, ctx.org, obj, _values(record), ctx.user_id)
    return {"id": created["Id"], "success": True, "errors": []}


def _update(ctx: RestContext, record: dict[str, Any]) -> dict[str, Any]:
    obj = _object_of(record, "updated")
    record_id = record.get("id") or record.get("Id")
    if not isinstance(record_id, str) or not ids.is_salesforce_id(record_id):
        raise _RecordError("MALFORMED_ID", f"Id not specified or malformed: {record_id}", ["Id"])
    found = ctx.org.get(record_id)
    if found is None or found[0] != obj.name:
        if ctx.org.get(record_id, deleted=True) is not None:
            raise _RecordError("ENTITY_IS_DELETED", "entity is deleted")
        raise _RecordError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
    update_record(ctx.store, ctx.org, obj, found[1], _values(record), ctx.user_id)
    return {"id": found[1]["Id"], "success": True, "errors": []}


def _upserter(obj: ObjectDef, field_name: str) -> _Operation:
    field = external_id_field(obj, field_name)

    def upsert(ctx: RestContext, record: dict[str, Any]) -> dict[str, Any]:
        if _object_of(record, "upserted") is not obj:
            raise _RecordError("INVALID_TYPE", f"records must be of type {obj.name}")
        value = record.get(field.name)
        if not isinstance(value, str) or not value:
            raise _RecordError("MISSING_ARGUMENT", f"{field.name} not specified", [field.name])
        outcome = upsert_one(ctx, obj, field, value, _values(record), update_only=False)
        if isinstance(outcome, list):
            raise _RecordError("DUPLICATE_EXTERNAL_ID", f"{field.name}: more than one record found")
        saved, created = outcome
        return {"id": saved["Id"], "success": True, "errors": [], "created": created}

    return upsert


def _run(
    ctx: RestContext,
    records: list[Any],
    all_or_none: bool,
    operation: _Operation,
) -> RestResult:
    saved = ctx.org.checkpoint() if all_or_none else None
    results: list[dict[str, Any]] = []
    for record in records:
        try:
            results.append(operation(ctx, record))
        except _RecordError as exc:
            results.append(_failure(record, [exc.error]))
        except DmlError as exc:
            results.append(_failure(record, [collection_error(e) for e in exc.errors]))
    if saved is not None and not all(r["success"] for r in results):
        ctx.org.restore(saved)
        results = [
            {"success": False, "errors": [dict(_ROLLED_BACK)]} if r["success"] else r
            for r in results
        ]
    return RestResult(200, results)


def _failure(record: Any, errors: list[dict[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {"success": False, "errors": errors}
    record_id = record.get("id") or record.get("Id") if isinstance(record, dict) else None
    if isinstance(record_id, str) and ids.is_salesforce_id(record_id):
        result = {"id": ids.to18(record_id), **result}
    return result


def _delete(ctx: RestContext, params: MultiMapping[str]) -> RestResult:
    wanted = [i.strip() for i in params.get("ids", "").split(",") if i.strip()]
    if not wanted:
        return RestResult(400, error_body("ids is required", "MISSING_ARGUMENT"))
    if len(wanted) > MAX_RECORDS:
        return _too_many(MAX_RECORDS)
    saved = ctx.org.checkpoint() if params.get("allOrNone", "").lower() == "true" else None
    results: list[dict[str, Any]] = []
    for record_id in wanted:
        found = ctx.org.get(record_id) if ids.is_salesforce_id(record_id) else None
        obj = object_def(found[0]) if found else None
        if found is not None and obj is not None and obj.dml:
            delete_record(ctx.store, ctx.org, obj, found[1], ctx.user_id)
            results.append({"id": found[1]["Id"], "success": True, "errors": []})
        elif not ids.is_salesforce_id(record_id):
            error = _RecordError("MALFORMED_ID", f"malformed id {record_id}").error
            results.append({"success": False, "errors": [error]})
        elif ctx.org.get(record_id, deleted=True) is not None:
            error = _RecordError("ENTITY_IS_DELETED", "entity is deleted").error
            results.append({"id": ids.to18(record_id), "success": False, "errors": [error]})
        else:
            error = _RecordError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id").error
            results.append({"id": ids.to18(record_id), "success": False, "errors": [error]})
    if saved is not None and not all(r["success"] for r in results):
        ctx.org.restore(saved)
        results = [
            {"id": r["id"], "success": False, "errors": [dict(_ROLLED_BACK)]} if r["success"] else r
            for r in results
        ]
    return RestResult(200, results)


def _retrieve(
    ctx: RestContext, method: str, obj: ObjectDef, params: MultiMapping[str], body: Any
) -> RestResult:
    if method == "POST" and isinstance(body, dict):
        wanted = [str(i) for i in body.get("ids") or []]
        fields = ",".join(str(f) for f in body.get("fields") or [])
    elif method == "GET":
        wanted = [i.strip() for i in params.get("ids", "").split(",") if i.strip()]
        fields = params.get("fields", "")
    else:
        return method_not_allowed(method, "GET,POST")
    if not wanted or not fields:
        return RestResult(400, error_body("ids and fields are required", "MISSING_ARGUMENT"))
    if len(wanted) > MAX_RETRIEVE:
        return _too_many(MAX_RETRIEVE)
    source = ctx.store.source(ctx.org)
    paths = field_paths(fields)
    out: list[Any] = []
    for record_id in wanted:
        found = ctx.org.get(record_id) if ids.is_salesforce_id(record_id) else None
        if found is None or found[0] != obj.name:
            out.append(None)
        else:
            out.append(render_record(source, obj, found[1], paths, ctx.version))
    return RestResult(200, out)
