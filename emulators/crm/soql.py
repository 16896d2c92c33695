"""A small SOQL subset for the Salesforce emulator: what connectors send, parsed strictly.

``SELECT f1, f2 FROM Obj [WHERE a = 'x' [AND|OR b != 'y' ...]] [ORDER BY f [ASC|DESC]]
[LIMIT n]``. String literals use Salesforce's escapes (``\\'``, ``\\\\``, ``\\n``, ``\\"``);
an unescaped quote ends the literal, so an injection attempt is a malformed query, as at
Salesforce.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

ESCAPES = {
    "'": "'",
    '"': '"',
    "\\": "\\",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "b": "\b",
    "f": "\f",
    # A wildcard escaped in a LIKE pattern is that character itself; kept apart from a real
    # wildcard (and from an escaped backslash followed by one) until the pattern is compiled.
    "_": "\ue000",
    "%": "\ue001",
}
LITERAL_WILDCARDS = {"\ue000": "_", "\ue001": "%"}
TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^'\\]|\\.)*')|(?P<op>!=|<=|>=|=|<|>|,|\(|\))|(?P<word>[A-Za-z0-9_.]+))",
    re.S,
)


class SoqlError(ValueError):
    """MALFORMED_QUERY at Salesforce."""


@dataclass
class Condition:
    field: str
    op: str
    value: str | None


@dataclass
class Query:
    fields: list[str]
    sobject: str
    conditions: list[Condition] = field(default_factory=list)
    joins: list[str] = field(default_factory=list)  # "AND"/"OR" between conditions
    order_by: str = ""
    descending: bool = False
    limit: int | None = None


def _unescape(literal: str) -> str:
    out, i = [], 1
    while i < len(literal) - 1:
        char = literal[i]
        if char == "\\":
            nxt = literal[i + 1]
            if nxt == "u" and re.fullmatch(r"[0-9A-Fa-f]{4}", literal[i + 2 : i + 6]):
                out.append(chr(int(literal[i + 2 : i + 6], 16)))  # \uXXXX
                i += 6
                continue
            nxt = nxt if nxt in "_%" else nxt.lower()  # \N, \R, \T, \B, \F as their lower case
            if nxt not in ESCAPES:
                raise SoqlError(f"Invalid string literal {literal}: illegal escape sequence")
            out.append(ESCAPES[nxt])
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out)


def tokenize(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise SoqlError(f"unexpected token: '{text[pos : pos + 20]}'")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens, self.pos = tokens, 0

    def peek(self) -> str:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else ""

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.pos >= len(self.tokens):
            raise SoqlError("unexpected end of query")
        token = self.tokens[self.pos]
        if expected and token[1].upper() != expected:
            raise SoqlError(f"expecting '{expected}', found '{token[1]}'")
        self.pos += 1
        return token

    def word(self) -> str:
        kind, value = self.take()
        if kind != "word":
            raise SoqlError(f"unexpected token: '{value}'")
        return value

    def parse(self) -> Query:
        self.take("SELECT")
        fields = [self.word()]
        while self.peek() == ",":
            self.take(",")
            fields.append(self.word())
        self.take("FROM")
        query = Query(fields=fields, sobject=self.word())
        if self.peek().upper() == "WHERE":
            self.take()
            self.conditions(query)
        if self.peek().upper() == "ORDER":
            self.take()
            self.take("BY")
            query.order_by = self.word()
            if self.peek().upper() in ("ASC", "DESC"):
                query.descending = self.take()[1].upper() == "DESC"
        if self.peek().upper() == "LIMIT":
            self.take()
            query.limit = int(self.word())
        if self.pos != len(self.tokens):
            raise SoqlError(f"unexpected token: '{self.peek()}'")
        return query

    def conditions(self, query: Query) -> None:
        while True:
            name = self.word()
            op = self.take()[1]
            if op not in ("=", "!=") and op.upper() != "LIKE":
                raise SoqlError(f"unexpected token: '{op}'")
            kind, raw = self.take()
            if kind == "str":
                value: str | None = _unescape(raw)
                if op.upper() != "LIKE" and value != plain(value):
                    # Quoted String Escape Sequences: \_ and \% only in a LIKE expression.
                    raise SoqlError(f"Invalid string literal {raw}: illegal escape sequence")
            elif raw.lower() == "null":
                value = None
            else:
                raise SoqlError(f"unexpected token: '{raw}'")
            query.conditions.append(Condition(name, op.upper(), value))
            if self.peek().upper() not in ("AND", "OR"):
                return
            query.joins.append(self.take()[1].upper())


def parse(text: str) -> Query:
    """Parse a query or raise SoqlError with a Salesforce-like message."""
    return _Parser(tokenize(text)).parse()


def _like(value: str, pattern: str) -> bool:
    """SOQL LIKE: ``%`` any run, ``_`` one character, ``\\%`` and ``\\_`` themselves."""
    regex = "".join(
        ".*" if c == "%" else "." if c == "_" else re.escape(LITERAL_WILDCARDS.get(c, c))
        for c in pattern
    )
    return re.fullmatch(regex, value, re.I | re.S) is not None


def plain(text: str) -> str:
    return "".join(LITERAL_WILDCARDS.get(c, c) for c in text)


def matches(query: Query, record: dict[str, str]) -> bool:
    """Evaluate the WHERE clause (AND binds tighter than OR, as in SOQL) against a record
    whose keys are lower-cased field names."""
    if not query.conditions:
        return True
    results = [_holds(c, record) for c in query.conditions]
    any_group, current = False, results[0]
    for join, result in zip(query.joins, results[1:], strict=True):
        if join == "AND":
            current = current and result
        else:
            any_group, current = any_group or current, result
    return any_group or current


def _holds(cond: Condition, record: dict[str, str]) -> bool:
    actual = record.get(cond.field.lower())  # field names are case-insensitive: keys lowered
    if cond.value is None:
        return (actual in (None, "")) == (cond.op == "=")
    text = "" if actual is None else str(actual)
    if cond.op == "LIKE":
        return _like(text, cond.value)
    equal = text.lower() == plain(cond.value).lower()  # SOQL string comparison is case-insensitive
    return equal if cond.op == "=" else not equal
