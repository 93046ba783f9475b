"""``budget-doc convert``: anonymise, then export (SCDL budget, SCDL subsidies, lines)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from . import texts as T
from .failures import EXIT_FAILED, EXIT_OK, say
from .files import write_output
from .options import Settings, described, document_argument, output_option, policy, policy_options

if TYPE_CHECKING:
    from ..export import ExportResult

EXPORT_CHOICES = ("scdl-budget", "scdl-subventions", "lines")


def command(lang: str) -> click.Command:
    @click.command(
        "convert", **described(lang, T.HELP_CONVERT, (T.FILE_METAVAR.text(lang), T.HELP_FILE))
    )
    @document_argument(lang)
    @click.option(
        "--to", required=True, type=click.Choice(EXPORT_CHOICES), help=T.HELP_TO.text(lang)
    )
    @click.option(
        "--format",
        "output_format",
        type=click.Choice(("csv", "json")),
        default="csv",
        help=T.HELP_FORMAT.text(lang),
    )
    @output_option(lang)
    @policy_options(lang)
    @click.pass_obj
    def convert(
        settings: Settings,
        file: str,
        to: str,
        output_format: str,
        output: str,
        strict: bool,
        replacement: str | None,
    ) -> int:
        from ..pipeline import process

        key = f"{to}.{output_format}"
        result = process(
            file,
            policy=policy(strict, replacement),
            limits=settings.limits(),
            plans_dir=settings.plans_dir,
            exports=(key,),
        )
        if to in result.export_errors:
            say(T.ERROR_PREFIX, sys.stderr, message=result.export_errors[to].text())
            return EXIT_FAILED
        produced = result.exports[key]
        write_output(output, produced.data)
        report_export(produced, output, result.validation.counts().get("error", 0))
        return EXIT_OK

    return convert


def report_export(produced: ExportResult, output: str, errors: int) -> None:
    """On standard error (standard output may be the export): rows, notes, skipped records."""
    stream = sys.stderr
    if output != "-":
        say(T.WROTE, stream, path=output)
    say(T.EXPORT_ROWS, stream, rows=produced.rows)
    for note in produced.notes:
        say(T.NOTE, stream, note=note.text())
    if produced.skipped:
        say(T.EXPORT_SKIPPED, stream, count=len(produced.skipped))
        for row in produced.skipped:
            say(T.SKIPPED_ROW, stream, line=row.sourceline or "?", reason=row.reason.text())
    if errors:
        say(T.VALIDATION_HAS_ERRORS, stream, count=errors)
