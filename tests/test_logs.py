"""Request ids tie a response to its log lines; SIVO_LOG_FORMAT=json writes one object per
line with that id."""

from __future__ import annotations

import io
import json
import logging

import pytest

from server.logs import JsonFormatter
from server.request_context import REQUEST_ID
from server.settings import ConfigError, load_settings
from tests.conftest import AppFactory


async def test_every_response_carries_a_request_id_and_errors_quote_it(
    make_client: AppFactory,
) -> None:
    client = await make_client()
    resp = await client.get("/api/v1/calls")
    assert resp.status == 401
    rid = resp.headers["X-Request-Id"]
    assert len(rid) >= 8 and (await resp.json())["error"]["request_id"] == rid
    mine = await client.get("/healthz", headers={"X-Request-Id": "lb-0123456789"})
    assert mine.headers["X-Request-Id"] == "lb-0123456789"
    odd = await client.get("/nowhere", headers={"X-Request-Id": "a\\r\\nb"})
    assert odd.status == 404 and odd.headers["X-Request-Id"] != "a\\r\\nb"


def test_json_lines_name_the_request() -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    log = logging.getLogger("sivo.test.json")
    log.addHandler(handler)
    log.propagate = False
    token = REQUEST_ID.set("req-12345678")
    try:
        log.warning("call %s: x %s", "call_1", "refused")
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("failed")
    finally:
        REQUEST_ID.reset(token)
        log.removeHandler(handler)
    first, second = (json.loads(line) for line in out.getvalue().splitlines() if line)
    assert first["message"] == "call call_1: x refused" and first["level"] == "WARNING"
    assert first["request_id"] == "req-12345678" and first["logger"] == "sivo.test.json"
    assert "ValueError: boom" in second["exception"]


def test_log_format_is_checked(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    monkeypatch.setenv("SIVO_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SIVO_LOG_FORMAT", "JSON")
    assert load_settings().log_format == "json"
    monkeypatch.setenv("SIVO_LOG_FORMAT", "xml")
    with pytest.raises(ConfigError, match="SIVO_LOG_FORMAT"):
        load_settings()
