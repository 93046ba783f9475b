"""``budget-doc aggregate``: aggregate documents with a rule set and run the checks.

Exit status: 0 when every tree is a partition whose totals agree, 1 when a check fails
(the failures are printed on standard error), 2 when the rules or a document cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import BudgetDocError
from ..messages import Message
from ..reader import read_document
from .defaults import default_ruleset
from .engine import aggregate
from .formula import FormulaError
from .report import multi_year_table, result_to_csv, result_to_dict
from .ruleset import RuleSetError
from .storage import load_ruleset

DEFAULT_RULES = "defaut"


HELP = {
    "command": Message(
        "agréger des documents selon des règles et contrôler la partition",
        "aggregate documents with rules and check the partition",
    ),
    "files": Message(
        "document(s) budgétaire(s) (.xml ou .xml.gz)", "budget document(s) (.xml or .xml.gz)"
    ),
    "rules": Message(
        "règles (.yaml/.json, ou arbre JSON de l'outil Gironde) ; "
        f"« {DEFAULT_RULES} » = par fonction et par chapitre d'après le plan de comptes",
        "rule set (.yaml/.json, or a Gironde JSON tree); "
        f"'{DEFAULT_RULES}' = by function and by chapter from the plan de comptes",
    ),
    "tree": Message("seulement cet arbre des règles", "only this tree of the rule set"),
    "format": Message("format de sortie", "output format"),
    "output": Message(
        "fichier à écrire (sortie standard par défaut)", "output file (standard output by default)"
    ),
}


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "aggregate", help=HELP["command"].text(), description=HELP["command"].text()
    )
    parser.add_argument("files", metavar="FILE", nargs="+", help=HELP["files"].text())
    parser.add_argument("--rules", default=DEFAULT_RULES, help=HELP["rules"].text())
    parser.add_argument("--tree", help=HELP["tree"].text())
    parser.add_argument(
        "--format", choices=("json", "csv"), default="json", help=HELP["format"].text()
    )
    parser.add_argument("-o", "--output", help=HELP["output"].text())
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    try:
        ruleset = None if args.rules == DEFAULT_RULES else load_ruleset(args.rules)
        docs = [read_document(path) for path in args.files]
        results = [aggregate(doc, ruleset or default_ruleset(doc), args.tree) for doc in docs]
    except (RuleSetError, BudgetDocError) as exc:
        print(exc.text(), file=sys.stderr)
        return 2
    except (FormulaError, KeyError, OSError) as exc:
        message = exc.text_in() if isinstance(exc, FormulaError) else str(exc)
        print(message, file=sys.stderr)
        return 2
    if len(results) == 1:
        result = results[0]
        text = (
            result_to_csv(result)
            if args.format == "csv"
            else json.dumps(result_to_dict(result), ensure_ascii=False, indent=2) + "\n"
        )
    else:
        table = multi_year_table(results, args.tree)
        if args.format == "csv":
            text = table.to_csv()
        else:
            text = (
                json.dumps(
                    [result_to_dict(r, with_lines=False) for r in results],
                    ensure_ascii=False,
                    indent=2,
                )
                + "\n"
            )
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    failed = False
    for path, result in zip(args.files, results, strict=True):
        for tree in result.trees.values():
            for message in tree.checks.messages():
                print(f"{Path(path).name} [{tree.tree_id}] {message}", file=sys.stderr)
            failed = failed or not tree.checks.ok
    if failed:
        print(
            Message(
                "Contrôles en échec : les catégories ne forment pas une partition exacte.",
                "Checks failed: the categories are not an exact partition.",
            ),
            file=sys.stderr,
        )
    return 1 if failed else 0
