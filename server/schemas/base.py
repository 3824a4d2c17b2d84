"""The building blocks of the API's typed models: three base classes and the string types.

- ``Body``: a JSON request body. Strict (``"5"`` is not a number, ``1`` is not ``true``),
  unknown fields refused, frozen. The body reached the model through ``read_json_object``, so
  its size, depth, integer length and Unicode are already bounded.
- ``Query``: a query string. Lax, because every value arrives as text.
- ``View``: a response. Built by the services from stored rows, rendered by the contract.

The string types carry their rule twice, on purpose: once as a validator (what SIVO
enforces) and once as JSON Schema (what integrators and the fuzzer read); patterns are
anchored, because JSON Schema's ``pattern`` matches anywhere.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    GetJsonSchemaHandler,
    PlainValidator,
    StringConstraints,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

from server.text import free_text, single_line

# Matched with fullmatch: "$" would also accept a trailing newline.
E164 = re.compile(r"\+[1-9][0-9]{7,14}")
EXTENSION = re.compile(r"[0-9]{2,8}")
REASON = re.compile(r"[a-z0-9][a-z0-9_ -]{0,63}")

# JSON Schema forms of the same rules (ECMA-262 regexes, anchored).
_NO_CONTROL = r"^[^\u0000-\u001f\u007f-\u009f]*$"
_SOME_TEXT = (  # one line, not only blanks
    r"^[^\u0000-\u001f\u007f-\u009f]*[^\s\u0000-\u001f\u007f-\u009f][^\u0000-\u001f\u007f-\u009f]*$"
)
_NO_CONTROL_BUT_NEWLINES = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]*$"


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Query(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Patch(Body):
    """An update: only the fields the client sent change.

    Fields are declared ``X | None = None`` so that "left out" has a value; ``null`` itself is
    refused except for the fields in ``NULLABLE``, where it means "none", and the JSON Schema
    shows ``null`` only there.
    """

    NULLABLE: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _null_only_where_meant(cls, value: object, info: ValidationInfo) -> object:
        if value is None and info.field_name not in cls.NULLABLE:
            raise PydanticCustomError("invalid", "cannot be null; leave the field out instead")
        return value

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler.resolve_ref_schema(handler(core_schema))
        for name, prop in schema.get("properties", {}).items():
            options = prop.get("anyOf")
            if name not in cls.NULLABLE and options and {"type": "null"} in options:
                rest = [o for o in options if o != {"type": "null"}]
                del prop["anyOf"]
                prop.pop("default", None)
                prop.update(rest[0] if len(rest) == 1 else {"anyOf": rest})
        return schema

    def changes(self) -> dict[str, object]:
        """The fields the client sent, with their values."""
        return {name: getattr(self, name) for name in sorted(self.model_fields_set)}


class View(BaseModel):
    model_config = ConfigDict(frozen=True)


def single_line_text(value: str) -> str:
    if not single_line(value):
        raise PydanticCustomError("invalid", "must not contain control characters")
    return value


def _free_text(value: str) -> str:
    if not free_text(value):
        raise PydanticCustomError("invalid", "must not contain control characters")
    return value


def _full(pattern: re.Pattern[str], message: str) -> AfterValidator:
    def check(value: str) -> str:
        if not pattern.fullmatch(value):
            raise PydanticCustomError("invalid", message)
        return value

    return AfterValidator(check)


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(single_line_text),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 200, "pattern": _SOME_TEXT}),
]
"""A display name: 1-200 characters once trimmed, one line."""

Label = Annotated[
    str,
    StringConstraints(max_length=200),
    AfterValidator(single_line_text),
    WithJsonSchema({"type": "string", "maxLength": 200, "pattern": _NO_CONTROL}),
]
"""An optional label (an API key's name): at most 200 characters, one line, may be empty."""

Description = Annotated[
    str,
    StringConstraints(max_length=500),
    AfterValidator(_free_text),
    WithJsonSchema({"type": "string", "maxLength": 500, "pattern": _NO_CONTROL_BUT_NEWLINES}),
]
"""Free text: at most 500 characters; line breaks and tabs allowed."""


# A local part without "@" or spaces, then a host name: labels of letters and digits (any
# script), hyphens inside, separated by dots. Not RFC 5322's every corner, but every address
# a mail server routes (and what Salesforce's user emails are).
_EMAIL_PATTERN = r"^[^@\s]+@[^\W_](?:[\w-]*[^\W_])?(?:\.[^\W_](?:[\w-]*[^\W_])?)*$"
_EMAIL = re.compile(_EMAIL_PATTERN)


def _email(value: str) -> str:
    value = value.strip().lower()
    if not single_line(value) or not _EMAIL.fullmatch(value):
        raise PydanticCustomError("invalid", "must be an email address")
    return value


Email = Annotated[
    str,
    StringConstraints(max_length=320),
    AfterValidator(_email),
    WithJsonSchema(
        {"type": "string", "format": "email", "maxLength": 320, "pattern": _EMAIL_PATTERN}
    ),
]

E164Number = Annotated[
    str,
    _full(E164, "must be E.164, e.g. +18005550100"),
    WithJsonSchema(
        {"type": "string", "pattern": r"^\+[1-9][0-9]{7,14}$", "example": "+18005550100"}
    ),
]

Extension = Annotated[
    str,
    _full(EXTENSION, "must be 2-8 digits"),
    WithJsonSchema({"type": "string", "pattern": r"^[0-9]{2,8}$", "example": "101"}),
]

Reason = Annotated[
    str,
    _full(REASON, "must be a short lower-case word (a-z, 0-9, space, _ or -; at most 64)"),
    WithJsonSchema(
        {"type": "string", "pattern": r"^[a-z0-9][a-z0-9_ -]{0,63}$", "example": "lunch"}
    ),
]

Id = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64),
    AfterValidator(single_line_text),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 64, "pattern": _NO_CONTROL}),
]
"""An id SIVO issued (``ag_…``, ``q_…``); one that does not exist is a 404 or a 422."""

Timestamp = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
"""An RFC 3339 time in UTC with milliseconds, as every response renders it."""


def _rfc3339(value: object) -> datetime:
    # pydantic's own datetime parsing also takes numbers (and numeric strings) as Unix times;
    # the contract says RFC 3339, so that is all that is taken.
    if isinstance(value, str) and "T" in value.upper():
        try:
            parsed = datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            if parsed.tzinfo is not None:
                return parsed
    raise PydanticCustomError("invalid", "must be an RFC 3339 time, e.g. 2026-12-01T09:00:00Z")


TimeFilter = Annotated[
    datetime,
    PlainValidator(_rfc3339),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
"""A time a client sends: RFC 3339 with a time zone (``Z`` or an offset)."""
"""An RFC 3339 time in UTC with milliseconds, as every response renders it."""
