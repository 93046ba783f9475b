"""Findings and the validation report: what every layer produces and every caller reads.

A finding is located twice, by line number (for whoever opens the XML in an editor) and by a
readable path such as ``Budget/LigneBudget[12]/Nature`` (for whoever reads the report in a
browser). Messages are bilingual and never quote a value of the document that could be
personal data.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..messages import LANGUAGES, Message

ERROR = "error"
WARNING = "warning"
INFO = "info"
SEVERITIES = (ERROR, WARNING, INFO)

LAYER_READING = "reading"
"""1. Well-formed XML, declared encoding, no DTD, size limits (the reader's checks)."""
LAYER_STRUCTURE = "structure"
"""2. Root element, namespace, compte financier unique unwrapped."""
LAYER_SCHEMA = "schema"
"""3. The official XSD (bundled V95)."""
LAYER_METADATA = "metadata"
"""4. SIRET, year, stage, plan de comptes for the year."""
LAYER_CODES = "codes"
"""5. Codes of the budget lines against the plan de comptes."""
LAYER_BALANCES = "balances"
"""6. Balances of the budget lines."""
LAYER_ANNEXES = "annexes"
"""7. Annexes consistent with the budget lines."""
LAYERS = (
    LAYER_READING,
    LAYER_STRUCTURE,
    LAYER_SCHEMA,
    LAYER_METADATA,
    LAYER_CODES,
    LAYER_BALANCES,
    LAYER_ANNEXES,
)

MAX_FINDINGS_PER_CODE = 200
"""A broken export can repeat one defect on every line; past this many, one summary."""

TRUNCATED_CODE = "too_many_findings"
_TRUNCATED = Message(
    "{omitted} autres constats « {code} » ne sont pas listés (au-delà de {cap} par type).",
    "{omitted} more '{code}' findings are not listed (beyond {cap} per kind).",
)
_TRUNCATED_HINT = Message(
    "Corrigez d'abord les constats listés de ce type : ils ont très probablement la même "
    "cause que ceux qui ne sont pas affichés.",
    "Fix the listed findings of this kind first: the ones not shown most likely share their cause.",
)


@dataclass(frozen=True)
class Finding:
    """One thing the validator noticed about a document."""

    code: str
    """Stable identifier, e.g. ``siret_checksum``; for programs and documentation links."""
    severity: str
    layer: str
    message: Message
    hint: Message | None
    """What to do about it."""
    line: int | None
    path: str | None
    """Readable location, e.g. ``Budget/LigneBudget[12]/Nature``."""

    def as_dict(self, lang: str | None = None) -> dict[str, Any]:
        def text(message: Message | None) -> str | dict[str, str] | None:
            if message is None:
                return None
            return message.text(lang) if lang else message.as_dict()

        return {
            "code": self.code,
            "severity": self.severity,
            "layer": self.layer,
            "line": self.line,
            "path": self.path,
            "message": text(self.message),
            "hint": text(self.hint),
        }


@dataclass
class ValidationReport:
    """Every finding about one document, in layer order."""

    findings: list[Finding] = field(default_factory=list)

    def _of(self, severity: str) -> list[Finding]:
        return [f for f in self.findings if f.severity == severity]

    @property
    def errors(self) -> list[Finding]:
        return self._of(ERROR)

    @property
    def warnings(self) -> list[Finding]:
        return self._of(WARNING)

    @property
    def infos(self) -> list[Finding]:
        return self._of(INFO)

    @property
    def status(self) -> str:
        """``errors`` if any error, else ``warnings`` if any warning, else ``valid``."""
        severities = {f.severity for f in self.findings}
        if ERROR in severities:
            return "errors"
        return "warnings" if WARNING in severities else "valid"

    @property
    def codes(self) -> set[str]:
        return {f.code for f in self.findings}

    def counts(self) -> dict[str, int]:
        found = Counter(f.severity for f in self.findings)
        return {severity: found[severity] for severity in SEVERITIES}

    def counts_by_layer(self) -> dict[str, dict[str, int]]:
        found = Counter((f.layer, f.severity) for f in self.findings)
        return {
            layer: {severity: found[(layer, severity)] for severity in SEVERITIES}
            for layer in LAYERS
        }

    def as_dict(self, lang: str | None = None) -> dict[str, Any]:
        """JSON-able; messages in ``lang``, or in every language when ``lang`` is None."""
        if lang is not None and lang not in LANGUAGES:
            raise ValueError(f"unknown language {lang!r}; expected one of {LANGUAGES}")
        return {
            "status": self.status,
            "counts": self.counts(),
            "counts_by_layer": self.counts_by_layer(),
            "findings": [f.as_dict(lang) for f in self.findings],
        }


class FindingCollector:
    """Gathers findings, keeping at most ``cap`` per code and summarising the rest."""

    def __init__(self, cap: int = MAX_FINDINGS_PER_CODE) -> None:
        self.cap = cap
        self._findings: list[Finding] = []
        self._seen: Counter[str] = Counter()
        self._first: dict[str, Finding] = {}

    def add(
        self,
        code: str,
        severity: str,
        layer: str,
        message: Message,
        hint: Message | None = None,
        *,
        line: int | None = None,
        path: str | None = None,
    ) -> None:
        self._seen[code] += 1
        if self._seen[code] > self.cap:
            return
        finding = Finding(code, severity, layer, message, hint, line, path)
        self._first.setdefault(code, finding)
        self._findings.append(finding)

    def count(self, code: str) -> int:
        return self._seen[code]

    def report(self) -> ValidationReport:
        findings = list(self._findings)
        for code, seen in self._seen.items():
            if seen > self.cap:
                first = self._first[code]
                findings.append(
                    Finding(
                        TRUNCATED_CODE,
                        first.severity,
                        first.layer,
                        _TRUNCATED.with_params(omitted=seen - self.cap, code=code, cap=self.cap),
                        _TRUNCATED_HINT,
                        None,
                        None,
                    )
                )
        order = {layer: i for i, layer in enumerate(LAYERS)}
        findings.sort(key=lambda f: order.get(f.layer, len(LAYERS)))
        return ValidationReport(findings)
