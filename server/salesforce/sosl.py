"""SOSL statements, built from parts that cannot break out of them, and their results read.

Pure: no I/O. What the SOQL and SOSL Reference says (reference §6):

- ``FIND {term}``: the characters ``? & | ! { } [ ] ( ) ^ ~ * : \\ " ' + -`` are reserved
  and must be backslash-escaped ("FIND clause"); ``AND``, ``OR`` and ``AND NOT`` between
  words are operators, and double quotes make a phrase of what they enclose.
- ``IN PHONE FIELDS`` searches phone fields only ("IN SearchGroup").
- ``RETURNING Object(field, ... [WHERE ...] [LIMIT n])``; a search returns at most 2,000
  records.

So a term is escaped character by character, and a term holding a blank or an operator word
is sent as a phrase: whatever a caller puts in a term, it stays one literal term. Object and
field names are identifiers, checked; a ``WHERE`` condition is SIVO's own text, never input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import JsonValue

__all__ = [
    "MAX_RESULTS",
    "RESERVED",
    "Returning",
    "escape_term",
    "find",
    "records_of",
]

RESERVED = frozenset("?&|!{}[]()^~*:\\\"'+-")
MAX_RESULTS = 2000  # "SOSL returns at most 2,000 records"
_OPERATORS = frozenset({"AND", "OR", "NOT"})
_IDENTIFIER = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,79}")
_BLANKS = re.compile(r"\s+")

Scope = Literal["ALL", "NAME", "EMAIL", "PHONE"]


def _identifier(name: str) -> str:
    if not _IDENTIFIER.fullmatch(name):
        raise ValueError(f"not an sObject or field name: {name!r}")
    return name


def escape_term(text: str) -> str:
    """One literal search term for ``FIND {...}``.

    Every reserved character gets a backslash; blanks (tabs, line breaks) become single
    spaces; a term with a space in it, or one that is an operator word, is quoted as a phrase
    (its own double quotes are escaped, so they cannot end the phrase).

    Raises:
        ValueError: the term is empty once blanks are collapsed.
    """
    words = _BLANKS.sub(" ", text).strip()
    if not words:
        raise ValueError("a search term must not be empty")
    escaped = "".join(f"\\{char}" if char in RESERVED else char for char in words)
    if " " in words or words.upper() in _OPERATORS:
        return f'"{escaped}"'
    return escaped


@dataclass(frozen=True)
class Returning:
    """One ``RETURNING`` item. ``where`` is SIVO's own condition text, never a caller's."""

    object_name: str
    fields: tuple[str, ...]
    where: str | None = None
    limit: int | None = None

    def render(self) -> str:
        fields = ", ".join(_identifier(f) for f in self.fields)
        clause = f"{_identifier(self.object_name)}({fields}"
        if self.where:
            clause += f" WHERE {self.where}"
        if self.limit is not None:
            if not 1 <= self.limit <= MAX_RESULTS:
                raise ValueError(f"LIMIT must be 1-{MAX_RESULTS}")
            clause += f" LIMIT {self.limit}"
        return clause + ")"


def find(terms: Sequence[str], *, scope: Scope = "ALL", returning: Sequence[Returning] = ()) -> str:
    """``FIND {t1 OR t2 …} IN <scope> FIELDS RETURNING …``: any of the terms matches.

    Raises:
        ValueError: no terms, an empty term, or a bad identifier in ``returning``.
    """
    if not terms:
        raise ValueError("a search needs at least one term")
    text = " OR ".join(escape_term(term) for term in dict.fromkeys(terms))
    statement = f"FIND {{{text}}} IN {scope} FIELDS"
    if returning:
        statement += " RETURNING " + ", ".join(item.render() for item in returning)
    return statement


def records_of(body: object) -> Iterable[tuple[str, dict[str, JsonValue]]]:
    """``(sObject type, fields)`` of each record of a search response.

    The REST search answers ``{"searchRecords": [{"attributes": {"type", "url"}, "Id", …}]}``
    ("Search", REST API Developer Guide); what is not of that shape is skipped.
    """
    if not isinstance(body, dict):
        return
    records = body.get("searchRecords")
    if not isinstance(records, list):
        return
    for record in records:
        if not isinstance(record, dict):
            continue
        attributes = record.get("attributes")
        type_name = attributes.get("type") if isinstance(attributes, dict) else None
        if isinstance(type_name, str) and isinstance(record.get("Id"), str):
            yield type_name, record
