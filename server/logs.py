"""Log lines as operators read them: text by default, or one JSON object per line
(``SIVO_LOG_FORMAT=json``) carrying the request id that the response also carries.

Every HTTP request gets an id (``X-Request-Id``: the client's, when it sends a sane one, or a
new one), bound to the task that serves it, so each line logged on its behalf and its error
response name the same id.
"""

from __future__ import annotations

import json
import logging
import re
import secrets

from aiohttp import web

from server.errors import Handler
from server.request_context import REQUEST_ID

_SANE_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = REQUEST_ID.get()
        if request_id is not None:
            line["request_id"] = request_id
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure(level: str, fmt: str) -> None:
    """The root logger for ``sivo`` commands (libraries never attach handlers)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(_TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request's full URL at INFO (SOQL included); SIVO logs what matters.
    logging.getLogger("httpx").setLevel(logging.WARNING)


@web.middleware
async def request_id_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    sent = request.headers.get("X-Request-Id", "")
    request_id = sent if _SANE_ID.fullmatch(sent) else secrets.token_hex(8)
    token = REQUEST_ID.set(request_id)
    try:
        resp = await handler(request)
    except web.HTTPException as exc:
        exc.headers["X-Request-Id"] = request_id
        raise
    finally:
        REQUEST_ID.reset(token)
    resp.headers["X-Request-Id"] = request_id
    return resp
