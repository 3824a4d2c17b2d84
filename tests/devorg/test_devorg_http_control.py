"""devorg's control API: seed, faults, request log, reset, snapshots."""

from __future__ import annotations

import time
from pathlib import Path

from devorg.seed import demo_seed
from devorg.testing import ReadyOrg, RunningDevorg, running_devorg


async def test_injected_faults_hit_the_next_requests_only(
    sf: RunningDevorg, acme: ReadyOrg
) -> None:
    await sf.control(
        "POST", "faults", {"status": 503, "count": 2, "host": "org", "pathPrefix": "/services/data"}
    )
    url = f"{sf.base_url}/services/data/v68.0/query"
    params = {"q": "SELECT Id FROM User"}
    statuses = []
    for _ in range(3):
        async with sf.session.get(url, params=params, headers=acme.auth) as response:
            statuses.append(response.status)
    assert statuses == [503, 503, 200]


async def test_injected_429_and_delay(sf: RunningDevorg, acme: ReadyOrg) -> None:
    await sf.control("POST", "faults", {"status": 429, "count": 1})
    async with sf.session.get(f"{sf.base_url}/services/data/") as response:
        assert response.status == 429 and response.headers["Retry-After"] == "1"
    await sf.control("POST", "faults", {"delayMs": 300, "count": 1})
    started = time.monotonic()
    async with sf.session.get(f"{sf.base_url}/services/data/") as response:
        assert response.status == 200
    assert time.monotonic() - started >= 0.3


async def test_request_log_records_without_secrets(sf: RunningDevorg, acme: ReadyOrg) -> None:
    log = (await sf.control("GET", "requests"))["requests"]
    token_calls = [r for r in log if r["path"] == "/services/oauth2/token"]
    assert token_calls and token_calls[0]["status"] == 200
    authorize = next(r for r in log if r["path"] == "/services/oauth2/authorize")
    assert authorize["status"] == 302
    assert acme.access_token not in str(log)


async def test_reset_forgets_orgs_and_tokens(sf: RunningDevorg, acme: ReadyOrg) -> None:
    await sf.control("POST", "reset")
    assert (await sf.control("GET", ""))["orgs"] == []
    async with sf.session.get(
        f"{sf.base_url}/services/data/v68.0/query",
        params={"q": "SELECT Id FROM User"},
        headers=acme.auth,
    ) as response:
        assert response.status == 401


async def test_seed_endpoint_resolves_refs_and_rejects_bad_input(sf: RunningDevorg) -> None:
    created = await sf.control("POST", "seed", demo_seed(None))
    assert [o["isSandbox"] for o in created["orgs"]] == [False, True]
    org = sf.devorg.store.org(created["orgs"][0]["orgId"])
    assert org is not None
    jo = org.first("Contact", LastName="Smith")
    assert jo is not None and org.get(jo["AccountId"]) is not None
    async with sf.session.post(
        f"{sf.base_url}/__devorg/seed", json={"orgs": [{"records": {"Contact": [{}]}}]}
    ) as response:
        assert response.status == 400 and "LastName" in (await response.json())["error"]
    async with sf.session.post(
        f"{sf.base_url}/__devorg/orgs/{org.org_id}/users",
        json={"username": "admin@sivo-demo.devorg"},
    ) as response:
        assert response.status == 400  # usernames are unique across orgs


async def test_call_center_certificate_must_be_x509(sf: RunningDevorg) -> None:
    org = await sf.create_org("Acme")
    async with sf.session.post(
        f"{sf.base_url}/__devorg/orgs/{org['orgId']}/callcenters",
        json={"internalName": "SIVO_X", "certificate": "-----BEGIN PUBLIC KEY-----"},
    ) as response:
        assert response.status == 400


async def test_snapshot_survives_restart(tmp_path: Path) -> None:
    path = tmp_path / "devorg.json"
    async with running_devorg(snapshot_path=path) as first:
        org = await first.create_org("Persisted")
        await first.create_record(org["orgId"], "Account", {"Name": "Kept"})
    async with running_devorg(snapshot_path=path) as second:
        restored = second.devorg.store.org(org["orgId"])
        assert restored is not None
        assert restored.first("Account", Name="Kept") is not None
        new_org = await second.create_org("Another")
        assert new_org["orgId"] != org["orgId"]


async def test_demo_flag_loads_demo_data() -> None:
    async with running_devorg(demo=True) as sf:
        index = await sf.control("GET", "")
        assert [o["name"] for o in index["orgs"]] == ["SIVO Demo Co", "SIVO Demo Co (UAT sandbox)"]
        tokens = await sf.login("agent@sivo-demo.devorg")
        assert tokens["access_token"]
