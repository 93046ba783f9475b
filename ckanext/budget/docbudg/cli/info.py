"""``budget-doc info``: a document's header in words (authority, year, stage) and counts."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import click

from ..messages import default_language
from . import texts as T
from .failures import EXIT_OK
from .options import Settings, described, document_argument


def command(lang: str) -> click.Command:
    @click.command("info", **described(lang, T.HELP_INFO, (T.FILE_METAVAR.text(lang), T.HELP_FILE)))
    @document_argument(lang)
    @click.option(
        "--format",
        "output_format",
        type=click.Choice(("text", "json")),
        default="text",
        help=T.HELP_FORMAT.text(lang),
    )
    @click.pass_obj
    def info(settings: Settings, file: str, output_format: str) -> int:
        return show_info(file, settings, as_json=output_format == "json")

    return info


def show_info(path: str, settings: Settings, *, as_json: bool) -> int:
    from ..reader import read_document

    doc = read_document(path, settings.limits())
    header = doc.header
    lang = default_language()
    calculated = sum(1 for line in doc.lines if line.calculated)
    stage = header.stage
    annexes = doc.annex_blocks()
    if as_json:
        payload = {
            "header": asdict(header),
            "stage_label": getattr(stage, "label_" + lang) if stage is not None else None,
            "is_cfu": doc.is_cfu,
            "lines": len(doc.lines),
            "calculated_lines": calculated,
            "annexes": annexes,
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return EXIT_OK
    if stage is not None:
        stage_text = f"{getattr(stage, 'label_' + lang)} (NatDec {header.nat_dec})"
    else:
        stage_text = T.UNKNOWN_STAGE.with_params(code=header.nat_dec or "-").text()
    budget = f"{header.libelle_etab or '-'} (SIRET {header.id_etab or '-'}"
    if header.is_principal is not None:
        budget += f", {(T.PRINCIPAL if header.is_principal else T.ANNEXE).text()}"
    facts: dict[str, Any] = {
        "authority": f"{header.libelle_coll or '-'} (SIRET {header.id_coll or '-'})",
        "budget": budget + ")",
        "nomenclature": header.nomenclature or T.NOT_GIVEN.text(),
        "exer": str(header.exer) if header.exer is not None else T.NOT_GIVEN.text(),
        "stage": stage_text,
        "schema": str(header.version_schema or "-"),
        "lines": T.LINES_DETAIL.with_params(total=len(doc.lines), calculated=calculated).text(),
        "annexes": ", ".join(f"{name} {count}" for name, count in sorted(annexes.items()))
        or T.NO_ANNEX.text(),
    }
    width = max(len(T.INFO_LINES[key].text()) for key in facts)
    for key, value in facts.items():
        print(f"{T.INFO_LINES[key].text():<{width}} : {value}")
    return EXIT_OK
