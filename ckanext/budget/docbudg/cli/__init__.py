"""``budget-doc``: the command line of the core library, built with click.

The language is decided first (``--lang``, else the locale, French first: ``language``),
then the commands are built with their help in it: one module per command, each with a
``command(lang)`` factory, registered in :data:`COMMANDS`. Command modules import the
reader, the pipeline (lxml, pandas…) only when they run, so ``--help`` starts fast.
Exit codes and error messages: ``failures``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from ..messages import LANGUAGES
from . import aggregate, anonymise, batch, convert, indicators, info, plans, rules, validate
from . import texts as T
from .failures import exit_code_of
from .language import language_of, speaking
from .options import DEFAULT_MAX_SIZE_MB, Settings

COMMANDS = (info, validate, anonymise, convert, batch, aggregate, indicators, plans, rules)
ALIASES = {"anonymize": "anonymise"}
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "show_default": True}


class BudgetDoc(click.Group):
    """The group of commands; it also answers to other spellings of a command's name."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return super().get_command(ctx, ALIASES.get(cmd_name, cmd_name))


def build(lang: str) -> click.Group:
    """``budget-doc`` with every command, its help in ``lang``."""

    @click.group(
        "budget-doc",
        cls=BudgetDoc,
        help=T.PROG_DESCRIPTION.text(lang),
        epilog=T.PROG_EPILOG.text(lang),
        context_settings=CONTEXT_SETTINGS,
        no_args_is_help=False,
        subcommand_metavar=T.COMMAND_METAVAR.text(lang),
    )
    @click.option(
        "--lang",
        type=click.Choice(LANGUAGES),
        expose_value=False,  # read before click (language_of): the texts depend on it
        help=T.HELP_LANG.text(lang),
    )
    @click.option(
        "--max-size",
        type=float,
        default=DEFAULT_MAX_SIZE_MB,
        metavar=T.MB_METAVAR.text(lang),
        help=T.HELP_MAX_SIZE.text(lang),
    )
    @click.option("--plans-dir", metavar="DIR", help=T.HELP_PLANS_DIR.text(lang))
    @click.pass_context
    def budget_doc(ctx: click.Context, max_size: float, plans_dir: str | None) -> None:
        ctx.obj = Settings(max_size_mb=max_size, plans_dir=plans_dir)

    for module in COMMANDS:
        budget_doc.add_command(module.command(lang))
    return budget_doc


def main(argv: Sequence[str] | None = None) -> int:
    """The entry point: run ``argv`` (default ``sys.argv[1:]``), return the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    lang = language_of(args)
    with speaking(lang):
        group = build(lang)
        return exit_code_of(
            lambda: group.main(args=args, prog_name="budget-doc", standalone_mode=False)
        )
