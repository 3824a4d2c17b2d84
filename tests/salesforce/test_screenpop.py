"""Screen pops against devorg over HTTPS: each branch with real records, one Salesforce round
trip per number not cached and none for a cached one, negative caching, invalidation, single
flight, Salesforce failing or slow, and tenants kept apart."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from devorg.testing import RunningDevorg
from server.api.context import SERVICES
from server.clock import FakeClock
from server.salesforce.screenpop import ScreenPops
from tests.conftest import AppFactory
from tests.support.api import new_tenant

from .conftest import Sivo, connected_org

USER = "ada@acme.test"
POP = "/api/v1/screenpop"


@dataclass
class Org:
    sivo: Sivo
    org_id: str  # Salesforce's, 18 characters
    org_id15: str
    row_id: str  # SIVO's sfo_…

    @property
    def pops(self) -> ScreenPops:
        return self.sivo.client.app[SERVICES].salesforce.screen_pops

    async def pop(self, number: str, status: int = 200, **params: Any) -> Any:
        query = {"number": number, "org_id": self.org_id, **params}
        resp = await self.sivo.client.get(POP, params=query, headers=self.sivo.api)
        assert resp.status == status, await resp.text()
        return await resp.json()


async def _org(make_client: AppFactory, sf: RunningDevorg, **kw: Any) -> Org:
    made = await connected_org(make_client, sf, USER, **kw)
    await sf.control("DELETE", "requests")  # discovery's requests are not the pops'
    return Org(made.sivo, made.org_id, made.org_id15, made.row_id)


async def _round_trips(sf: RunningDevorg) -> int:
    """Requests to the org's REST API since the last call (the log is cleared)."""
    log = await sf.control("GET", "requests")
    await sf.control("DELETE", "requests")
    return sum(1 for r in log["requests"] if r["path"].startswith("/services/data/"))


