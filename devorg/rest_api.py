"""The REST data API below ``/services/data/vNN.0/``, as a function of the request.

Resources (REST API Developer Guide): ``query`` and ``queryAll`` ("Execute a SOQL Query",
"Query More Results", "QueryAll"; paging in :mod:`devorg.query_cursors`), ``search``
("Search"), ``parameterizedSearch`` ("Parameterized Search"), ``sobjects`` (in
:mod:`devorg.rest_sobjects`), ``composite`` ("Composite") and ``composite/sobjects``
(:mod:`devorg.rest_collections`), and ``limits`` ("Limits"). :func:`dispatch` takes the
parsed request and returns status and JSON, so ``composite`` runs its subrequests through
the same code.
"""

from __future__ import annotations

import re
from typing import Any

from multidict import MultiDict, MultiMapping
from yarl import URL

from .dml import DmlError
from .limits import org_limits
from .query_cursors import LocatorError, batch_size_from_header
from .rest_collections import collections
from .rest_common import (
    RestContext,
    RestResult,
    error_body,
    field_paths,
    int_param,
    method_not_allowed,
    not_found,
)
from .rest_sobjects import sobjects
from .soql_eval import execute_soql
from .soql_parser import SoqlError
from .sosl import SCOPES, ReturningSpec, SearchRequest, parse_sosl, run_search, words_of

__all__ = ["RestContext", "RestResult", "dispatch", "error_body"]

COMPOSITE_MAX_SUBREQUESTS = 25  # "up to 25 subrequests" (REST guide, Composite)
_REFERENCE = re.compile(r"@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}")


def dispatch(
    ctx: RestContext, method: str, tail: str, params: MultiMapping[str], body: Any
) -> RestResult:
    """Route ``method`` + ``tail`` (the path after ``/services/data/vNN.0/``)."""
    parts = [p for p in tail.split("/") if p]
    if not parts:
        return RestResult(200, resources(ctx.version))
    head = parts[0]
    try:
        if head in ("query", "queryAll") and len(parts) <= 2:
            return _query(ctx, method, parts, params)
        if head == "search" and len(parts) == 1:
            return _search(ctx, method, params)
        if head == "parameterizedSearch" and len(parts) == 1:
            return _parameterized_search(ctx, method, params, body)
        if head == "sobjects":
            return sobjects(ctx, method, parts[1:], params, body)
        if head == "composite" and len(parts) == 1:
            return _composite(ctx, method, body)
        if head == "composite" and parts[1] == "sobjects":
            return collections(ctx, method, parts[2:], params, body)
        if head == "limits" and len(parts) == 1:
            if method != "GET":
                return method_not_allowed(method, "GET,HEAD")
            return RestResult(200, org_limits(*ctx.api_usage))
    except SoqlError as exc:
        return RestResult(400, error_body(exc.message, exc.error_code))
    except DmlError as exc:
        return RestResult(exc.status, exc.errors)
    return not_found()


def resources(version: str) -> dict[str, str]:
    base = f"/services/data/v{version}"
    names = ("sobjects", "query", "queryAll", "search", "parameterizedSearch", "composite")
    return {name: f"{base}/{name}" for name in (*names, "limits")}


def _query(
    ctx: RestContext, method: str, parts: list[str], params: MultiMapping[str]
) -> RestResult:
    if method != "GET":
        return method_not_allowed(method, "GET,HEAD")
    all_rows = parts[0] == "queryAll"
    now = ctx.now.timestamp()
    if len(parts) == 2:
        if ctx.cursors is None:
            return not_found()
        try:
            page = ctx.cursors.next_page(
                parts[1], org_id=ctx.org.org_id, user_id=ctx.user_id, version=ctx.version, now=now
            )
        except LocatorError:
            return RestResult(400, error_body("invalid query locator", "INVALID_QUERY_LOCATOR"))
        return RestResult(200, page)
    text = params.get("q")
    if not text:
        return RestResult(400, error_body("A query string has to be specified", "MALFORMED_QUERY"))
    result = execute_soql(text, ctx.store.source(ctx.org, all_rows=all_rows), ctx.version)
    if ctx.cursors is not None:
        result = ctx.cursors.first_page(
            result,
            org_id=ctx.org.org_id,
            user_id=ctx.user_id,
            batch_size=batch_size_from_header(ctx.headers.get("Sforce-Query-Options")),
            all_rows=all_rows,
            version=ctx.version,
            now=now,
        )
    return RestResult(200, result)


def _search(ctx: RestContext, method: str, params: MultiMapping[str]) -> RestResult:
    if method != "GET":
        return method_not_allowed(method, "GET,HEAD")
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
        return method_not_allowed(method, "GET,HEAD,POST")
    text = params.get("q")
    if not text:
        return RestResult(400, error_body("Missing required parameter: q", "MISSING_ARGUMENT"))
    scope = params.get("in", "ALL").upper()
    if scope not in SCOPES:
        return RestResult(
            400, error_body(f"Invalid value for parameter in: {scope}", "INVALID_SEARCH_SCOPE")
        )
    default_fields = field_paths(params.get("fields", "Id"))
    default_limit = int_param(params.get("defaultLimit"))
    specs = tuple(
        ReturningSpec(
            name,
            field_paths(params.get(f"{name}.fields")) or default_fields,
            limit=int_param(params.get(f"{name}.limit")) or default_limit,
        )
        for name in params.getall("sobject", [])
    )
    request = SearchRequest(words_of(text), scope, specs, int_param(params.get("overallLimit")))
    return RestResult(200, run_search(request, ctx.store.source(ctx.org), ctx.version))


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
        return method_not_allowed(method, "POST")
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
    saved = ctx.org.checkpoint()
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
        ctx.org.restore(saved)
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
