"""What to pop for a caller's number: the number normalized, the search, and the decision.

Pure: no I/O. ``normalize`` reads a number as a person or a carrier writes it, in the
tenant's default region, with ``phonenumbers`` (Google's libphonenumber). ``search_for``
is the one SOSL statement that finds the caller's Contacts, Accounts and open Cases.
``decide`` turns what it found and the tenant's policy into exactly the argument
``sforce.opencti.screenPop`` takes (Open CTI guide, ``screenPop()`` for Lightning
Experience; reference §7.4), plus the matches for a chooser:

=============================================  ============================================
found                                          screenPop argument (``status``)
=============================================  ============================================
one Contact                                    ``{"type": "sobject", "params": {"recordId":
                                               Contact}}`` (found); with ``prefer_case``
                                               and exactly one open Case of that Contact,
                                               the Case instead
no Contact, one Account                        ``sobject`` with the Account (found)
no Contact or Account, one open Case           ``sobject`` with the Case (found)
two or more Contacts; no Contact and two or    ``{"type": "search", "params":
more Accounts (or Cases)                       {"searchString": national number}}`` (several)
nothing                                        ``{"type": "newRecord", "params":
                                               {"entityName": "Contact", "defaultFieldValues":
                                               {"Phone": E.164}}}`` (none)
the number is not one                          no pop (invalid_number)
Salesforce failed or was too slow              ``search`` pop, as for several (failed)
=============================================  ============================================

``type`` is the value the constant holds, not its name: Open CTI defines
``SCREENPOP_TYPE = {SOBJECT: "sobject", URL: "url", OBJECTHOME: "objecthome", LIST: "list",
SEARCH: "search", NEW_RECORD_MODAL: "newRecord", FLOW: "flow"}``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, ValidationResult
from pydantic import JsonValue

from server.schemas.screenpop import (
    Match,
    NewRecordParams,
    NewRecordPop,
    PopStatus,
    ScreenPop,
    ScreenPopResult,
    SearchParams,
    SearchPop,
    SObjectParams,
    SObjectPop,
)

from .sosl import Returning, find, records_of

__all__ = [
    "SCREENPOP_TYPE",
    "Found",
    "Number",
    "Policy",
    "decide",
    "failed",
    "found_in",
    "invalid_number",
    "normalize",
    "search_for",
]

# sforce.opencti.SCREENPOP_TYPE: constant name -> the string it holds.
SCREENPOP_TYPE = {
    "SOBJECT": "sobject",
    "URL": "url",
    "OBJECTHOME": "objecthome",
    "LIST": "list",
    "SEARCH": "search",
    "NEW_RECORD_MODAL": "newRecord",
    "FLOW": "flow",
}
MAX_PER_OBJECT = 20  # matches of each kind shown in a chooser
MIN_SEARCH_STRING = 3  # SEARCH "must be at least 3 characters" (reference §7.4)
MAX_INPUT = 64


@dataclass(frozen=True)
class Number:
    """A caller's number: ``e164`` (``+14155551212``) and its national significant number
    (``4155551212``: without country code or trunk prefix)."""

    e164: str
    national: str

    @property
    def terms(self) -> tuple[str, ...]:
        """The FIND terms: digits without the ``+`` (reference §6), and the national number,
        which also finds records kept in national form (``020 7946 0000``)."""
        return tuple(dict.fromkeys((self.e164[1:], self.national)))

    @property
    def search_string(self) -> str:
        return self.national if len(self.national) >= MIN_SEARCH_STRING else self.e164[1:]


@dataclass(frozen=True)
class Policy:
    """A tenant's choices: ``prefer_case`` (default off) pops a Contact's single open Case."""

    prefer_case: bool = False


@dataclass(frozen=True)
class Found:
    """What the search found, in Salesforce's order, at most ``MAX_PER_OBJECT`` of each."""

    contacts: tuple[Match, ...] = ()
    accounts: tuple[Match, ...] = ()
    cases: tuple[Match, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.contacts or self.accounts or self.cases)

    @property
    def all(self) -> list[Match]:
        return [*self.contacts, *self.accounts, *self.cases]