async def test_one_contact_in_every_format_one_round_trip_then_the_cache(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    org = await _org(make_client, sf)
    contact = await sf.create_record(
        org.org_id, "Contact", {"FirstName": "Ada", "LastName": "Lee", "Phone": "(415) 555-1212"}
    )
    first = await org.pop("(415) 555-1212")
    assert first["status"] == "found" and first["cached"] is False
    assert first["number_e164"] == "+14155551212"
    assert first["screen_pop"] == {"type": "sobject", "params": {"recordId": contact}}
    assert first["matches"][0]["name"] == "Ada Lee"
    assert await _round_trips(sf) == 1
    for same in ("+1 415-555-1212", "4155551212", "+14155551212", "1 415 555 1212"):
        again = await org.pop(same)
        assert again["cached"] is True and again["screen_pop"] == first["screen_pop"], same
    assert await _round_trips(sf) == 0


async def test_an_unencoded_plus_and_the_15_and_sivo_ids_of_the_org(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    org = await _org(make_client, sf)
    await sf.create_record(org.org_id, "Contact", {"LastName": "Lee", "Phone": "+44 20 7946 0000"})
    url = f"{POP}?number=+442079460000&org_id={org.org_id15}"  # "+" arrives as a space
    body = await (await org.sivo.client.get(url, headers=org.sivo.api)).json()
    assert body["number_e164"] == "+442079460000" and body["status"] == "found"
    by_row = await org.pop("+44 20 7946 0000", org_id=org.row_id)
    assert by_row["cached"] is True and by_row["screen_pop"] == body["screen_pop"]


async def test_a_record_kept_in_national_form_is_found_from_e164(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    org = await _org(make_client, sf)
    uk = await sf.create_record(org.org_id, "Contact", {"LastName": "Ng", "Phone": "020 7946 0000"})
    found = await org.pop("+44 20 7946 0000")
    assert found["screen_pop"]["params"] == {"recordId": uk}
    settings = await org.sivo.client.patch(
        f"{POP}/settings", json={"default_region": "GB"}, headers=org.sivo.api
    )
    assert settings.status == 200 and (await settings.json())["default_region"] == "GB"
    local = await org.pop("020 7946 0000")  # read in GB now: the same number, cached
    assert local["number_e164"] == "+442079460000" and local["cached"] is True
    assert await _round_trips(sf) == 1


async def test_prefer_case_pops_the_contacts_only_open_case(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    org = await _org(make_client, sf)
    contact = await sf.create_record(
        org.org_id, "Contact", {"LastName": "Lee", "MobilePhone": "415-555-1212"}
    )
    case = await sf.create_record(org.org_id, "Case", {"Subject": "Broken", "ContactId": contact})
    await sf.create_record(
        org.org_id, "Case", {"Subject": "Old", "ContactId": contact, "Status": "Closed"}
    )
    plain = await org.pop("4155551212")
    assert plain["screen_pop"]["params"] == {"recordId": contact}
    assert [(m["type"], m["id"]) for m in plain["matches"]] == [
        ("Contact", contact),
        ("Case", case),
    ]  # the closed Case is not searched
    resp = await org.sivo.client.patch(
        f"{POP}/settings", json={"prefer_case": True}, headers=org.sivo.api
    )
    assert (await resp.json()) == {"default_region": "US", "prefer_case": True}
    preferred = await org.pop("4155551212")  # the policy applies to what is cached
    assert preferred["cached"] is True and preferred["screen_pop"]["params"] == {"recordId": case}
    assert await _round_trips(sf) == 1


async def test_no_contact_and_one_account_pops_the_account(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    org = await _org(make_client, sf)
    account = await sf.create_record(org.org_id, "Account", {"Name": "Acme", "Phone": "4155551212"})
    body = await org.pop("(415) 555-1212")
    assert body["status"] == "found"
    assert body["screen_pop"] == {"type": "sobject", "params": {"recordId": account}}
    assert body["matches"] == [
        {
            "type": "Account",
            "id": account,
            "name": "Acme",
            "phone": "4155551212",
            "mobile_phone": None,
            "account_id": None,
            "contact_id": None,
            "case_number": None,
        }
    ]


async def test_several_contacts_pop_a_search_and_list_them(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    org = await _org(make_client, sf)
    ids = [
        await sf.create_record(org.org_id, "Contact", {"LastName": name, "Phone": phone})
        for name, phone in (("Lee", "(415) 555-1212"), ("Ng", "+1 415 555 1212"))
    ]
    body = await org.pop("+14155551212")
    assert body["status"] == "several"
    assert body["screen_pop"] == {"type": "search", "params": {"searchString": "4155551212"}}
    assert [m["id"] for m in body["matches"]] == ids
    assert await _round_trips(sf) == 1


async def test_nothing_found_is_cached_shorter_and_invalidate_forgets_it(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    clock = FakeClock()
    org = await _org(make_client, sf, clock=clock)
    none = await org.pop("(415) 555-1212")
    assert none["status"] == "none" and none["matches"] == []
    assert none["screen_pop"] == {
        "type": "newRecord",
        "params": {"entityName": "Contact", "defaultFieldValues": {"Phone": "+14155551212"}},
    }
    assert (await org.pop("4155551212"))["cached"] is True
    assert await _round_trips(sf) == 1
    clock.advance(16)  # past the 15 s of a negative entry
    assert (await org.pop("4155551212"))["cached"] is False
    assert await _round_trips(sf) == 1

    contact = await sf.create_record(
        org.org_id, "Contact", {"LastName": "New", "Phone": "+14155551212"}
    )
    assert (await org.pop("4155551212"))["status"] == "none"  # still cached
    forget = await org.sivo.client.delete(
        f"{POP}/cache",
        params={"number": "+1 415 555 1212", "org_id": org.org_id},
        headers=org.sivo.api,
    )
    assert forget.status == 204
    after = await org.pop("4155551212")
    assert after["cached"] is False and after["screen_pop"]["params"] == {"recordId": contact}
    assert await _round_trips(sf) == 1
    clock.advance(59)
    assert (await org.pop("4155551212"))["cached"] is True  # a match is kept 60 s
    clock.advance(2)
    assert (await org.pop("4155551212"))["cached"] is False
    assert await _round_trips(sf) == 1


async def test_what_is_not_a_number_makes_no_request(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    org = await _org(make_client, sf)
    for raw in ("anonymous", "555-1212", "+"):
        body = await org.pop(raw)
        assert body == {
            "number_e164": None,
            "status": "invalid_number",
            "screen_pop": None,
            "matches": [],
            "cached": False,
        }
    assert await _round_trips(sf) == 0


async def test_concurrent_lookups_of_a_number_share_one_request(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    org = await _org(make_client, sf)
    contact = await sf.create_record(
        org.org_id, "Contact", {"LastName": "Lee", "Phone": "4155551212"}
    )
    # Salesforce answers late, so that the second lookup starts while the first waits.
    await sf.control("POST", "faults", {"delayMs": 300, "count": 1, "pathPrefix": "/services/data"})
    both = await asyncio.gather(
        org.pops.lookup(org.sivo.tenant.id, org.org_id, "(415) 555-1212"),
        org.pops.lookup(org.sivo.tenant.id, org.row_id, "+1 415 555 1212"),
    )
    assert [(r.status, r.cached) for r in both] == [("found", False), ("found", False)]
    assert all(
        r.screen_pop is not None and r.screen_pop.params.model_dump() == {"recordId": contact}
        for r in both
    )
    assert await _round_trips(sf) == 1


async def test_salesforce_failing_gives_failed_and_nothing_is_cached(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    org = await _org(make_client, sf)
    await sf.create_record(org.org_id, "Contact", {"LastName": "Lee", "Phone": "4155551212"})
    await sf.control("POST", "faults", {"status": 503, "count": 1, "pathPrefix": "/services/data"})
    down = await org.pop("4155551212")
    assert down["status"] == "failed" and down["number_e164"] == "+14155551212"
    assert down["screen_pop"] == {"type": "search", "params": {"searchString": "4155551212"}}
    assert (await org.pop("4155551212"))["status"] == "found"  # the failure was not cached
    assert await _round_trips(sf) == 2


async def test_slow_salesforce_gives_failed_at_the_timeout_and_its_answer_fills_the_cache(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    org = await _org(make_client, sf)
    contact = await sf.create_record(
        org.org_id, "Contact", {"LastName": "Lee", "Phone": "4155551212"}
    )
    await sf.control(
        "POST", "faults", {"delayMs": 2000, "count": 1, "pathPrefix": "/services/data"}
    )
    slow = await org.pop("4155551212", timeout_ms=200)
    assert slow["status"] == "failed" and slow["cached"] is False
    await org.pops.settled()  # the search went on without the caller
    later = await org.pop("4155551212")
    assert later["cached"] is True and later["screen_pop"]["params"] == {"recordId": contact}
    assert await _round_trips(sf) == 1


async def test_another_tenants_org_is_not_found(make_client: AppFactory, sf: RunningDevorg) -> None:
    org = await _org(make_client, sf)
    other = await new_tenant(org.sivo.client, "Globex")
    for ref in (org.org_id, org.org_id15, org.row_id, "00D000000000000AAA"):
        resp = await org.sivo.client.get(
            POP, params={"number": "4155551212", "org_id": ref}, headers=other.headers
        )
        assert resp.status == 404, ref
        assert (await resp.json())["error"]["code"] == "not_found"
        forget = await org.sivo.client.delete(
            f"{POP}/cache", params={"number": "4155551212", "org_id": ref}, headers=other.headers
        )
        assert forget.status == 404
    assert await _round_trips(sf) == 0


async def test_an_org_that_needs_reconnecting_is_409(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    org = await _org(make_client, sf)
    sf.devorg.sessions.refresh_tokens.clear()  # the admin revoked SIVO in Salesforce
    await sf.control("POST", "clock", {"advanceSeconds": 10 * 24 * 3600})
    body = await org.pop("4155551212", status=409)
    assert body["error"]["code"] == "needs_reconnect"
    again = await org.pop("4155551213", status=409)  # refused without asking Salesforce
    assert again["error"]["code"] == "needs_reconnect"
    assert await _round_trips(sf) == 1


async def test_bad_parameters_are_refused_in_the_one_error_shape(
    make_client: AppFactory, sf: RunningDevorg
) -> None:
    org = await _org(make_client, sf)
    cases: list[tuple[dict[str, str], str]] = [
        ({"org_id": org.org_id}, "number"),
        ({"number": "", "org_id": org.org_id}, "number"),
        ({"number": "415\n555", "org_id": org.org_id}, "number"),
        ({"number": "4" * 65, "org_id": org.org_id}, "number"),
        ({"number": "4155551212"}, "org_id"),
        ({"number": "4155551212", "org_id": org.org_id, "timeout_ms": "10"}, "timeout_ms"),
        ({"number": "4155551212", "org_id": org.org_id, "extra": "1"}, "extra"),
    ]
    for params, field in cases:
        resp = await org.sivo.client.get(POP, params=params, headers=org.sivo.api)
        assert resp.status == 400, params
        error = (await resp.json())["error"]
        assert error["field"] == field, params
    bad = await org.sivo.client.patch(
        f"{POP}/settings", json={"default_region": "ZZ"}, headers=org.sivo.api
    )
    assert bad.status == 422 and (await bad.json())["error"]["field"] == "default_region"
    shown = await org.sivo.client.get(f"{POP}/settings", headers=org.sivo.api)
    assert (await shown.json()) == {"default_region": "US", "prefer_case": False}
    assert await _round_trips(sf) == 0
