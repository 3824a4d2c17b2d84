"""jsforce (npm, a real client not written here) against devorg over verified HTTPS.

``jsforce_client.mjs`` runs under Node with ``NODE_EXTRA_CA_CERTS`` set to devorg's test CA:
jsforce's OAuth2 web-server flow with its own PKCE verifier, a Connection from
``accessToken`` + ``instanceUrl``, sObject Collections inserts, ``query`` with ``queryMore``
and ``autoFetch`` across more than 2,000 rows, create/update/upsert/retrieve/destroy,
``scanAll`` (queryAll), describe, describeGlobal, limits and ``limitInfo``. The script prints
one JSON object that the test asserts on. Node and jsforce come from the system and
``npm install`` (package.json); without them the test skips, or fails when
``SIVO_TEST_REQUIRE_ALL=1``.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from devorg.testing import ReadyOrg, RunningDevorg, running_devorg

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("jsforce_client.mjs")
ROWS = 2300
REDIRECT = "http://127.0.0.1/jsforce/callback"


def node_or_skip() -> str:
    node = shutil.which("node")
    reason = None
    if node is None:
        reason = "no node on PATH (apt-get install nodejs)"
    elif not (ROOT / "node_modules" / "jsforce" / "package.json").is_file():
        reason = "jsforce is not installed (npm install at the repository root)"
    if reason is not None:
        if os.environ.get("SIVO_TEST_REQUIRE_ALL") == "1":
            pytest.fail(f"{reason} but SIVO_TEST_REQUIRE_ALL=1")
        pytest.skip(reason)
    assert node is not None
    return node


async def run_node(node: str, ca_file: Path | None, *args: str) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if k != "NODE_EXTRA_CA_CERTS"}
    if ca_file is not None:
        env["NODE_EXTRA_CA_CERTS"] = str(ca_file)
    process = await asyncio.create_subprocess_exec(
        node,
        *args,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_jsforce_end_to_end() -> None:
    node = node_or_skip()
    async with running_devorg(tls=True) as sf:
        acme = await sf.setup_org("Acme", "ada@acme.test")
        await sf.control("PUT", "auto-approve", {"username": "ada@acme.test"})
        result = await drive(node, sf, acme)
    assert result["verifierLength"] == 171
    assert result["oauth"] == {
        "userId": acme.user_id,
        "organizationId": acme.org_id,
        "instanceUrl": sf.base_url,
        "identity": "ada@acme.test",
    }
    assert result["version"] == "50.0" and result["createdRows"] == ROWS
    assert result["firstPage"] == {
        "totalSize": ROWS,
        "done": False,
        "records": 2000,
        "hasNext": True,
    }
    assert result["queryMore"] == {"done": True, "records": ROWS - 2000}
    assert result["autoFetch"] == {"totalSize": ROWS, "records": ROWS}
    assert result["autoFetchOrdered"] is True
    created = result["create"]
    assert created["success"] is True and created["id"].startswith("003")
    assert result["update"] == {"id": created["id"], "success": True, "errors": []}
    assert result["retrieve"] == "Hedy Lamarr"
    assert result["upsertNew"]["created"] is True and result["upsertNew"]["success"] is True
    assert result["upsertAgain"]["created"] is False
    assert [r["created"] for r in result["upsertMany"]] == [False, True]
    assert result["destroy"] == {"id": created["id"], "success": True, "errors": []}
    assert result["afterDestroy"] == "ENTITY_IS_DELETED"
    assert result["queryAllDeleted"] == [created["id"]]
    assert result["describe"] == {
        "name": "Contact",
        "keyPrefix": "003",
        "lastName": {"type": "string", "nillable": False, "length": 80},
    }
    assert {"Account", "Contact", "Case", "VoiceCall"} <= set(result["describeGlobal"])
    assert result["limits"]["Max"] == 15000
    assert result["limitInfo"] == {"used": 15000 - result["limits"]["Remaining"], "limit": 15000}


async def drive(node: str, sf: RunningDevorg, org: ReadyOrg) -> dict[str, Any]:
    payload = {
        "instanceUrl": org.tokens["instance_url"],
        "accessToken": org.access_token,
        "loginUrl": sf.login_url,
        "clientId": "jsforce-test",
        "redirectUri": REDIRECT,
        "rows": ROWS,
    }
    code, out, err = await run_node(node, sf.ca_file, str(SCRIPT), json.dumps(payload))
    assert code == 0, err
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


LIMITS_PROBE = """
import('jsforce').then(async ({ default: jsforce }) => {
  const conn = new jsforce.Connection(JSON.parse(process.argv[1]));
  try { await conn.limits(); console.log('connected'); }
  catch (err) { console.log('refused ' + (err.cause?.code ?? err.code ?? err.message)); }
});
"""


async def test_jsforce_refuses_devorg_without_the_test_ca() -> None:
    node = node_or_skip()
    async with running_devorg(tls=True) as sf:
        acme = await sf.setup_org("Acme", "ada@acme.test")
        connection = json.dumps({"instanceUrl": sf.base_url, "accessToken": acme.access_token})
        code, out, err = await run_node(node, None, "-e", LIMITS_PROBE, connection)
        assert code == 0, err
        # Node's own verification fails (the code is e.g. UNABLE_TO_VERIFY_LEAF_SIGNATURE).
        assert out.startswith("refused ") and ("CERT" in out or "VERIFY" in out), out
        code, out, err = await run_node(node, sf.ca_file, "-e", LIMITS_PROBE, connection)
        assert out.strip() == "connected", out + err
