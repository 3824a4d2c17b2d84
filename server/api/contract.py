"""One layer between HTTP and the services: requests parsed into models, responses rendered.

Each API module declares its operations on a ``Contract``::

    api = Contract(tag="Queues")

    @api.post("/api/v1/queues", body=QueueCreate, response=Queue, status=201,
              summary="Create a queue", errors=(409,))
    async def create_queue(request: web.Request, body: QueueCreate) -> Queue: ...

The wrapper reads the body through ``read_json_object`` (bounded size, depth, integers and
Unicode), validates it and the query string against their models, and renders what the
handler returns. A body or query that fails its model is refused in the one error shape,
naming the offending field; the handler never runs and nothing is stored. The same
declarations are what ``server.api.openapi`` turns into the OpenAPI document, so the
document cannot drift from what is enforced.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from server.errors import ApiError, read_json_object

Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
Auth = Literal["api", "public", "signed_url"]
Handler = Callable[..., Awaitable[Any]]

# Codes a model's validator may raise (PydanticCustomError's type); anything else is "invalid".
PASSED_THROUGH_CODES = frozenset({"invalid_url", "unknown_event_type"})


@dataclass(frozen=True)
class Operation:
    """One route as the contract declares it."""

    method: Method
    path: str
    name: str
    summary: str
    description: str
    tag: str
    auth: Auth
    body: type[BaseModel] | None
    body_required: bool
    query: type[BaseModel] | None
    response: type[BaseModel] | None  # None: 204 No Content, or a non-JSON ``media_type``
    status: int
    errors: tuple[int, ...]
    media_type: str = "application/json"


def field_of(error: ErrorDetails) -> str | None:
    """The request field an error is about: the first element of its location."""
    loc = error["loc"]
    return str(loc[0]) if loc else None


def _message(error: ErrorDetails) -> str:
    path = ".".join(str(part) for part in error["loc"])
    return f"{path}: {error['msg']}" if path else error["msg"]


def refusal(exc: ValidationError, *, status: int, default_code: str) -> ApiError:
    """The first thing wrong with a body or a query, in the one error shape."""
    error = exc.errors(include_url=False, include_context=False, include_input=False)[0]
    if error["type"] == "extra_forbidden":
        code = "unknown_field"
        message = f"unknown field {field_of(error)!r}"
    else:
        code = error["type"] if error["type"] in PASSED_THROUGH_CODES else default_code
        message = _message(error)
    return ApiError(status, code, message, field_of(error))


async def parse_body(request: web.Request, model: type[BaseModel], required: bool) -> BaseModel:
    raw: dict[str, object] = {}
    if request.body_exists or required:
        raw = await read_json_object(request)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise refusal(exc, status=422, default_code="invalid") from exc


def parse_query(request: web.Request, model: type[BaseModel]) -> BaseModel:
    repeated = sorted(k for k in set(request.query) if len(request.query.getall(k)) > 1)
    if repeated:
        raise ApiError(400, "invalid_query", f"{repeated[0]} is given more than once", repeated[0])
    try:
        return model.model_validate(dict(request.query))
    except ValidationError as exc:
        raise refusal(exc, status=400, default_code="invalid_query") from exc


def render(result: object, status: int) -> web.StreamResponse:
    if isinstance(result, web.StreamResponse):
        return result
    if result is None:
        return web.Response(status=status)
    if not isinstance(result, BaseModel):
        raise TypeError(f"a handler returned {type(result).__name__}, not a model")
    return web.json_response(result.model_dump(mode="json", by_alias=True), status=status)


class Contract:
    """The operations of one API module, and the aiohttp routes that serve them."""

    def __init__(self, *, tag: str) -> None:
        self.tag = tag
        self.operations: list[Operation] = []
        self.routes = web.RouteTableDef()

    def get(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.operation("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.operation("POST", path, **kw)

    def put(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.operation("PUT", path, **kw)

    def patch(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.operation("PATCH", path, **kw)

    def delete(self, path: str, **kw: Any) -> Callable[[Handler], Handler]:
        return self.operation("DELETE", path, **kw)

    def operation(
        self,
        method: Method,
        path: str,
        *,
        summary: str,
        response: type[BaseModel] | None = None,
        status: int | None = None,
        body: type[BaseModel] | None = None,
        body_required: bool = True,
        query: type[BaseModel] | None = None,
        errors: tuple[int, ...] = (),
        auth: Auth = "api",
        media_type: str = "application/json",
    ) -> Callable[[Handler], Handler]:
        # Without a response model a JSON route answers 204 No Content.
        code = status or (204 if response is None and media_type == "application/json" else 200)

        def register(handler: Handler) -> Handler:
            doc = (handler.__doc__ or "").strip()
            self.operations.append(
                Operation(
                    method=method,
                    path=path,
                    name=handler.__name__,
                    summary=summary,
                    description=doc,
                    tag=self.tag,
                    auth=auth,
                    body=body,
                    body_required=body_required,
                    query=query,
                    response=response,
                    status=code,
                    errors=errors,
                    media_type=media_type,
                )
            )

            async def serve(request: web.Request) -> web.StreamResponse:
                args: list[BaseModel] = []
                if query is not None:
                    args.append(parse_query(request, query))
                if body is not None:
                    args.append(await parse_body(request, body, body_required))
                return render(await handler(request, *args), code)

            serve.__name__ = handler.__name__
            self.routes.route(method, path)(serve)
            return handler

        return register
