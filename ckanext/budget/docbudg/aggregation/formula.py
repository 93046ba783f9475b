"""The formula language that selects budget lines: set algebra over line attributes.

One notation is shown to people, **plain French** (:func:`plain`), written by finance
staff and shown back everywhere a formula is displayed::

    dépenses et fonctionnement et chapitre 012
    dépenses et investissement et chapitres 20, 21, 23
    (recettes et compte 73) sauf nature 7318

Operators are words: ``et`` (intersection), ``ou`` (union), ``sauf`` (difference),
with parentheses; English ``and``, ``or``, ``except`` are accepted too. Atoms are words
(case- and accent-insensitive, English aliases in brackets): ``dépenses`` / ``recettes``
[``expenditure`` / ``revenue``], ``fonctionnement`` / ``investissement`` [``operating`` /
``investment``], ``chapitre 012`` [``chapter``], ``compte 60`` [``account``] (with its
sub-accounts), ``nature 6064`` (exactly) or ``nature 6*`` (prefix), ``fonction 4``
[``function``] (with its sub-functions), ``fonction = 41`` (exactly), ``avec fonction`` /
``sans fonction`` [``with function`` / ``without function``], ``année 2018`` [``year``],
``réel`` / ``ordre`` [``real`` / ``order``], ``tout`` [``all``]. A keyword takes a list:
``chapitres 20, 21, 23`` is ``chapitre 20 ou chapitre 21 ou chapitre 23``. ``=`` after a
keyword selects the code itself, never its descendants (``compte = 60`` is ``nature 60``).

The older spellings stay accepted as input, so that stored rules and the rules of the
"agregation-document-budgetaire" tool keep working; they are shown back in plain French:

========================  ==================  ================  =========
meaning                   existing tool       ASCII             plain
========================  ==================  ================  =========
intersection              ``∩``               ``&`` or ``^``    ``et``
union                     ``∪`` or ``+``      ``|``             ``ou``
difference                ``-``               ``-``             ``sauf``
========================  ==================  ================  =========

Precedence follows the existing tool (checked against every Gironde formula): ``∩``
(``et``) binds tighter than ``∪``/``+``/``-`` (``ou``, ``sauf``), which share one level
and associate to the left, so ``DF∩C73914+C73926`` is ``(DF∩C73914) ∪ C73926`` and
``A-B∩C`` is ``A - (B∩C)``. Both renderings (:func:`plain`, :func:`native`) write the
parentheses of any mix of levels, so the reader never needs the rule.

Atoms of the existing tool: ``R D F I RF RI DF DI`` (direction, section, both),
``Ch<code>`` chapter, ``C<code>`` account and its descendants, ``F<code>`` function and
its descendants, ``Ann<year>``. The ASCII notation, kept as the stored text of rule sets
(:func:`native`): ``sens:D``, ``section:F``, ``chapitre:011``, ``compte:60``,
``nature:6064`` / ``nature:6*``, ``fonction:4``, ``fonction=41``, ``fonction:*`` /
``fonction:aucune``, ``annee:2018``, ``reel`` / ``ordre``, ``tout``; ``=`` in place of
``:`` selects the code itself (``compte=60`` is read as ``nature:60``). A spreadsheet
mapping lists codes as they are, so its rules use ``=``.
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
        self.message = message
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


def _native_atom(
    kind: str,
    key: str,
    sep: str,
    value: str,
    text: str,
    pos: int,
    value_pos: int | None = None,
    glue: str | None = None,
) -> Atom:
    """The atom of ``key`` (``sep`` ``:`` or ``=``) and ``value``; ``value_pos`` and
    ``glue`` place and spell the error of a plain-French ``key value``."""

    def bad(expected: str, suggestion: str | None = None) -> FormulaError:
        return FormulaError(
            _ERR_VALUE.with_params(value=value, key=key, expected=expected),
            text,
            pos + len(key) + 1 if value_pos is None else value_pos,
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
        raise bad("code", f"{key}{sep if glue is None else glue}{digits}" if digits else None)
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
    plain = _suggest(folded, [*_PLAIN_WORDS, *_PLAIN_KEYS])
    if plain is not None:
        return _PLAIN_SPELLING.get(plain, plain)
    return _suggest(folded, [*_FLAGS, *_LEGACY_WORDS]) or (
        word.upper() if word.upper() in _LEGACY_WORDS else None
    )


# --- plain French words ---------------------------------------------------------------

_PLAIN_WORDS: dict[str, tuple[Atom, ...]] = {
    **dict.fromkeys(
        ("depense", "depenses", "expenditure", "expense", "expenses"), (Atom("sens", "D"),)
    ),
    **dict.fromkeys(
        ("recette", "recettes", "revenue", "revenues", "receipts"), (Atom("sens", "R"),)
    ),
    **dict.fromkeys(("fonctionnement", "operating"), (Atom("section", "F"),)),
    **dict.fromkeys(("investissement", "investment"), (Atom("section", "I"),)),
    **dict.fromkeys(("reel", "reels", "reelle", "reelles", "real"), (Atom("reel"),)),
    **dict.fromkeys(("ordre", "order"), (Atom("ordre"),)),
    **dict.fromkeys(("tout", "toutes", "all"), (Atom("tout"),)),
}
"""Words that are atoms by themselves (folded: no accent, lower case)."""
_PLAIN_KEYS = {
    **dict.fromkeys(("chapitre", "chapitres", "chapter", "chapters"), "chapitre"),
    **dict.fromkeys(("compte", "comptes", "account", "accounts"), "compte"),
    **dict.fromkeys(("nature", "natures"), "nature"),
    **dict.fromkeys(("fonction", "fonctions", "function", "functions"), "fonction"),
    **dict.fromkeys(("annee", "annees", "year", "years", "exercice"), "annee"),
    **dict.fromkeys(("sens", "direction"), "sens"),
    "section": "section",
}
"""Keywords followed by a code, or by ``=`` and a code, or by a list of them."""
_PLAIN_FUNCTION = {
    "sans": NO_FUNCTION,
    "without": NO_FUNCTION,
    "avec": ANY_FUNCTION,
    "with": ANY_FUNCTION,
}
"""``sans fonction`` (no function) and ``avec fonction`` (any function)."""
_PLAIN_SPELLING = {
    "depense": "dépense",
    "depenses": "dépenses",
    "reel": "réel",
    "annee": "année",
    "annees": "années",
}
_WORD_OPS = {
    **dict.fromkeys(("et", "and"), "&"),
    **dict.fromkeys(("ou", "or"), "|"),
    **dict.fromkeys(("sauf", "hors", "except"), "-"),
}

_PLAIN_OPS = {"&": "et", "|": "ou", "-": "sauf"}
_PLAIN_ATOMS = {
    ("sens", "D"): "dépenses",
    ("sens", "R"): "recettes",
    ("section", "F"): "fonctionnement",
    ("section", "I"): "investissement",
    ("fonction", ANY_FUNCTION): "avec fonction",
    ("fonction", NO_FUNCTION): "sans fonction",
    ("reel", ""): "réel",
    ("ordre", ""): "ordre",
    ("tout", ""): "tout",
}
_PLAIN_NAMES = {
    # kind: (one, several, after the code)
    "chapitre": ("chapitre", "chapitres", ""),
    "compte": ("compte", "comptes", ""),
    "nature": ("nature", "natures", ""),
    "nature_prefix": ("nature", "natures", "*"),
    "fonction": ("fonction", "fonctions", ""),
    "fonction_exact": ("fonction =", "fonctions =", ""),
    "annee": ("année", "années", ""),
}
_LISTED = frozenset(("chapitre", "compte", "nature", "nature_prefix", "fonction", "fonction_exact"))


def keyword_kind(word: str) -> str | None:
    """The kind of atom a keyword (``chapitres``, ``Fonction``, ``account``) selects."""
    return _PLAIN_KEYS.get(_fold(word))


fold = _fold
"""Lower case without accents, as words of formulas are compared."""


def _plain_atom(atom: Atom) -> str:
    word = _PLAIN_ATOMS.get((atom.kind, atom.value))
    if word is not None:
        return word
    if atom.kind in ("sens", "section"):
        return f"{atom.kind} {atom.value}"
    one, _, suffix = _PLAIN_NAMES[atom.kind]
    return f"{one} {atom.value}{suffix}"


def _listable(atom: Atom) -> bool:
    return atom.kind in _LISTED and atom.value not in (ANY_FUNCTION, NO_FUNCTION)


def _list_items(node: Formula) -> list[Atom] | None:
    """The codes of a union of atoms of one kind (``chapitres 20, 21, 23``), in order;
    None for anything else."""
    rights: list[Atom] = []
    while isinstance(node, BinOp):
        if node.op != "|" or not isinstance(node.right, Atom):
            return None
        rights.append(node.right)
        node = node.left
    if not rights or not _listable(node):
        return None
    if any(right.kind != node.kind or not _listable(right) for right in rights):
        return None
    return [node, *reversed(rights)]


def _plain_list(items: list[Atom]) -> str:
    _, several, suffix = _PLAIN_NAMES[items[0].kind]
    return f"{several} " + ", ".join(f"{item.value}{suffix}" for item in items)


def _plain_factor(node: Formula) -> str:
    """A right operand: an atom, a list, or anything else in parentheses."""
    if isinstance(node, Atom):
        return _plain_atom(node)
    items = _list_items(node)
    if items is not None:
        return _plain_list(items)
    return f"({plain(node)})"


def plain(formula: Formula) -> str:
    """The formula in plain French, as people read and write it; parsing it gives back
    the same formula. Left chains of one level stay flat, any mix is parenthesised,
    unions of codes of one kind become lists. Iterative along the left spine (imported
    spreadsheets make unions of thousands of terms)."""
    spine: list[BinOp] = []
    node: Formula = formula
    while isinstance(node, BinOp):
        spine.append(node)
        node = node.left
    listed = 0  # spine nodes, from the bottom, that make one list with the bottom atom
    if _listable(node):
        for parent in reversed(spine):
            right = parent.right
            if parent.op == "|" and isinstance(right, Atom) and right.kind == node.kind:
                if not _listable(right):
                    break
                listed += 1
            else:
                break
    if listed:
        items = [node, *(parent.right for parent in reversed(spine[len(spine) - listed :]))]
        text = _plain_list([item for item in items if isinstance(item, Atom)])
        spine = spine[: len(spine) - listed]
    else:
        text = _plain_atom(node)
    factor = True  # the text so far is an atom or a list
    for parent in reversed(spine):
        child = parent.left
        if not factor and isinstance(child, BinOp) and _level(child.op) != _level(parent.op):
            text = f"({text})"
        text = f"{text} {_PLAIN_OPS[parent.op]} {_plain_factor(parent.right)}"
        factor = False
    return text


def plain_text(text: str | None) -> str:
    """A stored formula's text as shown to people: in plain French, or as it is when it
    does not parse (the checks report it)."""
    if not text or not text.strip():
        return ""
    try:
        return plain(parse_formula(text))
    except FormulaError:
        return text


class _Token(NamedTuple):
    kind: str  # "word", "&", "|", "-", "(", ")", ",", "=", "end"
    pos: int
    text: str


_TOKEN = re.compile(r"\s*(?:(?P<op>[∩&^∪+|\-−(),=])|(?P<word>[^\s()∩∪+|&^\-−,=]+))")
_OP_KIND = {
    **dict.fromkeys(INTER_OPS, "&"),
    **dict.fromkeys(UNION_OPS, "|"),
    **dict.fromkeys(DIFF_OPS, "-"),
    "(": "(",
    ")": ")",
    ",": ",",
    "=": "=",
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
        kind = _WORD_OPS.get(_fold(word), "word")
        tokens.append(_Token(kind, match.start("word"), word))
    tokens.append(_Token("end", len(text), ""))
    return tokens


def _atoms_of(word: str, text: str, pos: int) -> tuple[Atom, ...]:
    atoms = _KNOWN_WORDS.get(word)
    if atoms is None:
        atoms = _PLAIN_WORDS.get(_fold(word)) or _word_atoms(word, text, pos)
        if len(_KNOWN_WORDS) < _KNOWN_WORDS_MAX:
            _KNOWN_WORDS[word] = atoms
    return atoms


_LEGACY_HEADS = (("Ch", "chapitre "), ("Ann", "année "), ("C", "compte "), ("F", "fonction "))
_SYMBOLS = re.compile(r"[∩∪&|^+:]")


def _in_words(error: FormulaError) -> FormulaError:
    """A formula written in words gets its suggestion in words: « dépenses et 6574 »
    → « compte 6574 », where one in symbols (``DF∩6574``) gets ``C6574``."""
    suggestion = error.suggestion
    if not suggestion or _SYMBOLS.search(error.text) or _legacy_looking(error.text.split()[0]):
        return error
    for head, words in _LEGACY_HEADS:
        if re.fullmatch(rf"{head}[0-9][0-9A-Za-z]*", suggestion):
            return FormulaError(
                error.message, error.text, error.position, words + suggestion[len(head) :]
            )
    return error


def _legacy_looking(word: str) -> bool:
    return word in _LEGACY_WORDS or ":" in word or any(p.match(word) for p, _ in _LEGACY)


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
_ERR_CODE = Message(
    "Code attendu après « {key} », trouvé « {found} »",
    "Expected a code after '{key}', found '{found}'",
)
_ERR_FUNCTION = Message(
    "« fonction » attendu après « {word} »",
    "'fonction' (function) expected after '{word}'",
)


def _conj(items: tuple[Atom, ...]) -> Formula:
    result: Formula = items[0]
    for item in items[1:]:
        result = BinOp("&", result, item)
    return result


class _Parser:
    """``expr := term (('ou'|'sauf'|'∪'|'+'|'-') term)*``;
    ``term := factor (('et'|'∩') factor)*``;
    ``factor := word | keyword ['='] code (',' code)* | ('sans'|'avec') 'fonction'
    | '(' expr ')'``."""

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
        if token.kind == "word":
            return self.word(token)
        if token.kind == "(":
            inner = self.expr()
            closing = self.peek()
            if closing.kind != ")":
                raise FormulaError(_ERR_CLOSE, self.text, closing.pos, self.text + ")")
            self.take()
            return inner
        shown = token.text or "fin / end"
        raise FormulaError(_ERR_EXPECTED.with_params(found=shown), self.text, token.pos)

    def word(self, token: _Token) -> Formula:
        folded = _fold(token.text)
        kind = _PLAIN_KEYS.get(folded)
        if kind is not None:
            return self.keyed(kind, token)
        wanted = _PLAIN_FUNCTION.get(folded)
        if wanted is not None:
            after = self.peek()
            if after.kind != "word" or _PLAIN_KEYS.get(_fold(after.text)) != "fonction":
                raise FormulaError(
                    _ERR_FUNCTION.with_params(word=token.text),
                    self.text,
                    after.pos,
                    f"{token.text} fonction",
                )
            self.take()
            return Atom("fonction", wanted)
        try:
            return _conj(_atoms_of(token.text, self.text, token.pos))
        except FormulaError as error:
            raise _in_words(error) from None

    def keyed(self, kind: str, key: _Token) -> Formula:
        """``chapitre 012``, ``fonction = 41``, ``chapitres 20, 21, 23``."""
        exact = self.peek().kind == "="
        if exact:
            self.take()
        result = self.code(kind, key, exact)
        while self.peek().kind == ",":
            self.take()
            result = BinOp("|", result, self.code(kind, key, exact))
        return result

    def code(self, kind: str, key: _Token, exact: bool) -> Atom:
        token = self.peek()
        if token.kind != "word":
            raise FormulaError(
                _ERR_CODE.with_params(key=key.text, found=token.text or "fin / end"),
                self.text,
                token.pos,
            )
        self.take()
        atom = _native_atom(
            kind,
            key.text,
            "=" if exact else ":",
            token.text,
            self.text,
            key.pos,
            value_pos=token.pos,
            glue=" = " if exact else " ",
        )
        return _exactly(atom) if exact else atom


def parse_formula(text: str) -> Formula:
    """Parse a formula in any of the accepted spellings; :class:`FormulaError` if invalid."""
    if not text or not text.strip():
        raise FormulaError(_ERR_EMPTY, text or "", 0)
    parser = _Parser(text)
    result = parser.expr()
    extra = parser.peek()
    if extra.kind != "end":
        suggestion = None
        if extra.kind == "word":
            joiner = "∪" if _legacy_looking(extra.text) else "ou"
            suggestion = f"{text[: extra.pos].rstrip()} {joiner} {text[extra.pos :]}"
        raise FormulaError(_ERR_EXTRA.with_params(found=extra.text), text, extra.pos, suggestion)
    return result
