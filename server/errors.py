"""One error shape for the whole API, rendered by one middleware.

``{"error": {"code": "invalid_url", "message": "...", "field": "url"}}`` with a 4xx status.
Anything else raised in a handler is logged with its traceback and becomes a generic 500.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from server.failures import Failure, Gone, Invalid, NotFound

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
    else:
        status = 409  # Conflict, and any other refusal of the current state
    return ApiError(status, failure.code, failure.message, failure.field)


def error_response(err: ApiError) -> web.Response:
    return web.json_response(err.body(), status=err.status)


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


async def read_json_object(request: web.Request) -> dict[str, object]:
    """The request body as a JSON object, or a 400 that says what is wrong with it."""
    try:
        body = await request.json(loads=json.loads)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError(400, "invalid_json", "request body is not valid JSON") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_json", "request body must be a JSON object")
    return body
