"""Screen pops without I/O: numbers normalized, SOSL that no input can break out of, every
branch of the policy, the cache on a fake clock."""

from __future__ import annotations

import pytest

from devorg.sosl import parse_sosl
from server.clock import FakeClock
from server.salesforce.screenpop import PopCache
from server.salesforce.screenpop_policy import (
    SCREENPOP_TYPE,
    Found,
    Number,
    Policy,
    decide,
    failed,
    found_in,
    invalid_number,
    normalize,
    search_for,
)
from server.salesforce.sosl import RESERVED, Returning, escape_term, find
from server.schemas.screenpop import Match

US = Number(e164="+14155551212", national="4155551212")

# -- numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "region", "e164", "national"),
    [
        ("(415) 555-1212", "US", "+14155551212", "4155551212"),
        ("+1 415-555-1212", "US", "+14155551212", "4155551212"),
        ("4155551212", "US", "+14155551212", "4155551212"),
        ("1 (415) 555-1212", "US", "+14155551212", "4155551212"),
        ("415.555.1212", "US", "+14155551212", "4155551212"),
        ("+44 20 7946 0000", "US", "+442079460000", "2079460000"),
        ("020 7946 0000", "GB", "+442079460000", "2079460000"),
        ("+44 (0)20 7946 0000", "DE", "+442079460000", "2079460000"),
        ("+39 06 1234 5678", "US", "+390612345678", "0612345678"),  # Italy keeps its 0
        ("tel:+1-415-555-1212", "US", "+14155551212", "4155551212"),
    ],
)
def test_numbers_are_read_as_e164_in_the_default_region(
    raw: str, region: str, e164: str, national: str
) -> None:
    assert normalize(raw, region) == Number(e164=e164, national=national)


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "anonymous", "Restricted", "555-1212", "12", "+", "+1 415", "x" * 65, "1" * 40],
)
def test_what_is_not_a_whole_number_is_none(raw: str) -> None:
    assert normalize(raw, "US") is None


def test_the_search_terms_are_digits_without_the_plus_and_the_national_number() -> None:
    assert US.terms == ("14155551212", "4155551212")
    assert Number("+4930123456", "30123456").search_string == "30123456"


# -- SOSL -------------------------------------------------------------------------------------

HOSTILE = [
    "} IN ALL FIELDS RETURNING User(Id, Username)",
    'a" OR "b',
    "\\} RETURNING User(Id)",
    "x\\",
    "name OR other",
    "(415) 555-1212",
    "+1 415-555-1212",
    "a&b|c!d{e}f[g]h(i)j^k~l*m:n\\o\"p'q+r-s?t",
    "line\nbreak\ttab",
    "Zoë Ünïcode 名前",
    "AND NOT secret",
]


def _unescaped(text: str) -> list[str]:
    """Reserved characters in a FIND term that no backslash escapes."""
    found, index = [], 0
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text[index] in RESERVED:
            found.append(text[index])
        index += 1
    return found


@pytest.mark.parametrize("text", HOSTILE)
def test_a_term_escapes_every_reserved_character(text: str) -> None:
    term = escape_term(text)
    inner = term[1:-1] if term.startswith('"') and term.endswith('"') and len(term) > 1 else term
    assert _unescaped(inner) == []
    assert "\n" not in term and "\t" not in term


@pytest.mark.parametrize("text", HOSTILE)
def test_no_term_escapes_its_find_clause(text: str) -> None:
    """devorg's SOSL parser as the oracle: one literal term, PHONE scope, SIVO's RETURNING."""
    statement = find([text], scope="PHONE", returning=[Returning("Contact", ("Id", "Name"))])
    parsed = parse_sosl(statement)
    assert parsed.groups == ((" ".join(text.split()),),)
    assert parsed.scope == "PHONE"
    assert [(r.object_name, r.fields) for r in parsed.returning] == [
        ("Contact", (("Id",), ("Name",)))
    ]


@pytest.mark.parametrize("word", ["OR", "and", "Not"])
def test_an_operator_word_is_sent_as_a_phrase(word: str) -> None:
    assert escape_term(word) == f'"{word}"'


