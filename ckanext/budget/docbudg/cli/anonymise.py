"""``budget-doc anonymise``: occult personal data and write the document (and its report)."""

from __future__ import annotations

import json
import sys

import click

from ..messages import default_language
from . import texts as T
from .failures import EXIT_OK
from .files import write_output, xml_payload
from .options import Settings, described, document_argument, output_option, policy, policy_options


def command(lang: str) -> click.Command:
    @click.command(
        "anonymise", **described(lang, T.HELP_ANONYMISE, (T.FILE_METAVAR.text(lang), T.HELP_FILE))
    )
    @document_argument(lang)
    @output_option(lang)
    @policy_options(lang)
    @click.option("--report", metavar=T.REPORT_METAVAR.text(lang), help=T.HELP_REPORT.text(lang))
    @click.pass_obj
    def anonymise(
        settings: Settings,
        file: str,
        output: str,
        strict: bool,
        replacement: str | None,
        report: str | None,
    ) -> int:
        from ..pipeline import process

        result = process(
            file,
            policy=policy(strict, replacement),
            limits=settings.limits(),
            exports=(),
            complete=False,
        )
        write_output(output, xml_payload(output, result.anonymised))
        done = result.anonymisation
        if report:
            payload = json.dumps(done.as_dict(), ensure_ascii=False, indent=2)
            write_output(report, payload.encode("utf-8"))
        print(done.summary(default_language()), file=sys.stderr if output == "-" else sys.stdout)
        return EXIT_OK

    return anonymise
