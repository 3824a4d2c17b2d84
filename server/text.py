"""What a stored string may hold: no NUL or other control characters, no lone surrogates.

JSON can carry both (``"\\u0000"``, ``"\\ud800"``); the first ends up as junk in names,
logs and CSV exports, the second cannot be encoded as UTF-8 and fails deep in the database
driver. Checked once, at the edge, so that bad input is a 422 that stores nothing.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_NEWLINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def encodable(value: str) -> bool:
    """UTF-8 can hold it (no unpaired surrogate)."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def single_line(value: str) -> bool:
    """A name, an email, a URL: no control characters at all."""
    return encodable(value) and _CONTROL.search(value) is None


def free_text(value: str) -> bool:
    """A description: line breaks and tabs allowed, other control characters not."""
    return encodable(value) and _CONTROL_BUT_NEWLINES.search(value) is None
