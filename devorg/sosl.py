"""SOSL search and parameterized search over an org's records.

Syntax (SOQL and SOSL Reference, "SOSL Syntax"):

    FIND {term} [IN ALL|NAME|EMAIL|PHONE FIELDS]
         [RETURNING Object[(field, ... [WHERE ...] [ORDER BY ...] [LIMIT n])], ...] [LIMIT n]

Reserved characters ``? & | ! { } [ ] ( ) ^ ~ * : \\ " ' + -`` must be backslash-escaped
inside ``FIND {...}`` ("SOSL FIND clause", reference §6); devorg treats unescaped ``*`` and
``?`` as the documented wildcards, ``"`` as phrase quotes, ``-`` inside a number as a
literal, and refuses the other unescaped ones. Phone matching compares digits only, whatever
formatting the record holds: a Salesforce behaviour the docs leave open (a README guess).
Pure: records come in through soql_eval's RecordSource.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .schema import EMAIL, PHONE, TEXT_TYPES, ObjectDef
from .soql_eval import RecordSource, check_fields, render_record, resolve_object, select_rows
from .soql_parser import Condition, OrderItem, SoqlError, SoqlParser, TokenStream

__all__ = ["ReturningSpec", "SearchRequest", "parse_sosl", "run_search", "words_of"]

SEARCHABLE = ("Account", "Contact", "Case", "Task", "User", "VoiceCall")
MAX_RESULTS = 2000  # "at most 2,000 matches" (SOSL reference)
MIN_PHONE_SUFFIX = 7  # Guess: a phone suffix of 7+ digits matches (local number)
_RESERVED_UNESCAPED = set("&|!{}[]()^~:'+\\")
SCOPES = ("ALL", "NAME", "EMAIL", "PHONE")


@dataclass(frozen=True)
class ReturningSpec:
    object_name: str
    fields: tuple[tuple[str, ...], ...] = (("Id",),)
    where: Condition | None = None
    order_by: tuple[OrderItem, ...] = ()
    limit: int | None = None


@dataclass(frozen=True)
class SearchRequest:
    # OR-groups of words; each group matches if all its words match ("A B OR C").
    groups: tuple[tuple[str, ...], ...]
    scope: str = "ALL"
    returning: tuple[ReturningSpec, ...] = field(default_factory=tuple)
    limit: int | None = None


def _search_error(message: str) -> SoqlError:
    return SoqlError(message, "MALFORMED_SEARCH")


def _split_term(raw: str) -> tuple[tuple[str, ...], ...]:
    """Unescape a FIND term and split it into OR-groups of words (phrases stay whole)."""
    words: list[str] = []
    current: list[str] = []
    in_phrase = False
    index = 0
    while index < len(raw):
        char = raw[index]
        if char == "\\" and index + 1 < len(raw):
            current.append(raw[index + 1])
            index += 2
            continue
        if char == '"':
            in_phrase = not in_phrase
        elif char.isspace() and not in_phrase:
            if current:
                words.append("".join(current))
                current = []
        elif char in _RESERVED_UNESCAPED or (char == "-" and not current):
            raise _search_error(
                f"line 1:{index + 6} no viable alternative at character '{char}': reserved "
                "characters in FIND must be escaped with a backslash"
            )
        else:
            current.append(char)
        index += 1
    if current:
        words.append("".join(current))
    return _group_words(words)


def words_of(text: str) -> tuple[tuple[str, ...], ...]:
    """Words of a parameterizedSearch ``q``: plain text, no escaping needed."""
    return _group_words(text.split())


def _group_words(words: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    groups: list[list[str]] = [[]]
    for word in words:
        if word.upper() == "OR":
            groups.append([])
        elif word.upper() != "AND":
            groups[-1].append(word)
    cleaned = tuple(tuple(g) for g in groups if g)
    if not cleaned or all(len(w.strip("*?")) < 2 for g in cleaned for w in g):
        raise _search_error("search term must be longer than one character")
    return cleaned


def parse_sosl(text: str) -> SearchRequest:
    """Parse a SOSL ``FIND`` statement.

    Raises:
        SoqlError: MALFORMED_SEARCH for syntax errors.
    """
    match = re.match(r"\s*FIND\s*\{", text, re.IGNORECASE)
    if match is None:
        raise _search_error("SOSL must start with FIND {")
    index = match.end()
    while index < len(text) and text[index] != "}":
        index += 2 if text[index] == "\\" else 1
    if index >= len(text):
        raise _search_error("missing closing brace in FIND {...}")
    groups = _split_term(text[match.end() : index])
    tokens = TokenStream(text, start=index + 1)
    parser = SoqlParser(tokens)
    scope = "ALL"
    if tokens.accept_keyword("IN"):
        token = tokens.next()
        if token.text.upper() not in SCOPES:
            tokens.index -= 1
            raise tokens.unexpected()
        scope = token.text.upper()
        tokens.expect_keyword("FIELDS")
    returning: list[ReturningSpec] = []
    if tokens.accept_keyword("RETURNING"):
        returning.append(_parse_returning(parser))
        while tokens.peek().text == ",":
            tokens.next()
            returning.append(_parse_returning(parser))
    limit = parser.parse_integer_clause("LIMIT")
    if tokens.peek().kind != "eof":
        raise tokens.unexpected()
    return SearchRequest(groups, scope, tuple(returning), limit)


def _parse_returning(parser: SoqlParser) -> ReturningSpec:
    tokens = parser.tokens
    name = parser.parse_identifier()
    if tokens.peek().text != "(":
        return ReturningSpec(name)
    tokens.next()
    fields = tuple(parser.parse_field_list())
    where = parser.parse_condition() if tokens.accept_keyword("WHERE") else None
    order_by = parser.parse_order_by() if tokens.at_keyword("ORDER") else ()
    limit = parser.parse_integer_clause("LIMIT")
    tokens.expect_punct(")")
    return ReturningSpec(name, fields, where, order_by, limit)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _phone_matches(word: str, value: str) -> bool:
    wanted = _digits(word)
    stored = _digits(value)
    if not wanted or not stored:
        return False
    if word.endswith("*"):
        return stored.startswith(wanted) or (
            stored.startswith("1") and stored[1:].startswith(wanted)
        )
    if wanted == stored:
        return True
    shorter, longer = sorted((wanted, stored), key=len)
    return len(shorter) >= MIN_PHONE_SUFFIX and longer.endswith(shorter)


def _text_matches(word: str, value: str) -> bool:
    pattern = "".join(r"\w*" if c == "*" else r"\w" if c == "?" else re.escape(c) for c in word)
    return re.search(rf"(?<!\w){pattern}(?!\w)", value, re.IGNORECASE) is not None


def _fields_in_scope(obj: ObjectDef, scope: str) -> list[tuple[str, str]]:
    fields = [(f.name, f.type) for f in obj.fields.values() if f.type in TEXT_TYPES]
    if scope == "PHONE":
        return [(n, t) for n, t in fields if t == PHONE]
    if scope == "EMAIL":
        return [(n, t) for n, t in fields if t == EMAIL]
    if scope == "NAME":
        return [(n, t) for n, t in fields if n in obj.name_fields]
    return [(n, t) for n, t in fields if not n.endswith("Id")]


def _record_matches(record: dict[str, Any], fields: list[tuple[str, str]], word: str) -> bool:
    for name, type_ in fields:
        value = record.get(name)
        if not isinstance(value, str) or not value:
            continue
        if type_ == PHONE and _phone_matches(word, value):
            return True
        if type_ != PHONE and _text_matches(word, value):
            return True
    return False


def run_search(request: SearchRequest, source: RecordSource, api_version: str) -> dict[str, Any]:
    """Run a search; returns the REST ``{"searchRecords": [...]}`` body."""
    specs = request.returning or tuple(ReturningSpec(name) for name in SEARCHABLE)
    found: list[dict[str, Any]] = []
    overall = min(request.limit or MAX_RESULTS, MAX_RESULTS)
    for spec in specs:
        obj = resolve_object(spec.object_name)
        if obj.name not in SEARCHABLE:
            raise SoqlError(f"entity type {obj.name} does not support search", "INVALID_TYPE")
        check_fields(obj, spec.fields)
        fields = _fields_in_scope(obj, request.scope)
        rows = select_rows(obj, source, spec.where, spec.order_by, None, None)
        matched = [
            row
            for row in rows
            if any(all(_record_matches(row, fields, w) for w in group) for group in request.groups)
        ]
        if spec.limit is not None:
            matched = matched[: spec.limit]
        for row in matched:
            if len(found) >= overall:
                break
            found.append(render_record(source, obj, row, spec.fields, api_version))
    return {"searchRecords": found}
