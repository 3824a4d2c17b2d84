"""A tiny strict validator for signaling payloads (no dependency; pure).

A schema maps field names to :class:`Field` rules. ``parse`` refuses unknown fields,
missing required fields, wrong types and out-of-range values, naming the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class SchemaError(ValueError):
    def __init__(self, message: str, field: str | None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True, slots=True)
class Field:
    kind: type  # str, bool, int, or dict (an object checked against ``fields``)
    required: bool = True
    nullable: bool = False
    max_len: int = 0  # str: 0 = no limit (never used for client input)
    pattern: re.Pattern[str] | None = None
    choices: tuple[str, ...] = ()
    low: int = 0
    high: int = 0
    hint: str = ""
    fields: Mapping[str, Field] | None = None


def text(
    max_len: int,
    *,
    pattern: str | None = None,
    required: bool = True,
    nullable: bool = False,
    hint: str = "",
) -> Field:
    return Field(
        str, required, nullable, max_len, re.compile(pattern) if pattern else None, hint=hint
    )


def choice(*values: str, required: bool = True) -> Field:
    return Field(str, required, choices=values)


def boolean() -> Field:
    return Field(bool)


def integer(low: int, high: int, *, required: bool = True, nullable: bool = False) -> Field:
    return Field(int, required, nullable, low=low, high=high)


def nested(fields: Mapping[str, Field], *, required: bool = True, nullable: bool = False) -> Field:
    """An object inside the payload, checked against its own schema (field ``a.b``)."""
    return Field(dict, required, nullable, fields=fields)


Schema = Mapping[str, Field]


def parse(schema: Schema, payload: object) -> dict[str, Any]:
    if not isinstance(payload, dict):
        raise SchemaError("the payload must be one JSON object", None)
    for name in payload:
        if name not in schema:
            raise SchemaError(f"unknown field {str(name)[:40]!r}", str(name)[:40])
    out: dict[str, Any] = {}
    for name, rule in schema.items():
        if name not in payload:
            if rule.required:
                raise SchemaError(f"{name} is required", name)
            out[name] = None
            continue
        out[name] = _check(name, rule, payload[name])
    return out


def _check(name: str, rule: Field, value: object) -> object:
    if value is None:
        if rule.nullable:
            return None
        raise SchemaError(f"{name} must not be null", name)
    if rule.kind is bool:
        if not isinstance(value, bool):
            raise SchemaError(f"{name} must be a boolean", name)
        return value
    if rule.kind is dict and rule.fields is not None:
        try:
            return parse(rule.fields, value)
        except SchemaError as exc:
            inner = f"{name}.{exc.field}" if exc.field else name
            message = exc.message if exc.field else f"{name} must be one JSON object"
            raise SchemaError(message, inner) from exc
    if rule.kind is int:
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not rule.low <= value <= rule.high
        ):
            raise SchemaError(f"{name} must be a whole number from {rule.low} to {rule.high}", name)
        return value
    if not isinstance(value, str):
        raise SchemaError(f"{name} must be a string", name)
    if rule.choices:
        if value not in rule.choices:
            raise SchemaError(f"{name} must be one of {', '.join(rule.choices)}", name)
        return value
    if len(value) > rule.max_len:
        raise SchemaError(f"{name} is longer than {rule.max_len} characters", name)
    if rule.pattern is not None and not rule.pattern.fullmatch(value):
        raise SchemaError(f"{name} must be {rule.hint or 'well-formed'}", name)
    return value
