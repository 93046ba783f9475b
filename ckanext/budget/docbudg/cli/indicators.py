"""``budget-doc indicators``: a document's key indicators with their definitions, as a
table of words in the session's language or as the JSON the portal stores."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import click

from ..messages import default_language
from . import texts as T
from .failures import EXIT_OK
from .options import Settings, described, document_argument


def command(lang: str) -> click.Command:
    @click.command(
        "indicators",
        **described(lang, T.HELP_INDICATORS, (T.FILE_METAVAR.text(lang), T.HELP_FILE)),
    )
    @document_argument(lang)
    @click.option("--json", "as_json", is_flag=True, help=T.HELP_INDICATORS_JSON.text(lang))
    @click.pass_obj
    def indicators(settings: Settings, file: str, as_json: bool) -> int:
        return print_indicators(file, settings, as_json=as_json)

    return indicators


def grouped(value: str, lang: str) -> str:
    """``-1 234,56`` (fr, narrow no-break spaces) or ``-1,234.56`` (en) from ``-1234.56``:
    the stored text regrouped, never through a float."""
    sign, digits = ("-", value[1:]) if value.startswith("-") else ("", value)
    whole, _, fraction = digits.partition(".")
    thousands = f"{int(whole):,}"
    if lang == "fr":
        return sign + thousands.replace(",", "\u202f") + ("," + fraction if fraction else "")
    return sign + thousands + ("." + fraction if fraction else "")


def euros(value: str, lang: str) -> str:
    text = grouped(value, lang)
    if lang == "fr":
        return f"{text}\u00a0€"
    return f"-€{text[1:]}" if text.startswith("-") else f"€{text}"


def _rows(result: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    from ..figures.analysis import AMOUNTS, labels, reasons

    names, why = labels(lang), reasons(result, lang)

    def missing(key: str) -> str:
        reason = why.get(key)
        return (
            T.NOT_COMPUTED.with_params(reason=reason).text() if reason else T.NOT_AVAILABLE.text()
        )

    population = result["population"]
    rows = [
        (
            names["population"],
            T.INHABITANTS.with_params(count=grouped(str(population), lang)).text()
            if population
            else missing("population"),
        )
    ]
    for key in AMOUNTS:
        value, per_inhabitant = result[key], result["par_habitant"].get(key)
        text = euros(value, lang) if value is not None else missing(key)
        if value is not None and per_inhabitant is not None:
            amount = euros(per_inhabitant, lang)
            text += f" ({T.PER_INHABITANT.with_params(amount=amount).text()})"
        rows.append((names[key], text))
    years = result["capacite_desendettement"]
    rows.append(
        (
            names["capacite_desendettement"],
            T.YEARS.with_params(years=grouped(years, lang)).text()
            if years
            else missing("capacite_desendettement"),
        )
    )
    return rows


def _notes(result: dict[str, Any], lang: str) -> list[str]:
    """What the totals leave out, and how complete the subsidies' detail is."""
    from ..conventions import NEUTRAL_GROUPS

    notes = []
    for group in NEUTRAL_GROUPS:
        spent = result["grands_chiffres"]["operations_neutres"][group.key]["depenses"]
        if spent and spent != "0.00":
            notes.append(
                T.LEFT_OUT.with_params(label=group.label, amount=euros(spent, lang)).text(lang)
            )
    subsidies = result["subventions_detaillees"]
    if subsidies["taux"] is not None:
        percent = (Decimal(subsidies["taux"]) * 100).quantize(Decimal("0.1"))
        ratio = grouped(str(percent), lang) + "\u00a0%"
        notes.append(
            T.SUBSIDIES_LISTED.with_params(
                listed=euros(subsidies["annexe"], lang),
                accounted=euros(subsidies["comptes"], lang),
                ratio=ratio,
            ).text(lang)
        )
    return notes


def print_indicators(path: str, settings: Settings, *, as_json: bool) -> int:
    from ..figures.analysis import AMOUNTS, compute, definitions, labels
    from ..reader import read_document

    doc = read_document(path, settings.limits())
    result = compute(doc)
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return EXIT_OK
    lang = default_language()
    header = doc.header
    stage = getattr(header.stage, "label_" + lang) if header.stage else header.nat_dec or "-"
    nature = T.NATURES[result["nature"]]
    print(
        T.INDICATORS_HEADLINE.with_params(
            document=f"{stage} {header.exer or ''}".strip(), nature=nature
        ).text(lang)
    )
    rows = _rows(result, lang)
    width = max(len(label) for label, _ in rows)
    for label, text in rows:
        print(f"{label:<{width}}  {text}")
    for note in _notes(result, lang):
        print(note)
    print(f"\n{T.INDICATORS_DEFINITIONS.text()}")
    names, texts = labels(lang), definitions(lang)
    for key in ("population", *AMOUNTS, "capacite_desendettement"):
        print(T.DEFINITION_LINE.with_params(label=names[key], text=texts[key]).text())
    return EXIT_OK
