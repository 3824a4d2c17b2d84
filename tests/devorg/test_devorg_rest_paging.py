"""Query paging: 2,000-record batches, Sforce-Query-Options, locators, expiry, queryAll."""

from __future__ import annotations

import re
from typing import Any

from devorg.testing import ReadyOrg, RunningDevorg, ScrtKeyPair

V = "68.0"
LOCATOR_URL = re.compile(
    rf"^/services/data/v{re.escape(V)}/(query|queryAll)/01g[0-9A-Za-z]{{15}}-(\d+)$"
)


async def call(
    sf: RunningDevorg, org: ReadyOrg, method: str, path: str, **kwargs: Any
) -> tuple[int, Any]:
    url = path if path.startswith("/") else f"/services/data/v{V}/{path}"
    headers = {**org.auth, **kwargs.pop("headers", {})}
    async with sf.session.request(method, sf.base_url + url, headers=headers, **kwargs) as response:
        return response.status, await response.json() if response.status != 204 else None


async def add_contacts(sf: RunningDevorg, org: ReadyOrg, count: int, prefix: str = "P") -> None:
    """Create ``count`` Contacts through sObject Collections, 200 at a time."""
    for start in range(0, count, 200):
        records = [
            {"attributes": {"type": "Contact"}, "LastName": f"{prefix}{n:05d}"}
            for n in range(start, min(count, start + 200))
        ]
        status, results = await call(
            sf, org, "POST", "composite/sobjects", json={"allOrNone": True, "records": records}
        )
        assert status == 200 and all(r["success"] for r in results)


async def test_large_query_pages_by_2000(sf: RunningDevorg, acme: ReadyOrg) -> None:
    await add_contacts(sf, acme, 4100)
    q = {"q": "SELECT Id, LastName FROM Contact ORDER BY LastName"}
    status, first = await call(sf, acme, "GET", "query", params=q)
    assert status == 200
    assert (first["totalSize"], first["done"], len(first["records"])) == (4100, False, 2000)
    assert list(first) == ["totalSize", "done", "nextRecordsUrl", "records"]
    match = LOCATOR_URL.match(first["nextRecordsUrl"])
    assert match is not None and match.groups() == ("query", "2000")
    status, second = await call(sf, acme, "GET", first["nextRecordsUrl"])
    assert status == 200 and second["totalSize"] == 4100 and second["done"] is False
    assert second["nextRecordsUrl"].endswith("-4000")
    status, third = await call(sf, acme, "GET", second["nextRecordsUrl"])
    assert third["done"] is True and "nextRecordsUrl" not in third and len(third["records"]) == 100
    names = [r["LastName"] for page in (first, second, third) for r in page["records"]]
    assert names == [f"P{n:05d}" for n in range(4100)]
    # COUNT() is not paged, LIMIT cuts before paging.
    status, counted = await call(
        sf, acme, "GET", "query", params={"q": "SELECT COUNT() FROM Contact"}
    )
    assert counted == {"totalSize": 4100, "done": True, "records": []}
    status, limited = await call(
        sf, acme, "GET", "query", params={"q": "SELECT Id FROM Contact LIMIT 2000"}
    )
    assert limited["done"] is True and len(limited["records"]) == 2000


async def test_batch_size_header_and_its_bounds(sf: RunningDevorg, acme: ReadyOrg) -> None:
    await add_contacts(sf, acme, 600)
    q = {"q": "SELECT Id FROM Contact"}
    for option, expected in (
        ("batchSize=250", 250),
        ("batchSize=50", 200),
        ("batchSize=5000", 600),
    ):
        status, page = await call(
            sf, acme, "GET", "query", params=q, headers={"Sforce-Query-Options": option}
        )
        assert status == 200 and len(page["records"]) == expected, option
    status, page = await call(
        sf, acme, "GET", "query", params=q, headers={"Sforce-Query-Options": "batchSize=250"}
    )
    status, more = await call(sf, acme, "GET", page["nextRecordsUrl"])
    assert len(more["records"]) == 250 and more["nextRecordsUrl"].endswith("-500")


