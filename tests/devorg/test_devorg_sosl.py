"""SOSL parsing and phone matching."""

from __future__ import annotations

import pytest

from devorg.settings import Clock
from devorg.soql_parser import SoqlError
from devorg.sosl import parse_sosl, run_search
from devorg.store import OrgData, Store


@pytest.fixture
def org() -> tuple[Store, OrgData]:
    store = Store(Clock())
    org = store.create_org("Acme", is_sandbox=False)
    account = store.insert(
        org, "Account", {"Name": "Acme", "Phone": "+1 (415) 555-0100"}, user_id=None
    )
    store.insert(
        org,
        "Contact",
        {"LastName": "Smith", "Phone": "(415) 555-1212", "AccountId": account["Id"]},
        user_id=None,
    )
    store.insert(org, "Contact", {"LastName": "Lee", "MobilePhone": "415.555.1212"}, user_id=None)
    store.insert(org, "Contact", {"LastName": "Other", "Phone": "(212) 555-1213"}, user_id=None)
    store.insert(org, "Case", {"Subject": "Call me", "SuppliedPhone": "4155551212"}, user_id=None)
    return store, org


def names(org: tuple[Store, OrgData], text: str) -> list[str]:
    store, data = org
    found = run_search(parse_sosl(text), store.source(data), "68.0")["searchRecords"]
    return [str(r.get("Name") or r.get("Subject") or r["Id"]) for r in found]


def test_escaped_e164_finds_formatted_phone_numbers(org: tuple[Store, OrgData]) -> None:
    """+14155551212 finds (415) 555-1212 and 415.555.1212, not another number."""
    found = names(org, r"FIND {\+14155551212} IN PHONE FIELDS RETURNING Contact(Id, Name)")
    assert sorted(found) == ["Lee", "Smith"]


def test_digits_only_term_matches_too(org: tuple[Store, OrgData]) -> None:
    found = names(org, "FIND {4155550100} IN PHONE FIELDS RETURNING Account(Name), Contact(Name)")
    assert found == ["Acme"]


def test_unescaped_plus_is_malformed_search() -> None:
    with pytest.raises(SoqlError) as raised:
        parse_sosl("FIND {+14155551212} IN PHONE FIELDS RETURNING Contact(Id)")
    assert raised.value.error_code == "MALFORMED_SEARCH"


def test_supplied_phone_is_a_string_field_not_searched_as_phone(
    org: tuple[Store, OrgData],
) -> None:
    assert names(org, "FIND {4155551212} IN PHONE FIELDS RETURNING Case(Subject)") == []


def test_returning_where_and_limit_apply_per_object(org: tuple[Store, OrgData]) -> None:
    text = (
        r"FIND {\+14155551212} IN PHONE FIELDS RETURNING "
        "Contact(Name WHERE LastName = 'Lee'), Account(Name LIMIT 0)"
    )
    assert names(org, text) == ["Lee"]


def test_all_fields_text_search_and_wildcard(org: tuple[Store, OrgData]) -> None:
    assert names(org, "FIND {smi*} RETURNING Contact(Name)") == ["Smith"]


@pytest.mark.parametrize(
    "text", ["SEEK {x}", "FIND {ab", "FIND {ab} IN NOWHERE FIELDS", "FIND {a}"]
)
def test_malformed_searches(text: str) -> None:
    with pytest.raises(SoqlError):
        parse_sosl(text)
