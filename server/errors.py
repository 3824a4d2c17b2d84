"""One error shape for the whole API, rendered by one middleware.

``{"error": {"code": "invalid_url", "message": "...", "field": "url"}}`` with a 4xx status.
Anything else raised in a handler is logged with its traceback and becomes a generic 500.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Awaitable, Callable

from aiohttp import web

from server.failures import (
    Failure,
    Forbidden,
    Gone,
    Invalid,
    NotFound,
    Unauthenticated,
    Upstream,
)
from server.request_context import REQUEST_ID
from server.text import encodable

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field

    def body(self) -> dict[str, object]:
        err: dict[str, object] = {"code": self.code, "message": self.message}
        if self.field is not None:
            err["field"] = self.field
        return {"error": err}


def not_found(what: str = "resource") -> ApiError:
    return ApiError(404, "not_found", f"{what} not found")


def invalid(field: str, message: str, code: str = "invalid") -> ApiError:
    return ApiError(422, code, message, field)


def from_failure(failure: Failure) -> ApiError:
    """A service's refusal as the API renders it (a refusal of state is a 409)."""
    if isinstance(failure, Invalid):
        status = 422
    elif isinstance(failure, NotFound) or failure.code == "not_found":
        status = 404
    elif isinstance(failure, Gone):
        status = 410
    elif isinstance(failure, Upstream):
        status = 502
    elif isinstance(failure, Unauthenticated):
        status = 401
    elif isinstance(failure, Forbidden):
        status = 403
    else:
        status = 409  # Conflict, and any other refusal of the current state
    return ApiError(status, failure.code, failure.message, failure.field)


def error_response(err: ApiError) -> web.Response:
    body = err.body()
    request_id = REQUEST_ID.get()
    error = body["error"]
    if request_id is not None and isinstance(error, dict):
        error["request_id"] = request_id  # quote it to support; it names the log lines too
    return web.json_response(body, status=err.status)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as err:
        return error_response(err)
    except Failure as failure:
        return error_response(from_failure(failure))
    except web.HTTPException as exc:
        if exc.status < 400 or not request.path.startswith("/api/"):
            raise
        code = exc.reason.lower().replace(" ", "_")
        return error_response(ApiError(exc.status, code, exc.reason))
    except Exception:
        logger.exception("x unhandled error on %s %s", request.method, request.path)
        return error_response(ApiError(500, "internal", "internal error"))


MAX_JSON_DEPTH = 32
MAX_INT_DIGITS = 20


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError("integer too long")
    return int(text)


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError("number out of range")
    return value


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _check_tree(value: object) -> None:
    """Depth and strings of a parsed body, walked without recursion."""
    stack: list[tuple[object, int, str | None]] = [(value, 1, None)]
    while stack:
        item, depth, top = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise ApiError(400, "invalid_json", f"JSON is nested deeper than {MAX_JSON_DEPTH}")
        if isinstance(item, str):
            if not encodable(item):
                raise ApiError(
                    400, "invalid_json", "strings must be valid Unicode (a lone surrogate)", top
                )
        elif isinstance(item, dict):
            for key, child in item.items():
                if not encodable(key):
                    raise ApiError(400, "invalid_json", "keys must be valid Unicode", top)
                stack.append((child, depth + 1, top if top is not None else key))
        elif isinstance(item, list):
            stack.extend((child, depth + 1, top) for child in item)


async def read_json_object(request: web.Request) -> dict[str, object]:
    """The request body as a JSON object, or a 4xx that says what is wrong with it.

    Bounded before and while parsing, so that no body reaches a 500: UTF-8 only, the app's
    size limit (413), at most 32 levels of nesting, integers of at most 20 digits, no NaN or
    Infinity, and no string that UTF-8 cannot hold.
    """
    charset = (request.charset or "utf-8").lower().replace("_", "-")
    if charset not in ("utf-8", "utf8"):
        raise ApiError(415, "unsupported_charset", "send the body as UTF-8 JSON")
    raw = await request.read()
    try:
        body = json.loads(
            raw.decode("utf-8"),
            parse_int=_bounded_int,
            parse_float=_finite_float,
            parse_constant=_no_constant,
        )
    except RecursionError as exc:
        raise ApiError(400, "invalid_json", "JSON is nested too deeply") from exc
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
        raise ApiError(400, "invalid_json", "request body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "request body must be a JSON object")
    _check_tree(body)
    return body
