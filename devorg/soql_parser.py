"""A parser for the subset of SOQL that SIVO sends, producing a small AST.

Grammar (SOQL and SOSL Reference, "SOQL SELECT Syntax"):

    query     := SELECT fields FROM object [WHERE condition] [ORDER BY order [, order]*]
                 [LIMIT n] [OFFSET n]
    fields    := COUNT() | path [, path]*         path := Name[.Name]*
    condition := unary [(AND unary)* | (OR unary)*]   -- mixing AND and OR needs parentheses
    unary     := NOT unary | ( condition ) | path op value | path [NOT] IN (value, ...)
    op        := = | != | <> | < | <= | > | >= | LIKE

Pure: no I/O. The SOSL parser reuses :class:`TokenStream` and :class:`SoqlParser` for the
``WHERE`` and ``ORDER BY`` clauses inside ``RETURNING``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "And",
    "Comparison",
    "Condition",
    "InList",
    "Literal",
    "Not",
    "Or",
    "OrderItem",
    "Query",
    "SoqlError",
    "SoqlParser",
    "TokenStream",
    "parse_soql",
]


class SoqlError(Exception):
    """A query Salesforce would refuse; ``error_code`` is the REST errorCode."""

    def __init__(self, message: str, error_code: str = "MALFORMED_QUERY") -> None:
        super().__init__(message)
        self.message = message
        self.error_code = error_code


@dataclass(frozen=True)
class Literal:
    kind: str  # string, number, boolean, null, datetime, date
    value: str | float | bool | None


@dataclass(frozen=True)
class Comparison:
    path: tuple[str, ...]
    op: str  # =, !=, <, <=, >, >=, LIKE
    value: Literal


@dataclass(frozen=True)
class InList:
    path: tuple[str, ...]
    values: tuple[Literal, ...]
    negated: bool


@dataclass(frozen=True)
class And:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Or:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    item: Condition


Condition = Comparison | InList | And | Or | Not


@dataclass(frozen=True)
class OrderItem:
    path: tuple[str, ...]
    descending: bool
    nulls_last: bool


@dataclass(frozen=True)
class Query:
    object_name: str
    fields: tuple[tuple[str, ...], ...]
    count_only: bool
    where: Condition | None
    order_by: tuple[OrderItem, ...]
    limit: int | None
    offset: int | None


@dataclass(frozen=True)
class Token:
    kind: str  # ident, string, number, datetime, date, op, punct, eof
    text: str
    position: int


_TOKEN_PATTERN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),])
    """,
    re.VERBOSE,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f"}


def _unquote(literal: str) -> str:
    body = literal[1:-1]
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            escaped = body[index + 1]
            # \% and \_ stay escaped: they only mean something inside LIKE patterns.
            out.append("\\" + escaped if escaped in "%_" else _ESCAPES.get(escaped, escaped))
            index += 2
        else:
            out.append(char)
            index += 1
    return "".join(out)


class TokenStream:
    """Tokens of a SOQL text, with Salesforce-style "unexpected token" errors."""

    def __init__(self, text: str, start: int = 0) -> None:
        self.text = text
        self.tokens: list[Token] = []
        position = start
        while position < len(text):
            match = _TOKEN_PATTERN.match(text, position)
            if match is None:
                raise self._error_at(position, text[position])
            kind = match.lastgroup or "ws"
            if kind != "ws":
                self.tokens.append(Token(kind, match.group(), position))
            position = match.end()
        self.tokens.append(Token("eof", "", len(text)))
        self.index = 0

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def next(self) -> Token:
        token = self.peek()
        self.index += 1
        return token

    def at_keyword(self, *words: str) -> bool:
        token = self.peek()
        return token.kind == "ident" and token.text.upper() in words

    def accept_keyword(self, word: str) -> bool:
        if self.at_keyword(word):
            self.index += 1
            return True
        return False

    def expect_keyword(self, word: str) -> None:
        if not self.accept_keyword(word):
            raise self.unexpected()

    def expect_punct(self, char: str) -> None:
        token = self.next()
        if token.kind != "punct" or token.text != char:
            self.index -= 1
            raise self.unexpected()

    def unexpected(self) -> SoqlError:
        token = self.peek()
        return self._error_at(token.position, token.text or "<EOF>")

    def _error_at(self, position: int, shown: str) -> SoqlError:
        # Salesforce echoes the query with a caret under the offending token.
        line = self.text.count("\n", 0, position) + 1
        column = position - (self.text.rfind("\n", 0, position) + 1) + 1
        message = (
            f"{self.text}\n{' ' * (column - 1)}^\n"
            f"ERROR at Row:{line}:Column:{column}\nunexpected token: '{shown}'"
        )
        return SoqlError(message)


