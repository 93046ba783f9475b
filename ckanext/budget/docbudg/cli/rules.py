"""``budget-doc rules import``: the rules a finance department keeps, as a rule set file.

A spreadsheet mapping, a Gironde tool JSON tree or its split-lines CSV becomes the native
YAML (or JSON) that ``budget-doc aggregate --rules`` reads. The whole file is read and the
rule set checked (formulas, unique ids) before anything is written; what the import
noticed is printed on standard error.
"""

from __future__ import annotations

import datetime
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import texts as T
from .failures import EXIT_FAILED, EXIT_OK, error, say
from .files import write_output
from .options import Settings, described

if TYPE_CHECKING:
    from ..aggregation import RuleSet
    from ..nomenclature import Plan

FORMATS = ("gironde", "corrections", "mapping")
MAPPING_SUFFIXES = (".csv", ".xlsx", ".xlsm")
CORRECTIONS_HEADER = ("Exer", "CodRD", "Nature")
OPTIONS_OF = {
    "mapping": {
        "columns": "--column",
        "trees": "--tree",
        "sheet": "--sheet",
        "nomenclature": "--nomenclature",
        "exer": "--exer",
    },
    "gironde": {"corrections": "--corrections"},
    "corrections": {"base": "--rules"},
}
"""The options that only one format takes, by their parameter name."""


def command(lang: str) -> click.Group:
    @click.group(
        "rules",
        help=T.HELP_RULES_GROUP.text(lang),
        short_help=T.HELP_RULES_GROUP.text(lang),
        no_args_is_help=False,
        subcommand_metavar=T.ACTION_METAVAR.text(lang),
    )
    def rules() -> None:
        """Only a group: its commands do the work."""

    files = T.FILE_METAVAR.text(lang)

    @rules.command("import", **described(lang, T.HELP_RULES_IMPORT, (files, T.HELP_RULES_SOURCE)))
    @click.argument("source", metavar=files)
    @click.option(
        "-o", "--output", required=True, metavar=files, help=T.HELP_RULES_OUTPUT.text(lang)
    )
    @click.option(
        "--format", "fmt", type=click.Choice(FORMATS), help=T.HELP_RULES_FORMAT.text(lang)
    )
    @click.option(
        "--column",
        "columns",
        multiple=True,
        metavar=T.ASSIGNMENT_METAVAR.text(lang),
        help=T.HELP_RULES_COLUMN.text(lang),
    )
    @click.option(
        "--tree",
        "trees",
        multiple=True,
        metavar=T.TREE_COLUMNS_METAVAR.text(lang),
        help=T.HELP_RULES_TREE.text(lang),
    )
    @click.option("--sheet", metavar=T.TEXT_METAVAR.text(lang), help=T.HELP_RULES_SHEET.text(lang))
    @click.option("--corrections", metavar=files, help=T.HELP_RULES_CORRECTIONS.text(lang))
    @click.option("--rules", "base", metavar=files, help=T.HELP_RULES_BASE.text(lang))
    @click.option(
        "--nomenclature", metavar="NOMENCLATURE", help=T.HELP_RULES_NOMENCLATURE.text(lang)
    )
    @click.option(
        "--exer", type=int, metavar=T.YEAR_METAVAR.text(lang), help=T.HELP_RULES_EXER.text(lang)
    )
    @click.pass_context
    def import_(
        ctx: click.Context, source: str, output: str, fmt: str | None, **options: Any
    ) -> int:
        return import_rules(ctx, source, output, fmt or _format_of(ctx, source), options)

    return rules


def _format_of(ctx: click.Context, source: str) -> str:
    """``gironde`` for a .json, ``corrections`` for a CSV with the split-lines header,
    ``mapping`` for another CSV or an XLSX."""
    suffix = Path(source).suffix.lower()
    if suffix == ".json":
        return "gironde"
    if suffix == ".csv":
        with open(source, encoding="utf-8-sig", errors="replace") as fh:
            first = fh.readline()
        if all(name in first for name in CORRECTIONS_HEADER) and "Identifiant" in first:
            return "corrections"
        return "mapping"
    if suffix in MAPPING_SUFFIXES:
        return "mapping"
    ctx.fail(T.ERR_RULES_FORMAT.with_params(path=source).text())


