"""The ``sobjects`` resources: describe, rows by Id, and rows by external ID (upsert).

REST API Developer Guide pages followed:

- "Describe Global" ``GET /sobjects``; "sObject Basic Information" ``GET|POST
  /sobjects/{Type}``; "sObject Describe" ``GET /sobjects/{Type}/describe``.
- "sObject Rows" ``GET|PATCH|DELETE /sobjects/{Type}/{id}``: PATCH and DELETE answer 204
  with no body ("Update a Record", "Delete a Record"). A record in the Recycle Bin answers
  404 ``ENTITY_IS_DELETED`` "entity is deleted"; an id that never existed 404 ``NOT_FOUND``.
- "sObject Rows by External ID" ``GET|PATCH|DELETE /sobjects/{Type}/{field}/{value}`` and
  "Insert or Update (Upsert) a Record Using an External ID": no match creates the record
  (201 ``{id, success, errors, created: true}``; ``created`` only from API 46.0), one match
  updates it (200 ``{..., created: false}`` from 46.0, 204 before), several give 300 with
  the matching records' URLs; ``updateOnly=true`` (61.0) turns "no match" into 404. A field
  that is not an external ID is 404 ``NOT_FOUND``.
"""

from __future__ import annotations

from typing import Any

from multidict import MultiMapping

from . import ids
from .describe import describe_global, describe_sobject, object_summary
from .dml import DmlError, create_record, delete_record, deleted_error, update_record
from .rest_common import (
    RestContext,
    RestResult,
    api_major,
    error_body,
    field_paths,
    method_not_allowed,
    not_found,
)
from .schema import FieldDef, ObjectDef, object_def
from .soql_eval import render_record
from .store import Record

__all__ = ["find_by_external_id", "external_id_field", "sobjects", "upsert_one"]

UPSERT_CREATED_SINCE = 46  # "created" appears in upsert responses from API 46.0


def sobjects(
    ctx: RestContext, method: str, parts: list[str], params: MultiMapping[str], body: Any
) -> RestResult:
    """Route ``/sobjects`` plus ``parts`` (the path segments after it)."""
    if not parts:
        if method != "GET":
            return method_not_allowed(method, "GET,HEAD")
        return RestResult(200, describe_global(ctx.version))
    obj = object_def(parts[0])
    if obj is None or obj.name != parts[0] or len(parts) > 3:
        return not_found()
    if len(parts) == 1:
        return _basic_information(ctx, method, obj, body)
    if len(parts) == 2 and parts[1] == "describe":
        if method != "GET":
            return method_not_allowed(method, "GET,HEAD")
        return RestResult(200, describe_sobject(obj, ctx.version))
    if len(parts) == 2:
        return _row(ctx, method, obj, parts[1], params, body)
    return _row_by_external_id(ctx, method, obj, parts[1], parts[2], params, body)


def _created(ctx: RestContext, obj: ObjectDef, record: Record, upsert: bool) -> RestResult:
    body: dict[str, Any] = {"id": record["Id"], "success": True, "errors": []}
    if upsert and api_major(ctx.version) >= UPSERT_CREATED_SINCE:
        body["created"] = True
    location = f"/services/data/v{ctx.version}/sobjects/{obj.name}/{record['Id']}"
    return RestResult(201, body, {"Location": location})


def _basic_information(ctx: RestContext, method: str, obj: ObjectDef, body: Any) -> RestResult:
    if method == "POST":
        if not obj.dml:
            return method_not_allowed(method, "GET,HEAD")
        record = create_record(ctx.store, ctx.org, obj, body, ctx.user_id)
        return _created(ctx, obj, record, upsert=False)
    if method == "GET":
        return RestResult(
            200, {"objectDescribe": object_summary(obj, ctx.version), "recentItems": []}
        )
    return method_not_allowed(method, "GET,HEAD,POST" if obj.dml else "GET,HEAD")


def _render(ctx: RestContext, obj: ObjectDef, record: Record, params: MultiMapping[str]) -> Any:
    wanted = params.get("fields")
    paths = field_paths(wanted) if wanted else tuple((name,) for name in obj.fields)
    return render_record(ctx.store.source(ctx.org), obj, record, paths, ctx.version)


