"""``budget-doc validate``: the validation report, exit code 1 when the document has errors."""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

import click

from ..messages import default_language
from . import texts as T
from .failures import EXIT_FAILED, EXIT_OK, say
from .options import Settings, described, document_argument


def command(lang: str) -> click.Command:
    @click.command(
        "validate", **described(lang, T.HELP_VALIDATE, (T.FILE_METAVAR.text(lang), T.HELP_FILE))
    )
    @document_argument(lang)
    @click.option(
        "--format",
        "output_format",
        type=click.Choice(("text", "json")),
        default="text",
        help=T.HELP_FORMAT.text(lang),
    )
    @click.pass_obj
    def validate(settings: Settings, file: str, output_format: str) -> int:
        from ..validation import validate_source

        _doc, report = validate_source(file, limits=settings.limits(), plans_dir=settings.plans_dir)
        if output_format == "json":
            print(json.dumps(report.as_dict(default_language()), ensure_ascii=False, indent=2))
        else:
            print_validation(report, sys.stdout)
        return EXIT_FAILED if report.status == "errors" else EXIT_OK

    return validate


def print_validation(report: Any, stream: TextIO) -> None:
    """The headline, then each finding with where it is and what to do."""
    counts = report.counts()
    say(T.VALIDATION_HEADLINE, stream, status=T.STATUS_WORDS[report.status].text(), **counts)
    for finding in report.findings:
        where = [finding.layer]
        if finding.line is not None:
            where.append(T.AT_LINE.with_params(line=finding.line).text())
        if finding.path:
            where.append(finding.path)
        severity = T.SEVERITY_WORDS.get(finding.severity, T.SEVERITY_WORDS["info"]).text()
        print(f"[{severity}] {finding.code} ({', '.join(where)})", file=stream)
        print(f"    {finding.message.text()}", file=stream)
        if finding.hint is not None:
            print(f"    {T.HINT.with_params(hint=finding.hint.text()).text()}", file=stream)
