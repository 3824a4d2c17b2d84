"""Evaluate a parsed SOQL query over an org's records and render the REST JSON.

The result shape is the REST API's query response, ``{"totalSize", "done", "records"}``,
each record carrying ``attributes {type, url}`` and relationship fields as nested objects
(REST API Developer Guide, "Execute a SOQL Query"). Filter type rules and error codes follow
the SOQL and SOSL Reference ("Comparison Operators", "Quoted String Escape Sequences").
Pure: records come in through :class:`RecordSource`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from . import ids
from .schema import BOOLEAN, DATE, DATETIME, ID, INT, REFERENCE, TEXT_TYPES, FieldDef, ObjectDef
from .schema import object_def as lookup_object
from .sftime import parse_datetime
from .soql_parser import (
    And,
    Comparison,
    Condition,
    InList,
    Literal,
    Not,
    Or,
    OrderItem,
    Query,
    SoqlError,
    parse_soql,
)

__all__ = [
    "RecordSource",
    "check_fields",
    "execute_soql",
    "render_record",
    "resolve_object",
    "run_query",
    "select_rows",
]

Record = dict[str, Any]


class RecordSource(Protocol):
    def records(self, object_name: str) -> Iterable[Record]: ...

    def get(self, record_id: str) -> tuple[str, Record] | None: ...


def resolve_object(name: str) -> ObjectDef:
    found = lookup_object(name)
    if found is None:
        raise SoqlError(
            f"sObject type '{name}' is not supported. If you are attempting to use a custom "
            "object, be sure to append the '__c' after the entity name. Please reference your "
            "WSDL or the describe call for the appropriate names.",
            "INVALID_TYPE",
        )
    return found


def _resolve_path(obj: ObjectDef, path: Sequence[str]) -> list[FieldDef]:
    """Validate a field path, returning the chain of reference fields then the leaf field."""
    chain: list[FieldDef] = []
    current: ObjectDef | None = obj
    for position, name in enumerate(path):
        last = position == len(path) - 1
        if current is None:
            # Polymorphic relationship (What, Who, RelatedRecord): resolved per record.
            chain.append(FieldDef(name, "string"))
            continue
        found = current.field(name) if last else current.relationship(name)
        if found is None:
            if last:
                raise SoqlError(
                    f"No such column '{name}' on entity '{current.name}'. If you are attempting"
                    " to use a custom field, be sure to append the '__c' after the custom field"
                    " name. Please reference your WSDL or the describe call for the appropriate"
                    " names.",
                    "INVALID_FIELD",
                )
            raise SoqlError(
                f"Didn't understand relationship '{name}' in field path. If you are attempting "
                "to use a custom relationship, be sure to append the '__r' after the custom "
                "relationship name. Please reference your WSDL or the describe call for the "
                "appropriate names.",
                "INVALID_FIELD",
            )
        chain.append(found)
        if not last:
            current = lookup_object(found.reference_to) if found.reference_to else None
    return chain


def _value(source: RecordSource, record: Record, chain: list[FieldDef]) -> Any:
    current: Record | None = record
    for reference in chain[:-1]:
        target_id = current.get(reference.name) if current else None
        found = source.get(target_id) if target_id else None
        current = found[1] if found else None
        if current is None:
            return None
    return current.get(chain[-1].name) if current else None


def _filter_error(field: FieldDef, expected: str, quoted: bool) -> SoqlError:
    quoting = "should be enclosed in quotes" if quoted else "should not be enclosed in quotes"
    return SoqlError(
        f"value of filter criterion for field '{field.name}' must be of type {expected} and "
        f"{quoting}",
        "INVALID_QUERY_FILTER_OPERATOR",
    )


def _check_literal(field: FieldDef, op: str, literal: Literal) -> None:
    if literal.kind == "null":
        if op not in ("=", "!="):
            raise SoqlError(
                f"invalid operator on null for field '{field.name}'",
                "INVALID_QUERY_FILTER_OPERATOR",
            )
        return
    if op == "LIKE" and field.type not in TEXT_TYPES:
        raise SoqlError(
            f"invalid operator on field '{field.name}'", "INVALID_QUERY_FILTER_OPERATOR"
        )
    if field.type in TEXT_TYPES:
        if literal.kind != "string":
            raise _filter_error(field, "string", quoted=True)
        value = str(literal.value)
        if field.type in (ID, REFERENCE) and op != "LIKE" and not ids.is_salesforce_id(value):
            raise SoqlError(f"invalid ID field: {value}", "INVALID_QUERY_FILTER_OPERATOR")
    elif field.type == BOOLEAN and (literal.kind != "boolean" or op not in ("=", "!=")):
        raise _filter_error(field, "boolean", quoted=False)
    elif field.type == INT and literal.kind != "number":
        raise _filter_error(field, "int", quoted=False)
    elif field.type == DATETIME and literal.kind != "datetime":
        raise _filter_error(field, "dateTime", quoted=False)
    elif field.type == DATE and literal.kind != "date":
        raise _filter_error(field, "date", quoted=False)


def _comparable(field: FieldDef, value: Any) -> Any:
    if value is None:
        return None
    if field.type in (ID, REFERENCE):
        return str(value)[:15]
    if field.type in TEXT_TYPES:
        return str(value).casefold()
    if field.type == DATETIME:
        return parse_datetime(str(value))
    if field.type == INT:
        return float(value)
    return value


def _like_regex(pattern: str) -> re.Pattern[str]:
    parts: list[str] = []
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            parts.append(re.escape(pattern[index + 1]))
            index += 2
            continue
        parts.append(".*" if char == "%" else "." if char == "_" else re.escape(char))
        index += 1
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL)


class _Evaluator:
    def __init__(self, obj: ObjectDef, source: RecordSource) -> None:
        self.obj = obj
        self.source = source

    def check(self, condition: Condition) -> None:
        if isinstance(condition, Comparison):
            field = _resolve_path(self.obj, condition.path)[-1]
            _check_literal(field, condition.op, condition.value)
        elif isinstance(condition, InList):
            field = _resolve_path(self.obj, condition.path)[-1]
            for literal in condition.values:
                _check_literal(field, "=", literal)
        elif isinstance(condition, (And, Or)):
            for item in condition.items:
                self.check(item)
        else:
            self.check(condition.item)

    def matches(self, record: Record, condition: Condition) -> bool:
        if isinstance(condition, And):
            return all(self.matches(record, item) for item in condition.items)
        if isinstance(condition, Or):
            return any(self.matches(record, item) for item in condition.items)
        if isinstance(condition, Not):
            return not self.matches(record, condition.item)
        chain = _resolve_path(self.obj, condition.path)
        actual = _comparable(chain[-1], _value(self.source, record, chain))
        if isinstance(condition, InList):
            found = any(
                actual == _comparable(chain[-1], literal.value) for literal in condition.values
            )
            return found != condition.negated
        return _compare(chain[-1], actual, condition.op, condition.value)


def _compare(field: FieldDef, actual: Any, op: str, literal: Literal) -> bool:
    if op == "LIKE":
        return actual is not None and bool(_like_regex(str(literal.value)).fullmatch(actual))
    expected = _comparable(field, literal.value)
    if op == "=":
        return bool(actual == expected)
    if op == "!=":
        return bool(actual != expected)
    if actual is None or expected is None:
        return False
    if op == "<":
        return bool(actual < expected)
    if op == "<=":
        return bool(actual <= expected)
    if op == ">":
        return bool(actual > expected)
    return bool(actual >= expected)


def _sort(
    obj: ObjectDef, source: RecordSource, rows: list[Record], order_by: Sequence[OrderItem]
) -> list[Record]:
    # Ties keep creation order in the direction of the first key (ids grow with creation),
    # so "ORDER BY CreatedDate DESC LIMIT 1" returns the newest record even within one ms.
    rows = sorted(rows, key=lambda r: str(r["Id"]), reverse=order_by[0].descending)
    for item in reversed(order_by):
        chain = _resolve_path(obj, item.path)
        null_rank = 0 if item.nulls_last == item.descending else 2

        def key(row: Record, chain: list[FieldDef] = chain, null_rank: int = null_rank) -> Any:
            value = _comparable(chain[-1], _value(source, row, chain))
            return (null_rank, 0) if value is None else (1, value)

        rows.sort(key=key, reverse=item.descending)
    return rows


def render_record(
    source: RecordSource,
    obj: ObjectDef,
    record: Record,
    paths: Sequence[Sequence[str]],
    api_version: str,
) -> Record:
    """Render ``record`` with the selected field paths, nesting relationship fields."""
    rendered: Record = _attributes(obj.name, str(record["Id"]), api_version)
    for path in paths:
        chain = _resolve_path(obj, path)
        _place(source, rendered, record, chain, api_version)
    return rendered


def _attributes(type_name: str, record_id: str, api_version: str) -> Record:
    url = f"/services/data/v{api_version}/sobjects/{type_name}/{record_id}"
    return {"attributes": {"type": type_name, "url": url}}


def _place(
    source: RecordSource, target: Record, record: Record, chain: list[FieldDef], version: str
) -> None:
    head = chain[0]
    if len(chain) == 1:
        target[head.name] = record.get(head.name)
        return
    relationship = head.relationship or head.name
    parent_id = record.get(head.name)
    found = source.get(parent_id) if parent_id else None
    if found is None:
        target[relationship] = None
        return
    type_name, parent = found
    nested = target.get(relationship)
    if not isinstance(nested, dict):
        nested = _attributes(type_name, str(parent["Id"]), version)
        target[relationship] = nested
    parent_obj = lookup_object(type_name)
    rest = chain[1:]
    if parent_obj is not None and len(rest) == 1 and head.reference_to is None:
        # Polymorphic parent: resolve the leaf against the record's actual type.
        leaf = parent_obj.field(rest[0].name)
        rest = [leaf] if leaf else rest
    _place(source, nested, parent, rest, version)


def check_fields(obj: ObjectDef, paths: Sequence[Sequence[str]]) -> None:
    """Validate selected field paths; raises :class:`SoqlError` (INVALID_FIELD)."""
    for path in paths:
        _resolve_path(obj, path)


def select_rows(
    obj: ObjectDef,
    source: RecordSource,
    where: Condition | None,
    order_by: Sequence[OrderItem],
    offset: int | None,
    limit: int | None,
) -> list[Record]:
    """Filter, sort and page ``obj``'s records; shared by SOQL and SOSL ``RETURNING``."""
    evaluator = _Evaluator(obj, source)
    if where is not None:
        evaluator.check(where)
    rows = [r for r in source.records(obj.name) if where is None or evaluator.matches(r, where)]
    if order_by:
        rows = _sort(obj, source, rows, order_by)
    if offset:
        rows = rows[offset:]
    if limit is not None:
        rows = rows[:limit]
    return rows


def run_query(query: Query, source: RecordSource, api_version: str) -> Record:
    """Run a parsed query; raises :class:`SoqlError` for unknown objects and fields."""
    obj = resolve_object(query.object_name)
    check_fields(obj, query.fields)
    rows = select_rows(obj, source, query.where, query.order_by, query.offset, query.limit)
    if query.count_only:
        return {"totalSize": len(rows), "done": True, "records": []}
    records = [render_record(source, obj, r, query.fields, api_version) for r in rows]
    return {"totalSize": len(records), "done": True, "records": records}


def execute_soql(text: str, source: RecordSource, api_version: str) -> Record:
    """Parse and run ``text``; raises :class:`SoqlError` with the REST errorCode."""
    return run_query(parse_soql(text), source, api_version)