def normalize(raw: str, region: str = "US") -> Number | None:
    """``raw`` as E.164, read in ``region`` unless it carries a country code; ``None`` when it
    is not a complete number (``anonymous``, a 7-digit local number, too short or long)."""
    text = raw.strip()
    if not text or len(text) > MAX_INPUT:
        return None
    try:
        parsed = phonenumbers.parse(text, region)
    except NumberParseException:
        return None
    # IS_POSSIBLE_LOCAL_ONLY (555-1212 without an area code) is not a number one can search.
    if phonenumbers.is_possible_number_with_reason(parsed) != ValidationResult.IS_POSSIBLE:
        return None
    e164 = phonenumbers.format_number(parsed, PhoneNumberFormat.E164)
    return Number(e164=e164, national=phonenumbers.national_significant_number(parsed))


def search_for(number: Number) -> str:
    """The one SOSL statement: Contacts, Accounts and open Cases with a phone field that
    holds the number (a Case's ``ContactPhone``/``ContactMobile`` are phone fields)."""
    return find(
        number.terms,
        scope="PHONE",
        returning=(
            Returning(
                "Contact", ("Id", "Name", "Phone", "MobilePhone", "AccountId"), limit=MAX_PER_OBJECT
            ),
            Returning("Account", ("Id", "Name", "Phone"), limit=MAX_PER_OBJECT),
            Returning(
                "Case",
                ("Id", "CaseNumber", "Subject", "ContactId", "AccountId", "ContactPhone"),
                where="IsClosed = false",
                limit=MAX_PER_OBJECT,
            ),
        ),
    )


def _text(record: dict[str, JsonValue], name: str) -> str | None:
    value = record.get(name)
    return value if isinstance(value, str) and value else None


def _match(type_name: str, record: dict[str, JsonValue]) -> Match:
    if type_name == "Case":
        number = _text(record, "CaseNumber")
        return Match(
            type="Case",
            id=str(record["Id"]),
            name=_text(record, "Subject") or number or "",
            phone=_text(record, "ContactPhone"),
            contact_id=_text(record, "ContactId"),
            account_id=_text(record, "AccountId"),
            case_number=number,
        )
    return Match(
        type="Contact" if type_name == "Contact" else "Account",
        id=str(record["Id"]),
        name=_text(record, "Name") or "",
        phone=_text(record, "Phone"),
        mobile_phone=_text(record, "MobilePhone"),
        account_id=_text(record, "AccountId"),
    )


def found_in(body: object) -> Found:
    """The matches in a search response; records of other types are ignored."""
    kinds: dict[str, list[Match]] = {"Contact": [], "Account": [], "Case": []}
    for type_name, record in records_of(body):
        if type_name in kinds and len(kinds[type_name]) < MAX_PER_OBJECT:
            kinds[type_name].append(_match(type_name, record))
    return Found(tuple(kinds["Contact"]), tuple(kinds["Account"]), tuple(kinds["Case"]))


def _record(match: Match) -> SObjectPop:
    return SObjectPop(type="sobject", params=SObjectParams(recordId=match.id))


def _search(number: Number) -> SearchPop:
    return SearchPop(type="search", params=SearchParams(searchString=number.search_string))


def _result(
    number: Number, status: PopStatus, pop: ScreenPop | None, matches: Iterable[Match] = ()
) -> ScreenPopResult:
    return ScreenPopResult(
        number_e164=number.e164, status=status, screen_pop=pop, matches=list(matches)
    )


def decide(number: Number, found: Found, policy: Policy) -> ScreenPopResult:
    """The pop for what the search found (the table in the module docstring)."""
    if len(found.contacts) == 1:
        contact = found.contacts[0]
        own = [case for case in found.cases if case.contact_id == contact.id]
        target = own[0] if policy.prefer_case and len(own) == 1 else contact
        return _result(number, "found", _record(target), found.all)
    if not found.contacts and len(found.accounts) == 1:
        return _result(number, "found", _record(found.accounts[0]), found.all)
    if not found.contacts and not found.accounts and len(found.cases) == 1:
        return _result(number, "found", _record(found.cases[0]), found.all)
    if found.empty:
        modal = NewRecordPop(
            type="newRecord",
            params=NewRecordParams(entityName="Contact", defaultFieldValues={"Phone": number.e164}),
        )
        return _result(number, "none", modal)
    return _result(number, "several", _search(number), found.all)


def invalid_number() -> ScreenPopResult:
    return ScreenPopResult(number_e164=None, status="invalid_number", screen_pop=None, matches=[])


def failed(number: Number) -> ScreenPopResult:
    """Salesforce did not answer in time (or failed): let the console search for itself."""
    return _result(number, "failed", _search(number))
