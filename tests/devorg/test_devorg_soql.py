"""The SOQL parser and evaluator, run directly over an in-memory org."""

from __future__ import annotations

from typing import Any

import pytest

from devorg.settings import Clock
from devorg.soql_eval import execute_soql
from devorg.soql_parser import And, Comparison, InList, Or, SoqlError, parse_soql
from devorg.store import OrgData, Store


@pytest.fixture
def org() -> tuple[Store, OrgData]:
    store = Store(Clock())
    org = store.create_org("Acme", is_sandbox=False)
    user = store.insert(
        org,
        "User",
        {
            "Username": "a@x.test",
            "LastName": "Agent",
            "Email": "a@x.test",
            "IsActive": True,
            "UserType": "Standard",
        },
        user_id=None,
    )
    store.insert(
        org,
        "User",
        {"Username": "b@x.test", "LastName": "Gone", "IsActive": False, "UserType": "Standard"},
        user_id=None,
    )
    account = store.insert(org, "Account", {"Name": "Acme Corp"}, user_id=user["Id"])
    for first, last, phone in (
        ("Jo", "Smith", "(415) 555-1212"),
        ("Sam", "Lee", None),
        ("Al", "Smithers", "415.555.0000"),
    ):
        store.insert(
            org,
            "Contact",
            {"FirstName": first, "LastName": last, "Phone": phone, "AccountId": account["Id"]},
            user_id=user["Id"],
        )
    return store, org


def run(org: tuple[Store, OrgData], text: str) -> dict[str, Any]:
    store, data = org
    return execute_soql(text, store.source(data), "68.0")


def test_parser_builds_where_tree_with_parentheses() -> None:
    query = parse_soql("SELECT Id FROM Contact WHERE (Name = 'a' OR Name = 'b') AND Id IN ('x')")
    assert isinstance(query.where, And)
    assert isinstance(query.where.items[0], Or)
    assert isinstance(query.where.items[1], InList)
    assert query.where.items[0].items[0] == Comparison(
        ("Name",), "=", query.where.items[0].items[0].value
    )


@pytest.mark.parametrize(
    "text",
    [
        "SELECT Id FORM Contact",
        "SELECT Id FROM Contact WHERE Name = 'a' AND Name = 'b' OR Name = 'c'",
        "SELECT Id, FROM Contact",
        "SELECT Id FROM Contact LIMIT x",
        "SELECT Id FROM Contact WHERE Name = 'unterminated",
    ],
)
def test_syntax_errors_are_malformed_query(text: str) -> None:
    with pytest.raises(SoqlError) as raised:
        parse_soql(text)
    assert raised.value.error_code == "MALFORMED_QUERY"
    assert "unexpected token" in raised.value.message


def test_select_with_relationship_order_and_limit(org: tuple[Store, OrgData]) -> None:
    result = run(
        org,
        "SELECT Id, Name, Account.Name FROM Contact WHERE Phone != null ORDER BY Name DESC LIMIT 1",
    )
    assert result["totalSize"] == 1 and result["done"] is True
    record = result["records"][0]
    assert record["Name"] == "Jo Smith"
    assert record["Account"]["Name"] == "Acme Corp"
    assert record["Account"]["attributes"]["type"] == "Account"
    assert record["attributes"]["url"] == f"/services/data/v68.0/sobjects/Contact/{record['Id']}"


def test_like_is_case_insensitive_and_in_matches_lists(org: tuple[Store, OrgData]) -> None:
    like = run(org, "SELECT Name FROM Contact WHERE LastName LIKE 'smith%' ORDER BY Name")
    assert [r["Name"] for r in like["records"]] == ["Al Smithers", "Jo Smith"]
    listed = run(org, "SELECT Name FROM Contact WHERE FirstName NOT IN ('Jo', 'Al')")
    assert [r["Name"] for r in listed["records"]] == ["Sam Lee"]


def test_user_import_query_filters_active_standard_users(org: tuple[Store, OrgData]) -> None:
    result = run(
        org, "SELECT Id, Email, Name FROM User WHERE IsActive = true AND UserType = 'Standard'"
    )
    assert [r["Email"] for r in result["records"]] == ["a@x.test"]


def test_id_filters_accept_15_and_18_character_ids(org: tuple[Store, OrgData]) -> None:
    store, data = org
    org_id = data.org_id
    for literal in (org_id, org_id[:15]):
        result = run(org, f"SELECT Id, IsSandbox FROM Organization WHERE Id = '{literal}'")
        assert result["records"][0]["Id"] == org_id


def test_count_and_offset(org: tuple[Store, OrgData]) -> None:
    assert run(org, "SELECT COUNT() FROM Contact")["totalSize"] == 3
    assert run(org, "SELECT Id FROM Contact ORDER BY Name LIMIT 5 OFFSET 2")["totalSize"] == 1


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("SELECT Foo FROM Contact", "INVALID_FIELD"),
        ("SELECT Nope.Name FROM Contact", "INVALID_FIELD"),
        ("SELECT Id FROM Widget__c", "INVALID_TYPE"),
        ("SELECT Id FROM User WHERE IsActive = 'true'", "INVALID_QUERY_FILTER_OPERATOR"),
        ("SELECT Id FROM Contact WHERE Id = 'abc'", "INVALID_QUERY_FILTER_OPERATOR"),
        (
            "SELECT Id FROM Contact WHERE CreatedDate > '2020-01-01'",
            "INVALID_QUERY_FILTER_OPERATOR",
        ),
    ],
)
def test_semantic_errors_carry_salesforce_codes(
    org: tuple[Store, OrgData], text: str, code: str
) -> None:
    with pytest.raises(SoqlError) as raised:
        run(org, text)
    assert raised.value.error_code == code


def test_datetime_literals_compare_against_created_date(org: tuple[Store, OrgData]) -> None:
    assert (
        run(org, "SELECT Id FROM Contact WHERE CreatedDate > 2000-01-01T00:00:00Z")["totalSize"]
        == 3
    )
    assert (
        run(org, "SELECT Id FROM Contact WHERE CreatedDate < 2000-01-01T00:00:00Z")["totalSize"]
        == 0
    )


def test_order_by_created_date_desc_breaks_ties_by_newest(org: tuple[Store, OrgData]) -> None:
    """Records created in the same millisecond still come back newest first."""
    result = run(org, "SELECT Name FROM Contact ORDER BY CreatedDate DESC LIMIT 1")
    assert result["records"][0]["Name"] == "Al Smithers"