class SoqlParser:
    """Recursive-descent parser over a :class:`TokenStream`."""

    def __init__(self, tokens: TokenStream) -> None:
        self.tokens = tokens

    def parse_query(self) -> Query:
        self.tokens.expect_keyword("SELECT")
        count_only = False
        fields: list[tuple[str, ...]] = []
        if self.tokens.at_keyword("COUNT") and self.tokens.peek(1).text == "(":
            self.tokens.next()
            self.tokens.expect_punct("(")
            self.tokens.expect_punct(")")
            count_only = True
        else:
            fields = self.parse_field_list()
        self.tokens.expect_keyword("FROM")
        object_name = self.parse_identifier()
        where = self.parse_condition() if self.tokens.accept_keyword("WHERE") else None
        order_by = self.parse_order_by() if self.tokens.at_keyword("ORDER") else ()
        limit = self.parse_integer_clause("LIMIT")
        offset = self.parse_integer_clause("OFFSET")
        if self.tokens.peek().kind != "eof":
            raise self.tokens.unexpected()
        return Query(object_name, tuple(fields), count_only, where, order_by, limit, offset)

    def parse_identifier(self) -> str:
        token = self.tokens.next()
        if token.kind != "ident" or "." in token.text:
            self.tokens.index -= 1
            raise self.tokens.unexpected()
        return token.text

    def parse_path(self) -> tuple[str, ...]:
        token = self.tokens.next()
        if token.kind != "ident" or token.text.upper() in _RESERVED:
            self.tokens.index -= 1
            raise self.tokens.unexpected()
        return tuple(token.text.split("."))

    def parse_field_list(self) -> list[tuple[str, ...]]:
        fields = [self.parse_path()]
        while self.tokens.peek().text == ",":
            self.tokens.next()
            fields.append(self.parse_path())
        return fields

    def parse_integer_clause(self, keyword: str) -> int | None:
        if not self.tokens.accept_keyword(keyword):
            return None
        token = self.tokens.next()
        if token.kind != "number" or not token.text.isdigit():
            self.tokens.index -= 1
            raise self.tokens.unexpected()
        return int(token.text)

    def parse_order_by(self) -> tuple[OrderItem, ...]:
        self.tokens.expect_keyword("ORDER")
        self.tokens.expect_keyword("BY")
        items = [self._parse_order_item()]
        while self.tokens.peek().text == ",":
            self.tokens.next()
            items.append(self._parse_order_item())
        return tuple(items)

    def _parse_order_item(self) -> OrderItem:
        path = self.parse_path()
        descending = False
        if self.tokens.accept_keyword("DESC"):
            descending = True
        else:
            self.tokens.accept_keyword("ASC")
        # Defaults: nulls first ascending, nulls last descending (SOQL "ORDER BY").
        nulls_last = descending
        if self.tokens.accept_keyword("NULLS"):
            if self.tokens.accept_keyword("LAST"):
                nulls_last = True
            else:
                self.tokens.expect_keyword("FIRST")
                nulls_last = False
        return OrderItem(path, descending, nulls_last)

    def parse_condition(self) -> Condition:
        first = self._parse_unary()
        for joiner, other in (("AND", "OR"), ("OR", "AND")):
            if self.tokens.at_keyword(joiner):
                items = [first]
                while self.tokens.accept_keyword(joiner):
                    items.append(self._parse_unary())
                if self.tokens.at_keyword(other):
                    # SOQL refuses `a AND b OR c`: parentheses are required.
                    raise self.tokens.unexpected()
                return And(tuple(items)) if joiner == "AND" else Or(tuple(items))
        return first

    def _parse_unary(self) -> Condition:
        if self.tokens.accept_keyword("NOT"):
            return Not(self._parse_unary())
        if self.tokens.peek().text == "(":
            self.tokens.next()
            inner = self.parse_condition()
            self.tokens.expect_punct(")")
            return inner
        path = self.parse_path()
        negated = False
        if self.tokens.at_keyword("NOT") and self.tokens.peek(1).text.upper() == "IN":
            self.tokens.next()
            negated = True
        if self.tokens.accept_keyword("IN"):
            self.tokens.expect_punct("(")
            values = [self.parse_value()]
            while self.tokens.peek().text == ",":
                self.tokens.next()
                values.append(self.parse_value())
            self.tokens.expect_punct(")")
            return InList(path, tuple(values), negated)
        if self.tokens.accept_keyword("LIKE"):
            return Comparison(path, "LIKE", self.parse_value())
        token = self.tokens.next()
        if token.kind != "op":
            self.tokens.index -= 1
            raise self.tokens.unexpected()
        op = "!=" if token.text == "<>" else token.text
        return Comparison(path, op, self.parse_value())

    def parse_value(self) -> Literal:
        token = self.tokens.next()
        if token.kind == "string":
            return Literal("string", _unquote(token.text))
        if token.kind == "number":
            return Literal("number", float(token.text))
        if token.kind in ("datetime", "date"):
            return Literal(token.kind, token.text)
        if token.kind == "ident" and token.text.lower() in ("true", "false"):
            return Literal("boolean", token.text.lower() == "true")
        if token.kind == "ident" and token.text.lower() == "null":
            return Literal("null", None)
        self.tokens.index -= 1
        raise self.tokens.unexpected()


_RESERVED = frozenset(
    {
        "SELECT",
        "FROM",
        "WHERE",
        "AND",
        "OR",
        "NOT",
        "IN",
        "LIKE",
        "ORDER",
        "BY",
        "LIMIT",
        "OFFSET",
        "ASC",
        "DESC",
        "NULLS",
        "NULL",
        "TRUE",
        "FALSE",
        "FIND",
        "RETURNING",
    }
)


def parse_soql(text: str) -> Query:
    """Parse a SOQL query.

    Raises:
        SoqlError: with errorCode MALFORMED_QUERY and Salesforce's caret-style message.
    """
    return SoqlParser(TokenStream(text)).parse_query()
