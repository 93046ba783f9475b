"""``budget-doc``: the command line of the core library.

Messages and ``--help`` follow the session's language (``LANGUAGE``, ``LC_ALL``…; French
by default), ``--lang fr|en`` overrides it. Errors print the typed error's message, never
a traceback nor document content (``BUDGET_DOC_DEBUG=1`` re-raises, for developers).

Other packages of ``ckanext.budget.docbudg`` add subcommands without editing this file:
a sub-package with a ``command`` module defining ``register(subparsers)`` is picked up
(e.g. ``aggregation/command.py`` for ``budget-doc aggregate``). ``register`` adds its
parser with ``subparsers.add_parser(...)`` and sets ``handler`` (or ``func``): a callable
``(args) -> int`` returning the exit code. Messages it prints should use
``messages.default_language()``, which ``--lang`` sets for the whole process.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

from lxml import etree

from . import cli_text as T
from .anonymisation import AnonymisationPolicy
from .cli_batch import run_batch
from .cli_files import write_output, xml_payload
from .cli_indicators import print_indicators
from .errors import BudgetDocError
from .messages import LANGUAGES, Message, default_language
from .nomenclature import ENV_PLANS_DIR, import_plans
from .pipeline import process
from .reader import DEFAULT_LIMITS, Limits, read_document
from .validation import validate_source

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_UNREADABLE = 3
EXIT_IO = 4
EXIT_INTERNAL = 70
MB = 1024 * 1024
EXPORT_CHOICES = ("scdl-budget", "scdl-subventions", "lines")
PLUGIN_MODULE = "command"

Handler = Callable[[argparse.Namespace], int]


class UsageError(Exception):
    """A wrong use of the command, reported like argparse's own errors (exit code 2)."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.text("en"))
        self.message = message


def say(msg: Message, stream: TextIO | None = None, /, **params: Any) -> None:
    print(msg.with_params(**params).text() if params else msg.text(), file=stream)


def limits_of(args: argparse.Namespace) -> Limits:
    return Limits(max_bytes=int(args.max_size * MB), max_depth=DEFAULT_LIMITS.max_depth)


def policy_of(args: argparse.Namespace) -> AnonymisationPolicy:
    options: dict[str, Any] = {"strict_beneficiaries": bool(args.strict)}
    if args.replacement is not None:
        options["replacement"] = args.replacement
    return AnonymisationPolicy(**options)


# -- commands --------------------------------------------------------------------------
def cmd_info(args: argparse.Namespace) -> int:
    doc = read_document(args.file, limits_of(args))
    header = doc.header
    lang = default_language()
    calculated = sum(1 for line in doc.lines if line.calculated)
    stage = header.stage
    if stage is not None:
        stage_text = f"{getattr(stage, 'label_' + lang)} (NatDec {header.nat_dec})"
    else:
        stage_text = T.UNKNOWN_STAGE.with_params(code=header.nat_dec or "-").text()
    annexes = doc.annex_blocks()
    facts = {
        "authority": f"{header.libelle_coll or '-'} (SIRET {header.id_coll or '-'})",
        "budget": (
            f"{header.libelle_etab or '-'} (SIRET {header.id_etab or '-'}, "
            f"{(T.PRINCIPAL if header.is_principal else T.ANNEXE).text()})"
            if header.is_principal is not None
            else f"{header.libelle_etab or '-'} (SIRET {header.id_etab or '-'})"
        ),
        "nomenclature": header.nomenclature or T.NOT_GIVEN.text(),
        "exer": str(header.exer) if header.exer is not None else T.NOT_GIVEN.text(),
        "stage": stage_text,
        "schema": str(header.version_schema or "-"),
        "lines": T.LINES_DETAIL.with_params(total=len(doc.lines), calculated=calculated).text(),
        "annexes": ", ".join(f"{name} {count}" for name, count in sorted(annexes.items()))
        or T.NO_ANNEX.text(),
    }
    if args.format == "json":
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
    width = max(len(T.INFO_LINES[key].text()) for key in facts)
    for key, value in facts.items():
        print(f"{T.INFO_LINES[key].text():<{width}} : {value}")
    return EXIT_OK