def test_terms_are_joined_with_or_and_names_are_checked() -> None:
    assert find(["14155551212", "4155551212"], scope="PHONE") == (
        "FIND {14155551212 OR 4155551212} IN PHONE FIELDS"
    )
    with pytest.raises(ValueError):
        find([])
    with pytest.raises(ValueError):
        escape_term(" \n ")
    with pytest.raises(ValueError):
        Returning("Contact) , User(Id", ("Id",)).render()
    with pytest.raises(ValueError):
        Returning("Contact", ("Id FROM User",)).render()
    with pytest.raises(ValueError):
        Returning("Contact", ("Id",), limit=0).render()


def test_the_screen_pop_search_is_one_statement_with_open_cases() -> None:
    statement = search_for(US)
    assert statement == (
        "FIND {14155551212 OR 4155551212} IN PHONE FIELDS RETURNING "
        "Contact(Id, Name, Phone, MobilePhone, AccountId LIMIT 20), "
        "Account(Id, Name, Phone LIMIT 20), "
        "Case(Id, CaseNumber, Subject, ContactId, AccountId, ContactPhone "
        "WHERE IsClosed = false LIMIT 20)"
    )
    parsed = parse_sosl(statement)
    assert [r.object_name for r in parsed.returning] == ["Contact", "Account", "Case"]


# -- reading the search response --------------------------------------------------------------


def test_search_records_become_matches_and_the_rest_is_dropped() -> None:
    body = {
        "searchRecords": [
            {"attributes": {"type": "Contact"}, "Id": "003A", "Name": "Ada", "Phone": "(415)"},
            {"attributes": {"type": "Account"}, "Id": "001A", "Name": "Acme", "Phone": None},
            {
                "attributes": {"type": "Case"},
                "Id": "500A",
                "CaseNumber": "00001001",
                "Subject": None,
                "ContactId": "003A",
                "ContactPhone": "(415)",
            },
            {"attributes": {"type": "Lead"}, "Id": "00QA", "Name": "Lee"},
            {"attributes": {"type": "Contact"}, "Name": "no id"},
            "not a record",
            {"Id": "no attributes"},
        ]
    }
    found = found_in(body)
    assert [m.id for m in found.all] == ["003A", "001A", "500A"]
    assert found.cases[0].name == "00001001" and found.cases[0].contact_id == "003A"
    assert found.accounts[0].phone is None
    assert found_in(["not", "a", "body"]) == Found()
    assert found_in({"searchRecords": "nope"}) == Found()


# -- the policy -------------------------------------------------------------------------------


def _contact(id: str, account: str | None = None) -> Match:
    return Match(type="Contact", id=id, name=f"C {id}", phone="(415) 555-1212", account_id=account)


def _account(id: str) -> Match:
    return Match(type="Account", id=id, name=f"A {id}", phone="(415) 555-1212")


def _case(id: str, contact: str | None) -> Match:
    return Match(type="Case", id=id, name=f"Case {id}", contact_id=contact, case_number=id)


def _pop(found: Found, prefer_case: bool = False) -> tuple[str, dict[str, object], str]:
    result = decide(US, found, Policy(prefer_case=prefer_case))
    assert result.screen_pop is not None and result.number_e164 == "+14155551212"
    pop = result.screen_pop.model_dump(mode="json")
    return pop["type"], pop["params"], result.status


def test_the_type_is_the_string_the_opencti_constant_holds() -> None:
    assert SCREENPOP_TYPE["SOBJECT"] == "sobject"
    assert SCREENPOP_TYPE["SEARCH"] == "search"
    assert SCREENPOP_TYPE["NEW_RECORD_MODAL"] == "newRecord"


def test_one_contact_pops_the_contact_even_beside_its_account() -> None:
    found = Found(contacts=(_contact("003A", "001A"),), accounts=(_account("001A"),))
    assert _pop(found) == ("sobject", {"recordId": "003A"}, "found")
    assert [m.id for m in decide(US, found, Policy()).matches] == ["003A", "001A"]


