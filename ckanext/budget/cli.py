"""``ckan budget …``: the commands of each feature under one group (``blanket.cli``)."""

from __future__ import annotations

import click

from .documents.cli import COMMANDS as DOCUMENT_COMMANDS
from .rulesets.cli import rules

__all__ = ["budget"]


@click.group(short_help="Budget documents: re-process them, list their statuses, sweep files.")
def budget() -> None:
    """Commands of ckanext-budget."""


for command in (*DOCUMENT_COMMANDS, rules):
    budget.add_command(command)