def cmd_indicators(args: argparse.Namespace) -> int:
    return print_indicators(
        args.file, limits=limits_of(args), plans_dir=args.plans_dir, as_json=args.json
    )


def cmd_anonymise(args: argparse.Namespace) -> int:
    result = process(
        args.file, policy=policy_of(args), limits=limits_of(args), exports=(), complete=False
    )
    report = result.anonymisation
    write_output(args.output, xml_payload(args.output, result.anonymised))
    if args.report:
        write_output(
            args.report,
            json.dumps(report.as_dict(), ensure_ascii=False, indent=2).encode("utf-8"),
        )
    stream = sys.stderr if args.output == "-" else sys.stdout
    print(report.summary(default_language()), file=stream)
    return EXIT_OK


def print_validation(report: Any, stream: TextIO) -> None:
    counts = report.counts()
    say(
        T.VALIDATION_HEADLINE,
        stream,
        status=T.STATUS_WORDS[report.status].text(),
        **counts,
    )
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


def cmd_validate(args: argparse.Namespace) -> int:
    _doc, report = validate_source(args.file, limits=limits_of(args), plans_dir=args.plans_dir)
    if args.format == "json":
        print(json.dumps(report.as_dict(default_language()), ensure_ascii=False, indent=2))
    else:
        print_validation(report, sys.stdout)
    return EXIT_FAILED if report.status == "errors" else EXIT_OK


def cmd_convert(args: argparse.Namespace) -> int:
    key = f"{args.to}.{args.format}"
    result = process(
        args.file,
        policy=policy_of(args),
        limits=limits_of(args),
        plans_dir=args.plans_dir,
        exports=(key,),
    )
    if args.to in result.export_errors:
        say(T.ERROR_PREFIX, sys.stderr, message=result.export_errors[args.to].text())
        return EXIT_FAILED
    produced = result.exports[key]
    write_output(args.output, produced.data)
    stream = sys.stderr
    if args.output != "-":
        say(T.WROTE, stream, path=args.output)
    say(T.EXPORT_ROWS, stream, rows=produced.rows)
    for note in produced.notes:
        say(T.NOTE, stream, note=note.text())
    if produced.skipped:
        say(T.EXPORT_SKIPPED, stream, count=len(produced.skipped))
        for row in produced.skipped:
            say(T.SKIPPED_ROW, stream, line=row.sourceline or "?", reason=row.reason.text())
    errors = result.validation.counts().get("error", 0)
    if errors:
        say(T.VALIDATION_HAS_ERRORS, stream, count=errors)
    return EXIT_OK


def cmd_batch(args: argparse.Namespace) -> int:
    return run_batch(
        Path(args.directory),
        Path(args.out),
        jobs=args.jobs,
        policy=policy_of(args),
        limits=limits_of(args),
        plans_dir=args.plans_dir,
    )


def cmd_plans_import(args: argparse.Namespace) -> int:
    dest = args.dest or os.environ.get(ENV_PLANS_DIR)
    if not dest:
        raise UsageError(T.ERR_NO_DEST)
    if not Path(args.source).is_dir():
        raise UsageError(T.ERR_NOT_A_DIR.with_params(path=args.source))
    try:
        imported = import_plans(args.source, dest)
    except (ValueError, etree.XMLSyntaxError) as exc:
        reason = type(exc).__name__ if isinstance(exc, etree.XMLSyntaxError) else str(exc)
        path = getattr(exc, "filename", None) or args.source
        say(
            T.ERROR_PREFIX,
            sys.stderr,
            message=T.ERR_BAD_PLAN.with_params(path=path, reason=reason[:200]).text(),
        )
        return EXIT_FAILED
    if not imported:
        say(T.PLANS_NONE, sys.stderr, path=args.source)
        return EXIT_FAILED
    say(T.PLANS_IMPORTED, dest=dest, count=len(imported))
    for exer, norme, declinaison in imported:
        print(f"  {exer} {norme}-{declinaison}")
    say(T.PLANS_HINT, dest=dest)
    return EXIT_OK


# -- parser ----------------------------------------------------------------------------
class _Formatter(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):  # type: ignore[no-untyped-def]
        prefix = T.USAGE.text() if prefix is None else prefix
        return super().add_usage(usage, actions, groups, prefix)


