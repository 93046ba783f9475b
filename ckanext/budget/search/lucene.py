"""A parser for the part of Solr's (Lucene) query syntax that CKAN and its users write.

Supported: bare words and "phrases", ``field:value``, ``field:"a phrase"``, ``field:(a OR b)``,
``field:*``, trailing ``*`` wildcards, ``field:[low TO high]`` ranges (``*`` and ``NOW`` as
bounds), ``+``/``-``/``NOT`` prefixes, ``AND``/``OR``/``&&``/``||`` and parentheses, and
``*:*``. Clauses without an operator are all required, as with CKAN's ``q.op=AND``.
Not supported: boosts (``^``), fuzzy/proximity (``~``), date maths, local params (``{!…}``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


class QuerySyntaxError(ValueError):
    """The query uses syntax outside the supported subset."""


@dataclass(frozen=True)
class MatchAll:
    pass


@dataclass(frozen=True)
class Term:
    """``field`` is None for a bare word or phrase (Solr's default field)."""

    field: str | None
    value: str
    phrase: bool = False


@dataclass(frozen=True)
class Range:
    field: str
    low: str | None
    high: str | None


@dataclass(frozen=True)
class Not:
    node: Node


@dataclass(frozen=True)
class And:
    nodes: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    nodes: tuple[Node, ...]


Node = MatchAll | Term | Range | Not | And | Or

_TOKEN_RE = re.compile(
    r"""\s*(?:
      (?P<lparen>\()
    | (?P<rparen>\))
    | (?P<op>&&|\|\||(?:AND|OR|NOT)(?=[\s(]|$))
    | (?P<modifier>[+-])(?=\S)
    | (?P<field>[A-Za-z_][\w.\-]*):(?=\S)
    | (?P<phrase>"(?:[^"\\]|\\.)*")
    | (?P<range>\[[^\]]*\]|\{[^}]*\})
    | (?P<word>(?:[^\s()"\\]|\\.)+)
    )""",
    re.VERBOSE,
)
_ESCAPE_RE = re.compile(r"\\(.)")
_RANGE_RE = re.compile(r"^[\[{]\s*(\S+)\s+TO\s+(\S+)\s*[\]}]$")


def parse(text: str) -> Node:
    """Parse ``text``; raise QuerySyntaxError when it is outside the supported subset."""
    tokens = _tokenize(text)
    if not tokens:
        return MatchAll()
    parser = _Parser(tokens)
    node = parser.parse_or(default_field=None)
    if parser.position != len(tokens):
        raise QuerySyntaxError(f"Unexpected {tokens[parser.position][1]!r} in query {text!r}")
    return node


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN_RE.match(text, position)
        if not match or match.end() == position:
            raise QuerySyntaxError(f"Cannot read query {text!r} at {text[position:]!r}")
        kind = match.lastgroup
        assert kind is not None
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.position = 0

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _next(self) -> tuple[str, str]:
        token = self._peek()
        if token is None:
            raise QuerySyntaxError("Unexpected end of query")
        self.position += 1
        return token

    def parse_or(self, default_field: str | None) -> Node:
        nodes = [self.parse_and(default_field)]
        while self._peek() in (("op", "OR"), ("op", "||")):
            self._next()
            nodes.append(self.parse_and(default_field))
        return nodes[0] if len(nodes) == 1 else Or(tuple(nodes))

    def parse_and(self, default_field: str | None) -> Node:
        nodes = [self.parse_unary(default_field)]
        while True:
            token = self._peek()
            if token is None or token[0] == "rparen" or token in (("op", "OR"), ("op", "||")):
                break
            if token in (("op", "AND"), ("op", "&&")):
                self._next()
            nodes.append(self.parse_unary(default_field))
        return nodes[0] if len(nodes) == 1 else And(tuple(nodes))

    def parse_unary(self, default_field: str | None) -> Node:
        token = self._peek()
        if token in (("modifier", "-"), ("op", "NOT")):
            self._next()
            return Not(self.parse_unary(default_field))
        if token == ("modifier", "+"):
            self._next()
            return self.parse_unary(default_field)
        return self.parse_primary(default_field)

    def parse_primary(self, default_field: str | None) -> Node:
        kind, value = self._next()
        if kind == "lparen":
            node = self.parse_or(default_field)
            if self._next()[0] != "rparen":
                raise QuerySyntaxError("Missing closing parenthesis")
            return node
        if kind == "field":
            if self._peek() == ("lparen", "("):
                return self.parse_primary(value)
            return self._value(value, *self._next())
        return self._value(default_field, kind, value)

    def _value(self, field: str | None, kind: str, value: str) -> Node:
        if kind == "phrase":
            return Term(field, _ESCAPE_RE.sub(r"\1", value[1:-1]), phrase=True)
        if kind == "range":
            match = _RANGE_RE.match(value)
            if not match or field is None:
                raise QuerySyntaxError(f"Cannot read range {value!r}")
            low, high = (None if bound == "*" else bound for bound in match.groups())
            return Range(field, low, high)
        if kind == "word":
            if value == "*:*" or (value == "*" and field is not None):
                return MatchAll() if value == "*:*" else Term(field, "*")
            return Term(field, _ESCAPE_RE.sub(r"\1", value))
        raise QuerySyntaxError(f"Unexpected {value!r} in query")
