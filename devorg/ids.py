"""Salesforce record ids: 15-character case-sensitive ids and their 18-character form.

A Salesforce id is a 3-character key prefix naming the object (``003`` Contact, ``00D``
Organization...), a 2-character pod identifier, one reserved character and a 9-character
base-62 counter. The 18-character form appends a 3-character checksum that encodes which of
the 15 characters are upper case, so that the id survives case-insensitive systems
(Object Reference, "ID Field Type"; the algorithm is the one behind Apex ``Id.to18()``).
"""

from __future__ import annotations

import re
import string

__all__ = ["IdGenerator", "is_salesforce_id", "same_id", "to15", "to18"]

_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_CHECKSUM_ALPHABET = string.ascii_uppercase + "012345"
_ID_PATTERN = re.compile(r"^[a-zA-Z0-9]{15}(?:[A-Z0-5]{3})?$")
# Pod identifier used for every id devorg mints; real orgs use their instance's.
_POD = "5g"


def _checksum(id15: str) -> str:
    suffix = []
    for chunk_start in range(0, 15, 5):
        bits = 0
        for position, char in enumerate(id15[chunk_start : chunk_start + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << position
        suffix.append(_CHECKSUM_ALPHABET[bits])
    return "".join(suffix)


def to18(record_id: str) -> str:
    """Return the 18-character form of a 15- or 18-character id.

    Raises:
        ValueError: if ``record_id`` does not look like a Salesforce id.
    """
    if not is_salesforce_id(record_id):
        raise ValueError(f"not a Salesforce id: {record_id!r}")
    id15 = record_id[:15]
    return id15 + _checksum(id15)


def to15(record_id: str) -> str:
    """Return the case-sensitive 15-character form of a 15- or 18-character id."""
    if not is_salesforce_id(record_id):
        raise ValueError(f"not a Salesforce id: {record_id!r}")
    return record_id[:15]


def is_salesforce_id(value: str) -> bool:
    """True if ``value`` is a 15-character id or an 18-character id with a valid checksum."""
    if not _ID_PATTERN.match(value):
        return False
    return len(value) == 15 or value[15:] == _checksum(value[:15])


def same_id(left: str, right: str) -> bool:
    """Compare two ids the way Salesforce does: 15 and 18-character forms are equal."""
    if not (is_salesforce_id(left) and is_salesforce_id(right)):
        return left == right
    return left[:15] == right[:15]


def _base62(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, remainder = divmod(number, 62)
        digits.append(_BASE62[remainder])
    if number:
        raise OverflowError("id counter exhausted")
    return "".join(reversed(digits))


class IdGenerator:
    """Mints 18-character ids from one counter shared by every org of a devorg instance.

    One shared counter keeps ids unique across orgs and makes them increase with creation
    order, as Salesforce ids roughly do.
    """

    def __init__(self, next_counter: int = 1) -> None:
        self.next_counter = next_counter

    def new_id(self, key_prefix: str) -> str:
        if len(key_prefix) != 3:
            raise ValueError(f"key prefix must be 3 characters: {key_prefix!r}")
        id15 = key_prefix + _POD + "0" + _base62(self.next_counter, 9)
        self.next_counter += 1
        return id15 + _checksum(id15)