class _Parser(argparse.ArgumentParser):
    """argparse speaking the user's language (its own titles, ``-h``), exit code 2."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, add_help=False, **kwargs)
        self._positionals.title = T.POSITIONALS.text()
        self._optionals.title = T.OPTIONALS.text()
        self.add_argument("-h", "--help", action="help", help=T.HELP_HELP.text())

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: {message}\n")


def _add_file(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FICHIER" if _fr() else "FILE", help=T.HELP_FILE.text())


def _add_policy(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--strict", action="store_true", help=T.HELP_STRICT.text())
    parser.add_argument(
        "--replacement", metavar="TEXTE" if _fr() else "TEXT", help=T.HELP_REPLACEMENT.text()
    )


def _fr() -> bool:
    return default_language() == "fr"


def build_parser() -> argparse.ArgumentParser:
    """The parser, its help texts in the current language (``default_language()``)."""
    parser = _Parser(
        prog="budget-doc",
        description=T.PROG_DESCRIPTION.text(),
        epilog=T.PROG_EPILOG.text(),
    )
    parser.add_argument("--lang", choices=LANGUAGES, help=T.HELP_LANG.text())
    default_mb = DEFAULT_LIMITS.max_bytes // MB
    parser.add_argument(
        "--max-size",
        type=float,
        default=default_mb,
        metavar="MO" if _fr() else "MB",
        help=T.HELP_MAX_SIZE.with_params(default=default_mb).text(),
    )
    parser.add_argument("--plans-dir", metavar="DIR", default=None, help=T.HELP_PLANS_DIR.text())
    subparsers = parser.add_subparsers(
        dest="command",
        required=True,
        metavar="COMMANDE" if _fr() else "COMMAND",
        parser_class=_Parser,
    )

    info = subparsers.add_parser("info", help=T.HELP_INFO.text(), description=T.HELP_INFO.text())
    _add_file(info)
    info.add_argument(
        "--format", choices=("text", "json"), default="text", help=T.HELP_FORMAT.text()
    )
    info.set_defaults(handler=cmd_info)

    indicators = subparsers.add_parser(
        "indicators", help=T.HELP_INDICATORS.text(), description=T.HELP_INDICATORS.text()
    )
    _add_file(indicators)
    indicators.add_argument("--json", action="store_true", help=T.HELP_INDICATORS_JSON.text())
    indicators.set_defaults(handler=cmd_indicators)

    anon = subparsers.add_parser(
        "anonymise",
        aliases=["anonymize"],
        help=T.HELP_ANONYMISE.text(),
        description=T.HELP_ANONYMISE.text(),
    )
    _add_file(anon)
    anon.add_argument("-o", "--output", required=True, help=T.HELP_OUTPUT.text())
    _add_policy(anon)
    anon.add_argument(
        "--report", metavar="RAPPORT.json" if _fr() else "REPORT.json", help=T.HELP_REPORT.text()
    )
    anon.set_defaults(handler=cmd_anonymise)

    val = subparsers.add_parser(
        "validate", help=T.HELP_VALIDATE.text(), description=T.HELP_VALIDATE.text()
    )
    _add_file(val)
    val.add_argument(
        "--format", choices=("text", "json"), default="text", help=T.HELP_FORMAT.text()
    )
    val.set_defaults(handler=cmd_validate)

    conv = subparsers.add_parser(
        "convert", help=T.HELP_CONVERT.text(), description=T.HELP_CONVERT.text()
    )
    _add_file(conv)
    conv.add_argument("--to", required=True, choices=EXPORT_CHOICES, help=T.HELP_TO.text())
    conv.add_argument("--format", choices=("csv", "json"), default="csv", help=T.HELP_FORMAT.text())
    conv.add_argument("-o", "--output", required=True, help=T.HELP_OUTPUT.text())
    _add_policy(conv)
    conv.set_defaults(handler=cmd_convert)

    default_jobs = max(1, min(4, os.cpu_count() or 1))
    batch = subparsers.add_parser(
        "batch", help=T.HELP_BATCH.text(), description=T.HELP_BATCH.text()
    )
    batch.add_argument("directory", metavar="DIR", help=T.HELP_BATCH_DIR.text())
    batch.add_argument("--out", required=True, metavar="DIR", help=T.HELP_BATCH_OUT.text())
    batch.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=default_jobs,
        metavar="N",
        help=T.HELP_JOBS.with_params(default=default_jobs).text(),
    )
    _add_policy(batch)
    batch.set_defaults(handler=cmd_batch)

    plans = subparsers.add_parser(
        "plans", help=T.HELP_PLANS.text(), description=T.HELP_PLANS.text()
    )
    plans_sub = plans.add_subparsers(
        dest="plans_command", required=True, metavar="ACTION", parser_class=_Parser
    )
    imp = plans_sub.add_parser(
        "import", help=T.HELP_PLANS_IMPORT.text(), description=T.HELP_PLANS_IMPORT.text()
    )
    imp.add_argument("source", metavar="DIR", help=T.HELP_PLANS_SRC.text())
    imp.add_argument("--dest", metavar="DIR", help=T.HELP_PLANS_DEST.text())
    imp.set_defaults(handler=cmd_plans_import)

    for register in plugin_registrars():
        register(subparsers)
    return parser


def plugin_registrars() -> list[Callable[[Any], None]]:
    """``register`` of every ``ckanext.budget.docbudg.<package>.command`` module.

    A plug-in that fails to import is left out with a warning: the other commands
    (anonymise, validate…) must keep working.
    """
    package = __package__ or "ckanext.budget.docbudg"
    base = importlib.import_module(package)
    found = []
    for info in pkgutil.iter_modules(base.__path__):
        if not info.ispkg:
            continue
        name = f"{package}.{info.name}.{PLUGIN_MODULE}"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue
            _plugin_unavailable(info.name, exc)
            continue
        except Exception as exc:
            _plugin_unavailable(info.name, exc)
            continue
        register = getattr(module, "register", None)
        if callable(register):
            found.append(register)
    return found


def _plugin_unavailable(name: str, exc: Exception) -> None:
    say(T.PLUGIN_UNAVAILABLE, sys.stderr, name=name, kind=type(exc).__name__)


def _language_from(argv: Sequence[str]) -> str | None:
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--lang", choices=LANGUAGES)
    known, _rest = pre.parse_known_args(argv)
    return known.lang


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        lang = _language_from(argv)
    except SystemExit as exc:
        return int(exc.code or EXIT_USAGE)
    saved = os.environ.get("LANGUAGE")
    if lang:
        os.environ["LANGUAGE"] = lang  # default_language() everywhere, workers included
    try:
        return _run(argv)
    finally:
        if lang:
            if saved is None:
                os.environ.pop("LANGUAGE", None)
            else:
                os.environ["LANGUAGE"] = saved


def _run(argv: list[str]) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code if exc.code is not None else EXIT_OK)
    handler: Handler | None = getattr(args, "handler", None) or getattr(args, "func", None)
    if handler is None:
        parser.print_usage(sys.stderr)
        return EXIT_USAGE
    debug = os.environ.get("BUDGET_DOC_DEBUG") == "1"
    try:
        return int(handler(args) or EXIT_OK)
    except UsageError as exc:
        parser.print_usage(sys.stderr)
        say(T.ERROR_PREFIX, sys.stderr, message=exc.message.text())
        return EXIT_USAGE
    except BudgetDocError as exc:
        if debug:
            raise
        say(T.ERROR_PREFIX, sys.stderr, message=exc.text())
        return EXIT_UNREADABLE
    except OSError as exc:
        if debug:
            raise
        path = exc.filename or "-"
        reason = exc.strerror or type(exc).__name__
        say(
            T.ERROR_PREFIX,
            sys.stderr,
            message=T.ERR_IO.with_params(path=path, reason=reason).text(),
        )
        return EXIT_IO
    except KeyboardInterrupt:
        say(T.ERROR_PREFIX, sys.stderr, message=T.ERR_INTERRUPTED.text())
        return 130
    except Exception as exc:
        if debug:
            raise
        say(
            T.ERROR_PREFIX,
            sys.stderr,
            message=T.ERR_INTERNAL.with_params(kind=type(exc).__name__).text(),
        )
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