async def test_locator_expires_after_15_idle_minutes(sf: RunningDevorg, acme: ReadyOrg) -> None:
    await add_contacts(sf, acme, 450)
    headers = {"Sforce-Query-Options": "batchSize=200"}
    status, page = await call(
        sf, acme, "GET", "query", params={"q": "SELECT Id FROM Contact"}, headers=headers
    )
    await sf.control("POST", "clock", {"advanceSeconds": 14 * 60})
    status, page = await call(sf, acme, "GET", page["nextRecordsUrl"])
    assert status == 200  # used: the 15 minutes start again
    await sf.control("POST", "clock", {"advanceSeconds": 15 * 60 + 1})
    status, errors = await call(sf, acme, "GET", page["nextRecordsUrl"])
    assert status == 400 and errors[0]["errorCode"] == "INVALID_QUERY_LOCATOR"
    for bogus in ("01g5g0000000000AAA-2000", "nonsense", "01g5g0000000000AAA"):
        status, errors = await call(sf, acme, "GET", f"query/{bogus}")
        assert status == 400 and errors[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


async def test_locators_belong_to_their_org(
    sf: RunningDevorg, acme: ReadyOrg, scrt_keys: ScrtKeyPair
) -> None:
    await add_contacts(sf, acme, 300)
    other = await sf.setup_org("Globex", "gil@globex.test", call_center="SIVO_Globex")
    status, page = await call(
        sf,
        acme,
        "GET",
        "query",
        params={"q": "SELECT Id FROM Contact"},
        headers={"Sforce-Query-Options": "batchSize=200"},
    )
    status, errors = await call(sf, other, "GET", page["nextRecordsUrl"])
    assert status == 400 and errors[0]["errorCode"] == "INVALID_QUERY_LOCATOR"
    status, more = await call(sf, acme, "GET", page["nextRecordsUrl"])
    assert status == 200 and len(more["records"]) == 100


async def test_at_most_ten_open_cursors_per_user(sf: RunningDevorg, acme: ReadyOrg) -> None:
    await add_contacts(sf, acme, 201)
    urls = []
    for _ in range(11):
        status, page = await call(
            sf,
            acme,
            "GET",
            "query",
            params={"q": "SELECT Id FROM Contact"},
            headers={"Sforce-Query-Options": "batchSize=200"},
        )
        urls.append(page["nextRecordsUrl"])
    status, errors = await call(sf, acme, "GET", urls[0])  # the oldest was released
    assert status == 400 and errors[0]["errorCode"] == "INVALID_QUERY_LOCATOR"
    status, last = await call(sf, acme, "GET", urls[-1])
    assert status == 200 and len(last["records"]) == 1


async def test_query_all_includes_deleted_records(sf: RunningDevorg, acme: ReadyOrg) -> None:
    await add_contacts(sf, acme, 3, prefix="Q")
    status, page = await call(sf, acme, "GET", "query", params={"q": "SELECT Id FROM Contact"})
    doomed = page["records"][0]["Id"]
    assert (await call(sf, acme, "DELETE", f"sobjects/Contact/{doomed}"))[0] == 204
    q = {"q": "SELECT Id, IsDeleted FROM Contact ORDER BY LastName"}
    status, live = await call(sf, acme, "GET", "query", params=q)
    assert live["totalSize"] == 2 and all(r["IsDeleted"] is False for r in live["records"])
    status, everything = await call(sf, acme, "GET", "queryAll", params=q)
    assert everything["totalSize"] == 3
    assert [r["IsDeleted"] for r in everything["records"]] == [True, False, False]
    status, deleted = await call(
        sf, acme, "GET", "queryAll/", params={"q": "SELECT Id FROM Contact WHERE IsDeleted = true"}
    )
    assert [r["Id"] for r in deleted["records"]] == [doomed]
    # queryAll locators say queryAll, and the query/ path serves them too (jsforce uses it).
    await add_contacts(sf, acme, 250, prefix="R")
    status, first = await call(
        sf,
        acme,
        "GET",
        "queryAll",
        params={"q": "SELECT Id FROM Contact"},
        headers={"Sforce-Query-Options": "batchSize=200"},
    )
    match = LOCATOR_URL.match(first["nextRecordsUrl"])
    assert match is not None and match.group(1) == "queryAll"
    status, rest = await call(sf, acme, "GET", first["nextRecordsUrl"].replace("queryAll", "query"))
    assert status == 200 and len(rest["records"]) == 53
