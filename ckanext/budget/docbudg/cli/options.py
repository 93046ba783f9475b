"""Options shared by several commands, and the options of ``budget-doc`` itself.

Nothing here imports the reader or the anonymiser at module level: building the commands
(``--help``) must stay light; what needs them imports them when a command runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..messages import Message
from . import texts as T

if TYPE_CHECKING:
    from ..anonymisation import AnonymisationPolicy
    from ..reader import Limits

MB = 1024 * 1024
DEFAULT_MAX_SIZE_MB = 200
"""``reader.DEFAULT_LIMITS.max_bytes`` in MB, written out so that ``--help`` need not import
the reader (and lxml); ``tests/unit/test_cli_startup.py`` checks that they agree."""

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Settings:
    """The options given to ``budget-doc`` before the command (``ctx.obj``)."""

    max_size_mb: float
    plans_dir: str | None

    def limits(self) -> Limits:
        from ..reader import DEFAULT_LIMITS, Limits

        return Limits(max_bytes=int(self.max_size_mb * MB), max_depth=DEFAULT_LIMITS.max_depth)


def policy(strict: bool, replacement: str | None) -> AnonymisationPolicy:
    """The anonymisation policy of ``--strict`` and ``--replacement``."""
    from ..anonymisation import AnonymisationPolicy

    options: dict[str, Any] = {"strict_beneficiaries": strict}
    if replacement is not None:
        options["replacement"] = replacement
    return AnonymisationPolicy(**options)


def described(lang: str, summary: Message, argument: tuple[str, Message]) -> dict[str, str]:
    """``help`` and ``short_help`` of a command: click lists no help for arguments, so the
    argument's is a paragraph of the command's help."""
    name, text = argument
    line = T.ARGUMENT_LINE.with_params(name=name, text=text).text(lang)
    return {"help": f"{summary.text(lang)}\n\n{line}", "short_help": summary.text(lang)}


def document_argument(lang: str) -> Callable[[F], F]:
    return click.argument("file", metavar=T.FILE_METAVAR.text(lang))


def policy_options(lang: str) -> Callable[[F], F]:
    """``--strict`` and ``--replacement``: the commands that anonymise take both."""

    def decorate(function: F) -> F:
        function = click.option(
            "--replacement", metavar=T.TEXT_METAVAR.text(lang), help=T.HELP_REPLACEMENT.text(lang)
        )(function)
        return click.option("--strict", is_flag=True, help=T.HELP_STRICT.text(lang))(function)

    return decorate


def output_option(lang: str) -> Callable[[F], F]:
    return click.option(
        "-o",
        "--output",
        required=True,
        metavar=T.FILE_METAVAR.text(lang),
        help=T.HELP_OUTPUT.text(lang),
    )