def _assignments(ctx: click.Context, values: tuple[str, ...], expected: str) -> dict[str, str]:
    """``{left: right}`` from ``LEFT=RIGHT`` options; anything else is a usage error."""
    out = {}
    for value in values:
        left, sep, right = value.partition("=")
        if not (sep and left.strip() and right.strip()):
            ctx.fail(T.ERR_ASSIGNMENT.with_params(value=value, expected=expected).text())
        out[left.strip()] = right.strip()
    return out


def _check_options(ctx: click.Context, fmt: str, options: dict[str, Any]) -> None:
    """Options of one format given with another are refused, not ignored."""
    for owner, flags in OPTIONS_OF.items():
        given = [flag for name, flag in flags.items() if options.get(name)]
        if given and owner != fmt:
            ctx.fail(T.ERR_RULES_OPTIONS.with_params(options=", ".join(given), fmt=owner).text())
    if fmt == "corrections" and not options.get("base"):
        ctx.fail(T.ERR_RULES_BASE.text())


def import_rules(
    ctx: click.Context, source: str, output: str, fmt: str, options: dict[str, Any]
) -> int:
    """Import, check, write; errors on standard error, nothing written (exit status 1)."""
    from zipfile import BadZipFile

    from yaml import YAMLError

    from ..aggregation import (
        FormulaError,
        RuleSetError,
        dump_ruleset,
        ruleset_from_dict,
        ruleset_to_dict,
    )

    _check_options(ctx, fmt, options)
    try:
        ruleset = _imported(ctx, source, fmt, options)
        ruleset_from_dict(ruleset_to_dict(ruleset))  # what aggregate --rules will accept
    except (RuleSetError, FormulaError) as exc:
        error(T.ERR_RULES_UNREADABLE.with_params(path=source, reason=exc.msg))
        return EXIT_FAILED
    except (ValueError, KeyError, AttributeError, BadZipFile, YAMLError) as exc:  # its shape
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        error(T.ERR_RULES_UNREADABLE.with_params(path=source, reason=reason))
        return EXIT_FAILED
    for note in ruleset.notes:
        say(T.NOTE, sys.stderr, note=note.text())
    text = dump_ruleset(ruleset, "json" if output.lower().endswith(".json") else "yaml")
    write_output(output, text.encode("utf-8"))
    _summary(ruleset, output)
    return EXIT_OK


def _imported(ctx: click.Context, source: str, fmt: str, options: dict[str, Any]) -> RuleSet:
    from ..aggregation import import_corrections, import_gironde, import_mapping, load_ruleset
    from ..aggregation.importers import slug

    if fmt == "gironde":
        return import_gironde(source, options.get("corrections"))
    if fmt == "corrections":
        return import_corrections(source, load_ruleset(options["base"]))
    trees = _assignments(ctx, options["trees"], T.TREE_COLUMNS_METAVAR.text())
    rules = import_mapping(
        source,
        columns=_assignments(ctx, options["columns"], T.ASSIGNMENT_METAVAR.text()),
        hierarchies={
            name: [h.strip() for h in headers.split(",")] for name, headers in trees.items()
        },
        sheet=options.get("sheet"),
        plan=_plan(ctx, options),
        ruleset_id=slug(Path(source).stem),
        guess=True,
    )
    rules.label = Path(source).stem
    return rules


def _plan(ctx: click.Context, options: dict[str, Any]) -> Plan | None:
    from ..nomenclature import find_plan

    nomenclature = options.get("nomenclature")
    if not nomenclature:
        return None
    exer = options.get("exer") or datetime.date.today().year
    settings: Settings = ctx.find_root().obj
    plan = find_plan(exer, nomenclature, plans_dir=settings.plans_dir)
    if plan is None:
        ctx.fail(T.ERR_NO_PLAN.with_params(nomenclature=nomenclature, exer=exer).text())
    return plan


def _summary(ruleset: RuleSet, output: str) -> None:
    """What was written, on standard error (standard output may be the rules)."""
    parts = []
    for tree in ruleset.trees:
        categories = sum(1 for _ in tree.walk())
        parts.append(
            T.RULES_TREE_SUMMARY.with_params(
                tree=tree.id, categories=categories, leaves=len(tree.leaves())
            ).text()
        )
    if ruleset.corrections:
        parts.append(T.RULES_CORRECTIONS.with_params(count=len(ruleset.corrections)).text())
    say(
        T.RULES_WRITTEN, sys.stderr, path=output, trees=len(ruleset.trees), summary=", ".join(parts)
    )
    if output != "-":
        say(T.RULES_NEXT, sys.stderr, path=output)
