"""The OpenAPI 3.1 document, built from the contracts' declarations and their models.

Nothing here is written by hand per route: paths, parameters, bodies, responses and errors
all come from the ``Operation``s the API modules declared, and the schemas from pydantic
(JSON Schema 2020-12, which OpenAPI 3.1 adopts as is). ``GET /api/v1/openapi.json`` serves
it without authentication, so that tools and the reference page at ``/docs/api/`` can read it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from server.schemas.platform import Error

from .contract import Contract, Operation

REF = "#/components/schemas/{model}"
_PATH_PARAM = re.compile(r"{([a-z_]+)}")

# What each status means, in every operation that can answer it.
ERROR_MEANINGS = {
    400: (
        "The body is not JSON, or holds what SIVO refuses before reading it (nesting deeper "
        "than 32, an integer of more than 20 digits, NaN, a lone surrogate): code "
        "`invalid_json`; or the query string is invalid: code `invalid_query`, `field` names "
        "the parameter."
    ),
    401: "No API key, or a revoked one (`unauthorized`).",
    403: "A dashboard session without its `X-CSRF-Token` header (`csrf_failed`).",
    404: "No such resource for this tenant (another tenant's ids are not found either).",
    409: "It conflicts with what exists; `code` says how.",
    410: "It existed and can no longer be served.",
    413: "The body is larger than 1 MiB.",
    415: "The body is not UTF-8 (`unsupported_charset`).",
    422: (
        "The body breaks its model: `field` names the offending field, `code` is `invalid`, "
        "`unknown_field`, or a specific one such as `invalid_url`."
    ),
    502: "Salesforce refused the request or could not be reached (`salesforce_error`).",
    503: "The database is not reachable.",
}


def _errors(op: Operation) -> list[int]:
    codes = set(op.errors)
    if op.auth == "api":
        codes.add(401)
        if op.method != "GET":
            codes.add(403)
    if op.body is not None:
        codes.update((400, 413, 415, 422))
    if op.query is not None:
        codes.add(400)
    if "{" in op.path and op.auth != "public":
        codes.add(404)
    return sorted(codes)


def _without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """``X | None`` as a query parameter is just an optional X."""
    options = schema.get("anyOf")
    if options and {"type": "null"} in options:
        rest = [o for o in options if o != {"type": "null"}]
        out = {k: v for k, v in schema.items() if k != "anyOf"}
        return {**(rest[0] if len(rest) == 1 else {"anyOf": rest}), **out}
    return schema


def _parameters(op: Operation) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "minLength": 1, "maxLength": 64},
        }
        for name in _PATH_PARAM.findall(op.path)
    ]
    if op.query is not None:
        schema = op.query.model_json_schema(mode="validation")
        required = set(schema.get("required", ()))
        for name, prop in schema["properties"].items():
            prop = _without_null(dict(prop))
            param: dict[str, Any] = {"name": name, "in": "query", "required": name in required}
            if "description" in prop:
                param["description"] = prop.pop("description")
            prop.pop("title", None)
            param["schema"] = prop
            params.append(param)
    return params


def _first_example(model: type[BaseModel]) -> Any:
    extra = model.model_config.get("json_schema_extra")
    examples = extra.get("examples") if isinstance(extra, dict) else None
    return examples[0] if isinstance(examples, list) and examples else None


Refs = Mapping[tuple[Any, JsonSchemaMode], Any]


def operation_id(name: str) -> str:
    """``list_agents`` -> ``listAgents``: what code generators and Swagger UI links expect."""
    first, *rest = name.split("_")
    return first + "".join(part.capitalize() for part in rest)


def _operation(op: Operation, refs: Refs) -> dict[str, Any]:
    out: dict[str, Any] = {
        "operationId": operation_id(op.name),
        "summary": op.summary,
        "tags": [op.tag],
        "security": [{"apiKey": []}, {"dashboardSession": []}] if op.auth == "api" else [],
    }
    if op.description:
        out["description"] = op.description
    params = _parameters(op)
    if params:
        out["parameters"] = params
    if op.body is not None:
        media: dict[str, Any] = {"schema": refs[(op.body, "validation")]}
        example = _first_example(op.body)
        if example is not None:
            media["example"] = example
        out["requestBody"] = {"required": op.body_required, "content": {"application/json": media}}
    responses: dict[str, Any] = {}
    if op.response is not None:
        content = {op.media_type: {"schema": refs[(op.response, "serialization")]}}
        meaning = "Created." if op.status == 201 else "OK."
        description = " ".join((op.response.__doc__ or "").split()) or meaning
        responses[str(op.status)] = {"description": description, "content": content}
    elif op.media_type != "application/json":
        responses[str(op.status)] = {
            "description": "OK",
            "content": {op.media_type: {"schema": {"type": "string", "format": "binary"}}},
        }
    else:
        responses[str(op.status)] = {"description": "Done; no body."}
    error = {"application/json": {"schema": refs[(Error, "serialization")]}}
    for code in _errors(op):
        responses[str(code)] = {"description": ERROR_MEANINGS[code], "content": error}
    out["responses"] = responses
    return out


def build_document(
    contracts: Iterable[Contract], *, version: str, server_url: str
) -> dict[str, Any]:
    operations = [op for contract in contracts for op in contract.operations]
    names = [op.name for op in operations]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(f"operation names must be unique: {', '.join(duplicated)}")
    wanted: list[tuple[type[BaseModel], JsonSchemaMode]] = [(Error, "serialization")]
    for op in operations:
        if op.body is not None:
            wanted.append((op.body, "validation"))
        if op.response is not None:
            wanted.append((op.response, "serialization"))
    unique = list(dict.fromkeys(wanted))
    refs, defs = models_json_schema(unique, ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, refs)
    tags = list(dict.fromkeys(op.tag for op in operations))
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "SIVO API",
            "version": version,
            "description": (
                "The REST API of SIVO. Authenticate with an API key "
                "(`Authorization: Bearer sivo_…`; create one in the dashboard or with "
                "`sivo tenant create`). Every error has the shape of `Error`. Fields named "
                "here are stable within /api/v1: new fields may be added to responses, none "
                "is removed or changes meaning."
            ),
        },
        "servers": [{"url": server_url}],
        "tags": [{"name": t} for t in tags],
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {
                "apiKey": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API key of the tenant: `Authorization: Bearer sivo_…`.",
                },
                "dashboardSession": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "sivo_session",
                    "description": (
                        "The dashboard's session cookie; requests that change something also "
                        "need the `X-CSRF-Token` header from `GET /admin/session`."
                    ),
                },
            },
        },
    }


OPENAPI_DOCUMENT = web.AppKey("openapi_document", dict)
routes = web.RouteTableDef()


@routes.get("/api/v1/openapi.json")  # OPENAPI_PATH in server.api.contracts
async def openapi_json(request: web.Request) -> web.Response:
    return web.json_response(
        request.app[OPENAPI_DOCUMENT], headers={"Cache-Control": "public, max-age=300"}
    )
