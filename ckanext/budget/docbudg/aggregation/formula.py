"""The formula language that selects budget lines: set algebra over line attributes.

Three spellings of the same operators are accepted, so that rules written for the
"agregation-document-budgetaire" tool keep working and new rules can be typed on any
keyboard:

========================  ==================  ================
meaning                   existing tool       ASCII
========================  ==================  ================
intersection              ``∩``               ``&`` or ``^``
union                     ``∪`` or ``+``      ``|``
difference                ``-``               ``-``
========================  ==================  ================

Precedence follows the existing tool (checked against every Gironde formula): ``∩`` binds
tighter than ``∪``/``+``/``-``, which share one level and associate to the left, so
``DF∩C73914+C73926`` is ``(DF∩C73914) ∪ C73926`` and ``A-B∩C`` is ``A - (B∩C)``. The
native rendering (:meth:`Formula.native`) always writes the parentheses.

Atoms of the existing tool: ``R D F I RF RI DF DI`` (direction, section, both),
``Ch<code>`` chapter, ``C<code>`` account and its descendants, ``F<code>`` function and
its descendants, ``Ann<year>``. Native atoms (keywords are case- and accent-insensitive,
English aliases in brackets): ``sens:D`` [``direction``], ``section:F``,
``chapitre:011`` [``chapter``], ``compte:60`` [``account``] (with descendants),
``nature:6064`` (exactly) or ``nature:6*`` (prefix), ``fonction:4`` [``function``]
(with descendants), ``fonction:*`` (any function) / ``fonction:aucune`` [``none``],
``annee:2018`` [``year``], ``reel`` [``real``] / ``ordre`` [``order``], ``tout`` [``all``].

Exact selector: ``=`` in place of ``:`` selects the code itself, never its descendants.
``fonction=41`` is function 41 only (``fonction:41`` also takes 411 to 415) and
``compte=60`` account 60 only (read as ``nature:60``); for the selectors without
descendants (``sens``, ``section``, ``chapitre``, ``nature``, ``annee``) ``=`` and ``:``
mean the same. A spreadsheet mapping lists codes as they are, so its rules use ``=``.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from typing import NamedTuple

from ..messages import Message

INTER_OPS = frozenset("∩&^")
UNION_OPS = frozenset("∪+|")
DIFF_OPS = frozenset("-−")


class FormulaError(ValueError):
    """A formula that cannot be read: never silently "matches nothing"."""

    def __init__(
        self, message: Message, text: str, position: int, suggestion: str | None = None
    ) -> None:
        self.text = text
        self.position = position
        self.suggestion = suggestion
        hint = Message(" Vouliez-vous dire « {suggestion} » ?", " Did you mean '{suggestion}'?")
        where = Message(" (position {position})", " (position {position})")
        self.msg = Message(
            message.text("fr")
            + where.text("fr").format(position=position)
            + (hint.text("fr").format(suggestion=suggestion) if suggestion else ""),
            message.text("en")
            + where.text("en").format(position=position)
            + (hint.text("en").format(suggestion=suggestion) if suggestion else ""),
        )
        super().__init__(self.msg.text("en"))

    def text_in(self, lang: str | None = None) -> str:
        return self.msg.text(lang)

    def pointer(self) -> str:
        """The formula with a caret under the faulty position, for terminals."""
        return f"{self.text}\n{' ' * self.position}^"


# --- AST -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Atom:
    """One selector: ``kind`` is one of :data:`ATOM_KINDS`, ``value`` its argument."""

    kind: str
    value: str = ""

    def native(self) -> str:
        if self.kind in ("reel", "ordre", "tout"):
            return self.kind
        if self.kind == "nature_prefix":
            return f"nature:{self.value}*"
        if self.kind == "fonction_exact":
            return f"fonction={self.value}"
        return f"{self.kind}:{self.value}"


@dataclass(frozen=True)
class BinOp:
    op: str  # "&", "|", "-"
    left: Formula
    right: Formula

    def native(self) -> str:
        """Left-associative chains of one level stay flat; any mix is parenthesised.

        Iterative along the left spine: imported spreadsheets make unions of thousands
        of terms, deeper than Python's recursion limit.
        """
        spine: list[BinOp] = []
        node: Formula = self
        while isinstance(node, BinOp):
            spine.append(node)
            node = node.left
        text = node.native()
        for parent in reversed(spine):
            child = parent.left
            if isinstance(child, BinOp) and _level(child.op) != _level(parent.op):
                text = f"({text})"
            right = parent.right.native()
            if isinstance(parent.right, BinOp):
                right = f"({right})"
            text = f"{text} {parent.op} {right}"
        return text


def _level(op: str) -> int:
    return 1 if op == "&" else 0


Formula = Atom | BinOp

ATOM_KINDS = (
    "sens",
    "section",
    "chapitre",
    "compte",
    "nature",
    "nature_prefix",
    "fonction",
    "fonction_exact",
    "annee",
    "reel",
    "ordre",
    "tout",
)
ANY_FUNCTION = "*"
NO_FUNCTION = "aucune"


def native(formula: Formula) -> str:
    """Unambiguous native text: parsing it gives back the same formula."""
    return formula.native()


def atoms(formula: Formula) -> list[Atom]:
    found: list[Atom] = []
    stack = [formula]
    while stack:
        node = stack.pop()
        if isinstance(node, Atom):
            found.append(node)
        else:
            stack.extend((node.right, node.left))
    return found


# --- compiled form -------------------------------------------------------------------

AtomKey = tuple[str, str]
"""An atom as ``(kind, value)``: hashed in C, unlike the dataclass."""
Program = tuple[AtomKey | str, ...]
"""A formula in postfix order: atoms push their mask, ``& | -`` combine the last two."""


def compile_formula(formula: Formula) -> Program:
    """Postfix form of a formula, built without recursion (imported spreadsheets make
    unions of thousands of terms); evaluated by ``LineIndex.run``."""
    out: list[AtomKey | str] = []
    stack: list[tuple[Formula, bool]] = [(formula, False)]
    while stack:
        node, expanded = stack.pop()
        if isinstance(node, Atom):
            out.append((node.kind, node.value))
        elif expanded:
            out.append(node.op)
        else:
            stack.append((node, True))
            stack.append((node.right, False))
            stack.append((node.left, False))
    return tuple(out)


# --- tokens --------------------------------------------------------------------------

_CODE = r"[0-9][0-9A-Za-z]*"
_SEPARATOR = re.compile("[:=]")
"""``key:value`` (with descendants) or ``key=value`` (exactly)."""
_LEGACY = (
    (re.compile(rf"^Ch({_CODE})$"), "chapitre"),
    (re.compile(r"^Ann([0-9]{4})$"), "annee"),
    (re.compile(rf"^C({_CODE})$"), "compte"),
    (re.compile(rf"^F({_CODE})$"), "fonction"),
)
_LEGACY_WORDS: dict[str, tuple[Atom, ...]] = {
    "R": (Atom("sens", "R"),),
    "D": (Atom("sens", "D"),),
    "F": (Atom("section", "F"),),
    "I": (Atom("section", "I"),),
    **{sd + sec: (Atom("sens", sd), Atom("section", sec)) for sd in "RD" for sec in "FI"},
}
_KEYWORDS = {
    "sens": "sens",
    "direction": "sens",
    "section": "section",
    "chapitre": "chapitre",
    "chapter": "chapitre",
    "compte": "compte",
    "account": "compte",
    "nature": "nature",
    "fonction": "fonction",
    "function": "fonction",
    "annee": "annee",
    "year": "annee",
}
_FLAGS = {
    "reel": "reel",
    "real": "reel",
    "ordre": "ordre",
    "order": "ordre",
    "tout": "tout",
    "all": "tout",
}
_VALUES = {
    "sens": {"d": "D", "r": "R", "depense": "D", "depenses": "D", "recette": "R", "recettes": "R"},
    "section": {"f": "F", "i": "I", "fonctionnement": "F", "investissement": "I"},
}


def _fold(text: str) -> str:
    """Lower case without accents: ``Réel`` → ``reel``."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _suggest(word: str, candidates: list[str]) -> str | None:
    found = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return found[0] if found else None


