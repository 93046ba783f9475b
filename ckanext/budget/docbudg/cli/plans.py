"""``budget-doc plans import``: add official plans de comptes without a new release."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from . import texts as T
from .failures import EXIT_FAILED, EXIT_OK, error, say
from .options import described


def command(lang: str) -> click.Group:
    @click.group(
        "plans",
        help=T.HELP_PLANS.text(lang),
        short_help=T.HELP_PLANS.text(lang),
        no_args_is_help=False,
        subcommand_metavar=T.ACTION_METAVAR.text(lang),
    )
    def plans() -> None:
        """Only a group: its commands do the work."""

    @plans.command("import", **described(lang, T.HELP_PLANS_IMPORT, ("DIR", T.HELP_PLANS_SRC)))
    @click.argument("source", metavar="DIR")
    @click.option("--dest", metavar="DIR", help=T.HELP_PLANS_DEST.text(lang))
    @click.pass_context
    def import_(ctx: click.Context, source: str, dest: str | None) -> int:
        return import_plans(ctx, source, dest)

    return plans


def import_plans(ctx: click.Context, source: str, dest: str | None) -> int:
    """Import, then list what was imported and how to use it; usage errors exit with 2."""
    from lxml import etree

    from ..nomenclature import ENV_PLANS_DIR
    from ..nomenclature import import_plans as import_into

    dest = dest or os.environ.get(ENV_PLANS_DIR)
    if not dest:
        ctx.fail(T.ERR_NO_DEST.text())
    if not Path(source).is_dir():
        ctx.fail(T.ERR_NOT_A_DIR.with_params(path=source).text())
    try:
        imported = import_into(source, dest)
    except (ValueError, etree.XMLSyntaxError) as exc:
        reason = type(exc).__name__ if isinstance(exc, etree.XMLSyntaxError) else str(exc)
        path = getattr(exc, "filename", None) or source
        error(T.ERR_BAD_PLAN.with_params(path=path, reason=reason[:200]))
        return EXIT_FAILED
    if not imported:
        say(T.PLANS_NONE, sys.stderr, path=source)
        return EXIT_FAILED
    say(T.PLANS_IMPORTED, dest=dest, count=len(imported))
    for exer, norme, declinaison in imported:
        print(f"  {exer} {norme}-{declinaison}")
    say(T.PLANS_HINT, dest=dest)
    return EXIT_OK
