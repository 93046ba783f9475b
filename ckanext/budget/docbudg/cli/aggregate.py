"""``budget-doc aggregate``: aggregate documents with a rule set and run the checks.

Exit status: 0 when every tree is a partition whose totals agree, 1 when a check fails
(the failures are printed on standard error), 2 when the rules or a document cannot be read.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from . import texts as T
from .failures import EXIT_FAILED, EXIT_OK, EXIT_USAGE
from .options import described

DEFAULT_RULES = "defaut"


def command(lang: str) -> click.Command:
    files = T.FILE_METAVAR.text(lang)

    @click.command(
        "aggregate", **described(lang, T.HELP_AGGREGATE, (files, T.HELP_AGGREGATE_FILES))
    )
    @click.argument("files", metavar=f"{files}...", nargs=-1, required=True)
    @click.option(
        "--rules",
        default=DEFAULT_RULES,
        metavar=files,
        help=T.HELP_RULES.with_params(default=DEFAULT_RULES).text(lang),
    )
    @click.option("--tree", metavar=T.TREE_METAVAR.text(lang), help=T.HELP_TREE.text(lang))
    @click.option(
        "--format",
        "output_format",
        type=click.Choice(("json", "csv")),
        default="json",
        help=T.HELP_FORMAT.text(lang),
    )
    @click.option("-o", "--output", metavar=files, help=T.HELP_AGGREGATE_OUTPUT.text(lang))
    def aggregate(
        files: tuple[str, ...], rules: str, tree: str | None, output_format: str, output: str | None
    ) -> int:
        return run(files, rules, tree, output_format, output)

    return aggregate


def run(files: tuple[str, ...], rules: str, tree: str | None, fmt: str, output: str | None) -> int:
    from ..aggregation.defaults import default_ruleset
    from ..aggregation.engine import aggregate
    from ..aggregation.formula import FormulaError
    from ..aggregation.ruleset import RuleSetError
    from ..aggregation.storage import load_ruleset
    from ..errors import BudgetDocError
    from ..figures.report import multi_year_table, result_to_csv, result_to_dict
    from ..reader import read_document

    try:
        ruleset = None if rules == DEFAULT_RULES else load_ruleset(rules)
        docs = [read_document(path) for path in files]
        results = [aggregate(doc, ruleset or default_ruleset(doc), tree) for doc in docs]
    except (RuleSetError, BudgetDocError) as exc:
        print(exc.text(), file=sys.stderr)
        return EXIT_USAGE
    except (FormulaError, KeyError, OSError) as exc:
        message = exc.text_in() if isinstance(exc, FormulaError) else str(exc)
        print(message, file=sys.stderr)
        return EXIT_USAGE
    if len(results) == 1:
        result = results[0]
        text = (
            result_to_csv(result)
            if fmt == "csv"
            else json.dumps(result_to_dict(result), ensure_ascii=False, indent=2) + "\n"
        )
    elif fmt == "csv":
        text = multi_year_table(results, tree).to_csv()
    else:
        rows = [result_to_dict(r, with_lines=False) for r in results]
        text = json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    failed = False
    for path, result in zip(files, results, strict=True):
        for checked in result.trees.values():
            for message in checked.checks.messages():
                print(f"{Path(path).name} [{checked.tree_id}] {message}", file=sys.stderr)
            failed = failed or not checked.checks.ok
    if failed:
        print(T.AGGREGATE_CHECKS_FAILED, file=sys.stderr)
    return EXIT_FAILED if failed else EXIT_OK