_ERR_UNKNOWN = Message(
    "Sélecteur inconnu « {word} »",
    "Unknown selector '{word}'",
)
_ERR_VALUE = Message(
    "Valeur « {value} » invalide pour « {key} » (attendu : {expected})",
    "Invalid value '{value}' for '{key}' (expected: {expected})",
)


def _word_atoms(word: str, text: str, pos: int) -> tuple[Atom, ...]:
    """Read one word (legacy or native atom) or raise with a suggestion."""
    if word in _LEGACY_WORDS:
        return _LEGACY_WORDS[word]
    for pattern, kind in _LEGACY:
        match = pattern.match(word)
        if match:
            return (Atom(kind, match[1]),)
    split = _SEPARATOR.search(word)
    key, sep, value = (
        (word[: split.start()], split[0], word[split.end() :]) if split else (word, "", "")
    )
    folded = _fold(key)
    if not sep:
        if folded in _FLAGS:
            return (Atom(_FLAGS[folded]),)
        raise FormulaError(_ERR_UNKNOWN.with_params(word=word), text, pos, _suggest_word(word))
    kind = _KEYWORDS.get(folded)
    if kind is None:
        guess = _suggest(folded, list(_KEYWORDS))
        raise FormulaError(
            _ERR_UNKNOWN.with_params(word=word),
            text,
            pos,
            f"{guess}{sep}{value}" if guess else None,
        )
    atom = _native_atom(kind, key, sep, value, text, pos)
    if sep == "=":
        return (_exactly(atom),)
    return (atom,)


