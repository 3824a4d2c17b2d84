"""The REST data API below ``/services/data/vNN.0/``, as a function of the request.

Resources (REST API Developer Guide): ``query`` ("Execute a SOQL Query"), ``search``
("Search"), ``parameterizedSearch`` ("Parameterized Search"), ``sobjects/{Type}`` and
``sobjects/{Type}/{id}`` ("sObject Basic Information", "sObject Rows"), and ``composite``
("Composite"). :func:`dispatch` takes the parsed request and returns status and JSON, so the
``composite`` resource can run its subrequests through the same code.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from multidict import MultiDict, MultiMapping
from yarl import URL

from . import ids
from .dml import DmlError, create_record, update_record
from .schema import object_def
from .soql_eval import execute_soql, render_record
from .soql_parser import SoqlError
from .sosl import SCOPES, ReturningSpec, SearchRequest, parse_sosl, run_search, words_of
from .store import OrgData, Store

__all__ = ["RestContext", "RestResult", "dispatch", "error_body"]

COMPOSITE_MAX_SUBREQUESTS = 25  # "up to 25 subrequests" (REST guide, Composite)
_REFERENCE = re.compile(r"@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}")


@dataclass
class RestContext:
    store: Store
    org: OrgData
    user_id: str
    version: str  # "68.0"
    now: datetime


@dataclass
class RestResult:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def error_body(message: str, code: str, fields: list[str] | None = None) -> list[dict[str, Any]]:
    """The REST error list: ``[{"message", "errorCode", "fields"}]``."""
    return [{"message": message, "errorCode": code, "fields": fields or []}]


def _not_found() -> RestResult:
    return RestResult(404, error_body("The requested resource does not exist", "NOT_FOUND"))


def _method_not_allowed(method: str, allowed: str) -> RestResult:
    return RestResult(
        405,
        error_body(
            f"HTTP Method '{method}' not allowed. Allowed are {allowed}", "METHOD_NOT_ALLOWED"
        ),
    )


def dispatch(
    ctx: RestContext, method: str, tail: str, params: MultiMapping[str], body: Any
) -> RestResult:
    """Route ``method`` + ``tail`` (the path after ``/services/data/vNN.0/``)."""
    parts = [p for p in tail.split("/") if p]
    if not parts:
        return RestResult(200, resources(ctx.version))
    head = parts[0]
    try:
        if head == "query" and len(parts) == 1:
            return _query(ctx, method, params)
        if head == "search" and len(parts) == 1:
            return _search(ctx, method, params)
        if head == "parameterizedSearch" and len(parts) == 1:
            return _parameterized_search(ctx, method, params, body)
        if head == "sobjects" and len(parts) in (2, 3):
            return _sobjects(ctx, method, parts[1:], params, body)
        if head == "composite" and len(parts) == 1:
            return _composite(ctx, method, body)
    except SoqlError as exc:
        return RestResult(400, error_body(exc.message, exc.error_code))
    except DmlError as exc:
        return RestResult(exc.status, exc.errors)
    return _not_found()


def resources(version: str) -> dict[str, str]:
    base = f"/services/data/v{version}"
    names = ("sobjects", "query", "search", "parameterizedSearch", "composite")
    return {name: f"{base}/{name}" for name in names}


def _query(ctx: RestContext, method: str, params: MultiMapping[str]) -> RestResult:
    if method != "GET":
        return _method_not_allowed(method, "GET,HEAD")
    text = params.get("q")
    if not text:
        return RestResult(400, error_body("A query string has to be specified", "MALFORMED_QUERY"))
    source = ctx.store.source(ctx.org)
    return RestResult(200, execute_soql(text, source, ctx.version))


def _search(ctx: RestContext, method: str, params: MultiMapping[str]) -> RestResult:
    if method != "GET":
        return _method_not_allowed(method, "GET,HEAD")
    text = params.get("q")
    if not text:
        return RestResult(
            400, error_body("A search string has to be specified", "MALFORMED_SEARCH")
        )
    request = parse_sosl(text)
    return RestResult(200, run_search(request, ctx.store.source(ctx.org), ctx.version))


def _parameterized_search(
    ctx: RestContext, method: str, params: MultiMapping[str], body: Any
) -> RestResult:
    if method == "POST":
        if not isinstance(body, dict):
            return RestResult(
                400, error_body("Request body must be a JSON object", "JSON_PARSER_ERROR")
            )
        flat: MultiDict[str] = MultiDict()
        for key in ("q", "in", "overallLimit", "defaultLimit"):
            if body.get(key) is not None:
                flat[key] = str(body[key])
        if body.get("fields"):
            flat["fields"] = ",".join(body["fields"])
        for item in body.get("sobjects") or []:
            flat.add("sobject", item["name"])
            if item.get("fields"):
                flat[f"{item['name']}.fields"] = ",".join(item["fields"])
            if item.get("limit") is not None:
                flat[f"{item['name']}.limit"] = str(item["limit"])
        params = flat
    elif method != "GET":
        return _method_not_allowed(method, "GET,HEAD,POST")
    text = params.get("q")
    if not text:
        return RestResult(400, error_body("Missing required parameter: q", "MISSING_ARGUMENT"))
    scope = params.get("in", "ALL").upper()
    if scope not in SCOPES:
        return RestResult(
            400, error_body(f"Invalid value for parameter in: {scope}", "INVALID_SEARCH_SCOPE")
        )
    default_fields = _field_paths(params.get("fields", "Id"))
    default_limit = _int_param(params.get("defaultLimit"))
    specs = tuple(
        ReturningSpec(
            name,
            _field_paths(params.get(f"{name}.fields")) or default_fields,
            limit=_int_param(params.get(f"{name}.limit")) or default_limit,
        )
        for name in params.getall("sobject", [])
    )
    request = SearchRequest(words_of(text), scope, specs, _int_param(params.get("overallLimit")))
    return RestResult(200, run_search(request, ctx.store.source(ctx.org), ctx.version))


def _field_paths(text: str | None) -> tuple[tuple[str, ...], ...]:
    if not text:
        return ()
    return tuple(tuple(name.strip().split(".")) for name in text.split(",") if name.strip())


def _int_param(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() else None


def _sobjects(
    ctx: RestContext, method: str, parts: list[str], params: MultiMapping[str], body: Any
) -> RestResult:
    obj = object_def(parts[0])
    if obj is None or obj.name != parts[0]:
        return _not_found()
    if len(parts) == 1:
        if method == "POST":
            if not obj.dml:
                return _method_not_allowed(method, "GET,HEAD")
            record = create_record(ctx.store, ctx.org, obj, body, ctx.user_id)
            location = f"/services/data/v{ctx.version}/sobjects/{obj.name}/{record['Id']}"
            return RestResult(
                201, {"id": record["Id"], "success": True, "errors": []}, {"Location": location}
            )
        if method == "GET":
            return RestResult(
                200, {"objectDescribe": {"name": obj.name, "keyPrefix": obj.key_prefix}}
            )
        return _method_not_allowed(method, "GET,HEAD,POST")
    record_id = parts[1]
    found = ctx.org.get(record_id) if ids.is_salesforce_id(record_id) else None
    if found is None or found[0] != obj.name:
        return _not_found()
    record = found[1]
    if method == "GET":
        wanted = params.get("fields")
        paths = _field_paths(wanted) if wanted else tuple((name,) for name in obj.fields)
        source = ctx.store.source(ctx.org)
        return RestResult(200, render_record(source, obj, record, paths, ctx.version))
    if method == "PATCH":
        if not obj.dml:
            return _method_not_allowed(method, "GET,HEAD")
        update_record(ctx.store, ctx.org, obj, record, body, ctx.user_id)
        return RestResult(204, None)
    return _method_not_allowed(method, "GET,HEAD,PATCH" if obj.dml else "GET,HEAD")


def _resolve_reference(results: dict[str, Any], match: re.Match[str]) -> str:
    value: Any = results[match.group(1)]
    for step in re.findall(r"\.([A-Za-z0-9_]+)|\[(\d+)\]", match.group(2)):
        value = value[step[0]] if step[0] else value[int(step[1])]
    return str(value)


def _substitute(value: Any, results: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return _REFERENCE.sub(lambda m: _resolve_reference(results, m), value)
    if isinstance(value, dict):
        return {k: _substitute(v, results) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, results) for v in value]
    return value


def _halted(reference_id: str, message: str) -> dict[str, Any]:
    return {
        "body": error_body(message, "PROCESSING_HALTED"),
        "httpHeaders": {},
        "httpStatusCode": 400,
        "referenceId": reference_id,
    }


def _composite(ctx: RestContext, method: str, body: Any) -> RestResult:
    if method != "POST":
        return _method_not_allowed(method, "POST")
    requests = body.get("compositeRequest") if isinstance(body, dict) else None
    if not isinstance(requests, list) or not requests:
        return RestResult(400, error_body("compositeRequest is required", "JSON_PARSER_ERROR"))
    if len(requests) > COMPOSITE_MAX_SUBREQUESTS:
        return RestResult(
            400,
            error_body(
                f"Composite requests cannot have more than {COMPOSITE_MAX_SUBREQUESTS} subrequests",
                "INVALID_INPUT",
            ),
        )
    all_or_none = bool(body.get("allOrNone", False))
    saved = (copy.deepcopy(ctx.org.records), dict(ctx.org.autonumbers))
    results: dict[str, Any] = {}
    responses: list[dict[str, Any]] = []
    failed = False
    for sub in requests:
        reference_id = str(sub.get("referenceId", ""))
        if failed and all_or_none:
            responses.append(
                _halted(
                    reference_id,
                    "The transaction was rolled back since "
                    "another operation in the same transaction failed.",
                )
            )
            continue
        try:
            url = URL(_substitute(str(sub.get("url", "")), results))
            sub_body = _substitute(sub.get("body"), results)
        except (KeyError, IndexError, TypeError):
            failed = True
            responses.append(
                _halted(
                    reference_id,
                    "Invalid reference specified. No value for "
                    f"a reference in subrequest {reference_id}.",
                )
            )
            continue
        prefix = f"/services/data/v{ctx.version}/"
        if not url.path.startswith(prefix):
            result = RestResult(
                400, error_body(f"The URL must start with {prefix}", "INVALID_INPUT")
            )
        else:
            result = dispatch(
                ctx,
                str(sub.get("method", "GET")).upper(),
                url.path[len(prefix) :],
                url.query,
                sub_body,
            )
        if result.status >= 400:
            failed = True
        else:
            results[reference_id] = result.body
        responses.append(
            {
                "body": result.body,
                "httpHeaders": result.headers,
                "httpStatusCode": result.status,
                "referenceId": reference_id,
            }
        )
    if failed and all_or_none:
        ctx.org.records, ctx.org.autonumbers = saved
        for item in responses:
            if item["httpStatusCode"] < 400:
                item.update(
                    _halted(
                        item["referenceId"],
                        "The transaction was rolled back since "
                        "another operation in the same transaction failed.",
                    )
                )
    return RestResult(200, {"compositeResponse": responses})
