"""Schemathesis against a live `sivo serve`, driven by the OpenAPI document it serves.

Two tenants: A's resources are seeded and never touched; the fuzzer acts as B. Every case
is checked for: no 5xx, a status the document declares, the declared content type, a body
that matches the response schema, schema-violating input refused with a 4xx, and isolation:
B using A's ids gets nothing (no 2xx), and no response to B ever contains one of A's ids.

Bounded: a few dozen examples per operation, no deadline per example, so the whole module
takes well under a minute. Webhook URLs in generated bodies are pointed at a closed port
on 127.0.0.1 before sending: deliveries to a generated host name would need DNS, and
nothing here may leave the loopback interface.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from pydantic import TypeAdapter, ValidationError
from schemathesis.checks import not_a_server_error
from schemathesis.generation.meta import GenerationMode, ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from server.api.contracts import CONTRACTS
from server.api.openapi import build_document
from server.schemas.webhooks import ReceiverUrl

ROOT = Path(__file__).resolve().parents[1]
CLOSED_PORT_URL = "https://127.0.0.1:9"  # the discard port: nothing listens
MAX_EXAMPLES = int(os.environ.get("SIVO_FUZZ_EXAMPLES", "30"))


@dataclass
class Live:
    url: str
    log: Path
    a_key: str
    b_key: str
    a_ids: dict[str, str]  # kind -> id of tenant A
    b_ids: dict[str, str]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _tenant(env: dict[str, str], name: str) -> str:
    made = subprocess.run(
        [sys.executable, "-m", "server.cli", "tenant", "create", name],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return str(json.loads(made.stdout)["api_key"])


def _seed(url: str, key: str, tag: str) -> dict[str, str]:
    """One of each resource, so that id routes have real targets."""
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {key}"

    def post(path: str, body: dict[str, Any]) -> dict[str, Any]:
        resp = session.post(f"{url}/api/v1{path}", json=body, timeout=10)
        assert resp.status_code == 201, resp.text
        created: dict[str, Any] = resp.json()
        return created

    queue = post("/queues", {"name": f"Queue {tag}"})
    agent = post(
        "/agents",
        {
            "name": f"Agent {tag}",
            "email": f"agent-{tag}@example.com",
            "extension": "10" if tag == "a" else "20",
            "queue_ids": [queue["id"]],
        },
    )
    number = post(
        "/numbers",
        {"number": "+18005550100" if tag == "a" else "+18005550200", "queue_id": queue["id"]},
    )
    endpoint = post("/webhooks/endpoints", {"url": f"{CLOSED_PORT_URL}/{tag}", "events": ["*"]})
    key_row = post("/api-keys", {"name": f"key {tag}"})
    return {
        "queue": queue["id"],
        "agent": agent["id"],
        "number": number["id"],
        "endpoint": endpoint["id"],
        "api_key": key_row["id"],
    }


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    data_dir = tmp_path_factory.mktemp("sivo-fuzz")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "SIVO_DATA_DIR": str(data_dir),
        "SIVO_PUBLIC_URL": url,
        "SIVO_LOG_LEVEL": "INFO",
        "SIVO_WEBHOOK_ALLOW_NETWORKS": "127.0.0.0/8",
    }
    a_key, b_key = _tenant(env, "Tenant A"), _tenant(env, "Tenant B")
    log = data_dir / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "sivo serve did not start"
            time.sleep(0.1)
        served = requests.get(f"{url}/api/v1/openapi.json", timeout=10).json()
        assert served == json.loads(json.dumps(_document(url)))
        yield Live(url, log, a_key, b_key, _seed(url, a_key, "a"), _seed(url, b_key, "b"))
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _document(public_url: str) -> dict[str, Any]:
    return build_document(CONTRACTS, version=version("sivo"), server_url=public_url)


# Built in-process at import, as the server builds it (schemathesis's fixture loader does not
# work with this pytest); `live` checks that the server serves this very document.
schema = schemathesis.openapi.from_dict(_document("http://127.0.0.1"))


RECEIVER_URL = TypeAdapter(ReceiverUrl)
TURNS = itertools.cycle(range(13))  # 5 of A's ids, 5 of B's, 3 generated


def _sivo_accepts(url: str) -> bool:
    try:
        RECEIVER_URL.validate_python(url)
    except ValidationError:
        return False
    return True


def _loopback_urls(body: object) -> None:
    """A receiver URL SIVO would accept keeps its path but goes to a closed port on
    127.0.0.1; one it refuses is sent as generated (the case tests that refusal)."""
    if not isinstance(body, dict) or not isinstance(body.get("url"), str):
        return
    if _sivo_accepts(body["url"]):
        parts = urlsplit(body["url"])
        body["url"] = urlunsplit(("https", "127.0.0.1:9", parts.path, parts.query, ""))


def _negative(case: Any) -> set[ParameterLocation]:
    """Where a negative case holds its invalid data."""
    meta = case.meta
    if meta is None or meta.generation.mode != GenerationMode.NEGATIVE:
        return set()
    return {loc for loc, c in meta.components.items() if c.mode == GenerationMode.NEGATIVE}


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_matches_its_contract_and_keeps_tenants_apart(case: Any, live: Live) -> None:
    _loopback_urls(case.body)
    foreign = False
    negative = _negative(case)
    # The id is replaced only where it was generated valid, so an invalid id stays invalid.
    if "id" in (case.path_parameters or {}) and ParameterLocation.PATH not in negative:
        # Hypothesis reseeds `random` for every example, so take turns instead: A's real ids
        # (isolation), B's own (the success paths), and what was generated.
        turn = next(TURNS)
        if turn < len(live.a_ids):
            case.path_parameters["id"] = sorted(live.a_ids.values())[turn]
            foreign = True
        elif turn < 2 * len(live.a_ids):
            case.path_parameters["id"] = sorted(live.b_ids.values())[turn - len(live.a_ids)]
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    # Authorization is always B's valid key: a case invalid only in its headers is valid once
    # sent, so it must not be expected to be refused.
    if negative - {ParameterLocation.HEADER}:
        checks.append(negative_data_rejection)
    response = case.call_and_validate(
        base_url=live.url, headers={"Authorization": f"Bearer {live.b_key}"}, checks=checks
    )
    if foreign:
        assert response.status_code >= 400, (
            f"{case.method} {case.formatted_path}: tenant B got {response.status_code} "
            "on tenant A's resource"
        )
    leaked = [i for i in live.a_ids.values() if i in response.text]
    assert not leaked, f"{case.method} {case.formatted_path}: tenant A's ids {leaked} shown to B"


def test_the_fuzzed_server_logged_no_credential(live: Live) -> None:
    """Runs after the fuzz (file order): the API keys never reached the server's log."""
    text = live.log.read_text()
    assert "GET /api/v1/openapi.json" in text  # the access log is there
    for key in (live.a_key, live.b_key):
        assert key not in text and key.split("_", 2)[2] not in text