def _exactly(atom: Atom) -> Atom:
    """The atom of ``key=value``: the code itself, without its descendants."""
    if atom.kind == "fonction" and atom.value not in (ANY_FUNCTION, NO_FUNCTION):
        return Atom("fonction_exact", atom.value)
    if atom.kind == "compte":
        return Atom("nature", atom.value)
    return atom


def _native_atom(kind: str, key: str, sep: str, value: str, text: str, pos: int) -> Atom:
    def bad(expected: str, suggestion: str | None = None) -> FormulaError:
        return FormulaError(
            _ERR_VALUE.with_params(value=value, key=key, expected=expected),
            text,
            pos + len(key) + 1,
            suggestion,
        )

    if kind in _VALUES:
        choice = _VALUES[kind].get(_fold(value))
        if choice is None:
            raise bad(" / ".join(sorted({v for v in _VALUES[kind].values()})))
        return Atom(kind, choice)
    if kind == "annee":
        if not re.fullmatch(r"[0-9]{4}", value):
            raise bad("2018")
        return Atom(kind, value)
    if kind == "fonction" and value == ANY_FUNCTION:
        return Atom(kind, ANY_FUNCTION)
    if kind == "fonction" and _fold(value) in (NO_FUNCTION, "none"):
        return Atom(kind, NO_FUNCTION)
    if kind == "nature" and sep == ":" and re.fullmatch(rf"{_CODE}\*", value):
        return Atom("nature_prefix", value[:-1])
    if not re.fullmatch(_CODE, value):
        digits = re.sub(r"[^0-9A-Za-z]", "", value)
        raise bad("code", f"{key}{sep}{digits}" if digits else None)
    return Atom(kind, value)


def _suggest_word(word: str) -> str | None:
    """Best guess for a mistyped legacy atom: ``c6574`` or ``6574`` → ``C6574``."""
    code = re.search(r"[0-9][0-9A-Za-z]*$", word)
    prefix = word[: code.start()] if code else word
    if code:
        head = {"c": "C", "ch": "Ch", "f": "F", "ann": "Ann", "": "C"}.get(prefix.lower())
        if head is None:
            head = _suggest(prefix, ["C", "Ch", "F", "Ann"]) or "C"
        return head + code[0]
    folded = _fold(word)
    return _suggest(folded, [*_FLAGS, *_LEGACY_WORDS]) or (
        word.upper() if word.upper() in _LEGACY_WORDS else None
    )