def _row(
    ctx: RestContext,
    method: str,
    obj: ObjectDef,
    record_id: str,
    params: MultiMapping[str],
    body: Any,
) -> RestResult:
    if method not in ("GET", "PATCH", "DELETE"):
        return method_not_allowed(method, "GET,HEAD,PATCH,DELETE" if obj.dml else "GET,HEAD")
    if not ids.is_salesforce_id(record_id):
        return not_found()
    found = ctx.org.get(record_id)
    if found is None or found[0] != obj.name:
        deleted = ctx.org.get(record_id, deleted=True)
        if deleted is not None and deleted[0] == obj.name:
            raise deleted_error()
        return not_found()
    record = found[1]
    if method == "GET":
        return RestResult(200, _render(ctx, obj, record, params))
    if not obj.dml:
        return method_not_allowed(method, "GET,HEAD")
    if method == "PATCH":
        update_record(ctx.store, ctx.org, obj, record, body, ctx.user_id)
    else:
        delete_record(ctx.store, ctx.org, obj, record, ctx.user_id)
    return RestResult(204, None)


def external_id_field(obj: ObjectDef, name: str) -> FieldDef:
    """The external ID field ``name`` of ``obj``.

    Raises:
        DmlError: 404 ``NOT_FOUND`` when the field is missing or not an external ID.
    """
    field = obj.field(name)
    if field is None or not field.external_id:
        raise DmlError(
            404,
            error_body(
                f"Provided external ID field does not exist or is not accessible: {name}",
                "NOT_FOUND",
            ),
        )
    return field


def find_by_external_id(
    ctx: RestContext, obj: ObjectDef, field: FieldDef, value: str
) -> list[Record]:
    """Live records whose external ID equals ``value`` (external IDs are case-insensitive)."""
    wanted = value.lower()
    return [
        r
        for r in ctx.org.records_of(obj.name).values()
        if isinstance(r.get(field.name), str) and r[field.name].lower() == wanted
    ]


def upsert_one(
    ctx: RestContext, obj: ObjectDef, field: FieldDef, value: str, body: Any, *, update_only: bool
) -> tuple[Record, bool] | list[Record]:
    """Create or update the record whose ``field`` is ``value``.

    Returns ``(record, created)``, or the matching records when there are several.

    Raises:
        DmlError: validation errors, or 404 ``NOT_FOUND`` with ``update_only`` and no match.
    """
    if not isinstance(body, dict):
        raise DmlError(400, error_body("Request body must be a JSON object", "JSON_PARSER_ERROR"))
    matches = find_by_external_id(ctx, obj, field, value)
    if len(matches) > 1:
        return matches
    values = {k: v for k, v in body.items() if k.lower() != field.name.lower()}
    if matches:
        update_record(ctx.store, ctx.org, obj, matches[0], values, ctx.user_id)
        return matches[0], False
    if update_only:
        raise DmlError(404, error_body("The requested resource does not exist", "NOT_FOUND"))
    record = create_record(ctx.store, ctx.org, obj, {**values, field.name: value}, ctx.user_id)
    return record, True


def _row_by_external_id(
    ctx: RestContext,
    method: str,
    obj: ObjectDef,
    field_name: str,
    value: str,
    params: MultiMapping[str],
    body: Any,
) -> RestResult:
    if method not in ("GET", "PATCH", "DELETE"):
        return method_not_allowed(method, "GET,HEAD,PATCH,DELETE")
    field = external_id_field(obj, field_name)
    if method == "PATCH":
        if not obj.dml:
            return method_not_allowed(method, "GET,HEAD")
        update_only = params.get("updateOnly", "").lower() == "true"
        outcome = upsert_one(ctx, obj, field, value, body, update_only=update_only)
    else:
        outcome = find_by_external_id(ctx, obj, field, value)
        if not outcome:
            return not_found()
        if len(outcome) == 1:
            outcome = (outcome[0], False)
    if isinstance(outcome, list):
        urls = [f"/services/data/v{ctx.version}/sobjects/{obj.name}/{r['Id']}" for r in outcome]
        return RestResult(300, urls)
    record, created = outcome
    if method == "GET":
        return RestResult(200, _render(ctx, obj, record, params))
    if method == "DELETE":
        if not obj.dml:
            return method_not_allowed(method, "GET,HEAD")
        delete_record(ctx.store, ctx.org, obj, record, ctx.user_id)
        return RestResult(204, None)
    if created:
        return _created(ctx, obj, record, upsert=True)
    if api_major(ctx.version) < UPSERT_CREATED_SINCE:
        return RestResult(204, None)
    return RestResult(200, {"id": record["Id"], "success": True, "errors": [], "created": False})