def test_prefer_case_pops_the_contacts_only_open_case() -> None:
    found = Found(contacts=(_contact("003A"),), cases=(_case("500A", "003A"),))
    assert _pop(found, prefer_case=True) == ("sobject", {"recordId": "500A"}, "found")
    assert _pop(found, prefer_case=False) == ("sobject", {"recordId": "003A"}, "found")


def test_prefer_case_with_two_open_cases_or_none_of_its_own_pops_the_contact() -> None:
    two = Found(contacts=(_contact("003A"),), cases=(_case("500A", "003A"), _case("500B", "003A")))
    assert _pop(two, prefer_case=True)[1] == {"recordId": "003A"}
    other = Found(contacts=(_contact("003A"),), cases=(_case("500C", "003Z"),))
    assert _pop(other, prefer_case=True)[1] == {"recordId": "003A"}


def test_no_contact_and_one_account_pops_the_account() -> None:
    assert _pop(Found(accounts=(_account("001A"),))) == ("sobject", {"recordId": "001A"}, "found")


def test_a_lone_open_case_pops_the_case() -> None:
    assert _pop(Found(cases=(_case("500A", None),))) == ("sobject", {"recordId": "500A"}, "found")


@pytest.mark.parametrize(
    "found",
    [
        Found(contacts=(_contact("003A"), _contact("003B"))),
        Found(contacts=(_contact("003A"), _contact("003B")), accounts=(_account("001A"),)),
        Found(accounts=(_account("001A"), _account("001B"))),
        Found(cases=(_case("500A", None), _case("500B", None))),
    ],
)
def test_several_matches_pop_a_search_and_list_them_for_a_chooser(found: Found) -> None:
    assert _pop(found) == ("search", {"searchString": "4155551212"}, "several")
    assert decide(US, found, Policy()).matches == found.all


def test_nothing_found_opens_a_new_contact_with_the_phone_filled_in() -> None:
    assert _pop(Found()) == (
        "newRecord",
        {"entityName": "Contact", "defaultFieldValues": {"Phone": "+14155551212"}},
        "none",
    )


def test_an_invalid_number_pops_nothing_and_a_failure_pops_a_search() -> None:
    invalid = invalid_number()
    assert (invalid.status, invalid.screen_pop, invalid.number_e164) == (
        "invalid_number",
        None,
        None,
    )
    down = failed(US)
    assert down.status == "failed" and down.screen_pop is not None
    assert down.screen_pop.model_dump() == {
        "type": "search",
        "params": {"searchString": "4155551212"},
    }


# -- the cache --------------------------------------------------------------------------------


def test_the_cache_expires_found_and_not_found_at_their_own_ttl() -> None:
    clock = FakeClock()
    cache = PopCache(clock=clock, ttl_s=60, negative_ttl_s=15, max_entries=10)
    hit = Found(contacts=(_contact("003A"),))
    cache.put(("sfo_1", "+1"), hit)
    cache.put(("sfo_1", "+2"), Found())
    clock.advance(14.9)
    assert cache.get(("sfo_1", "+1")) == hit and cache.get(("sfo_1", "+2")) == Found()
    clock.advance(0.2)
    assert cache.get(("sfo_1", "+2")) is None and cache.get(("sfo_1", "+1")) == hit
    clock.advance(45)
    assert cache.get(("sfo_1", "+1")) is None and len(cache) == 0


def test_the_cache_is_bounded_least_recently_used_out_first() -> None:
    cache = PopCache(clock=FakeClock(), ttl_s=60, negative_ttl_s=15, max_entries=2)
    cache.put(("o", "+1"), Found())
    cache.put(("o", "+2"), Found())
    assert cache.get(("o", "+1")) is not None  # +2 is now the least recently used
    cache.put(("o", "+3"), Found())
    assert len(cache) == 2 and cache.get(("o", "+2")) is None
    cache.drop(("o", "+1"))
    assert cache.get(("o", "+1")) is None and cache.get(("o", "+3")) is not None