class _Token(NamedTuple):
    kind: str  # "atom", "&", "|", "-", "(", ")", "end"
    pos: int
    text: str
    atoms: tuple[Atom, ...] = ()


_TOKEN = re.compile(r"\s*(?:(?P<op>[∩&^∪+|\-−()])|(?P<word>[^\s()∩∪+|&^\-−]+))")
_OP_KIND = {
    **dict.fromkeys(INTER_OPS, "&"),
    **dict.fromkeys(UNION_OPS, "|"),
    **dict.fromkeys(DIFF_OPS, "-"),
    "(": "(",
    ")": ")",
}
_KNOWN_WORDS: dict[str, tuple[Atom, ...]] = {}
"""Words already read (rule sets repeat the same few hundred codes); errors are not kept."""
_KNOWN_WORDS_MAX = 100_000


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    for match in _TOKEN.finditer(text):
        op = match["op"]
        if op is not None:
            tokens.append(_Token(_OP_KIND[op], match.start("op"), op))
            continue
        word = match["word"]
        atoms = _KNOWN_WORDS.get(word)
        if atoms is None:
            atoms = _word_atoms(word, text, match.start("word"))
            if len(_KNOWN_WORDS) < _KNOWN_WORDS_MAX:
                _KNOWN_WORDS[word] = atoms
        tokens.append(_Token("atom", match.start("word"), word, atoms))
    tokens.append(_Token("end", len(text), ""))
    return tokens


# --- parser --------------------------------------------------------------------------

_ERR_EMPTY = Message("La formule est vide", "The formula is empty")
_ERR_EXPECTED = Message(
    "Sélecteur ou « ( » attendu, trouvé « {found} »",
    "Expected a selector or '(', found '{found}'",
)
_ERR_CLOSE = Message("Parenthèse « ) » manquante", "Missing closing parenthesis ')'")
_ERR_EXTRA = Message(
    "« {found} » inattendu après la fin de l'expression",
    "Unexpected '{found}' after the end of the expression",
)


def _conj(items: tuple[Atom, ...]) -> Formula:
    result: Formula = items[0]
    for item in items[1:]:
        result = BinOp("&", result, item)
    return result


class _Parser:
    """``expr := term (('∪'|'+'|'-') term)*``; ``term := factor ('∩' factor)*``;
    ``factor := atom | '(' expr ')'``."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.i = 0

    def peek(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def expr(self) -> Formula:
        left = self.term()
        while self.peek().kind in ("|", "-"):
            op = self.take().kind
            left = BinOp(op, left, self.term())
        return left

    def term(self) -> Formula:
        left = self.factor()
        while self.peek().kind == "&":
            self.take()
            left = BinOp("&", left, self.factor())
        return left

    def factor(self) -> Formula:
        token = self.take()
        if token.kind == "atom":
            return _conj(token.atoms)
        if token.kind == "(":
            inner = self.expr()
            closing = self.peek()
            if closing.kind != ")":
                raise FormulaError(_ERR_CLOSE, self.text, closing.pos, self.text + ")")
            self.take()
            return inner
        shown = token.text or "fin / end"
        raise FormulaError(_ERR_EXPECTED.with_params(found=shown), self.text, token.pos)


def parse_formula(text: str) -> Formula:
    """Parse a formula in any of the accepted spellings; :class:`FormulaError` if invalid."""
    if not text or not text.strip():
        raise FormulaError(_ERR_EMPTY, text or "", 0)
    parser = _Parser(text)
    result = parser.expr()
    extra = parser.peek()
    if extra.kind != "end":
        suggestion = None
        if extra.kind == "atom":
            suggestion = f"{text[: extra.pos].rstrip()} ∪ {text[extra.pos :]}"
        raise FormulaError(_ERR_EXTRA.with_params(found=extra.text), text, extra.pos, suggestion)
    return result
