"""``ckan budget rules import|export``: an organisation's rule set from and to files.

Runs the ``budget_ruleset_*`` actions as the site user (or ``--user``), so a command-line
import is a version like any other, with its author and summary of changes.
"""

from __future__ import annotations

from pathlib import Path

import click
from ckan.plugins import toolkit as tk

from ..docbudg.aggregation import dump_ruleset, plain, ruleset_from_dict
from . import imports, service


def _context(user: str | None) -> dict[str, object]:
    if user:
        return {"user": user}
    site_user = tk.get_action("get_site_user")({"ignore_auth": True}, {})
    return {"user": site_user["name"]}


def _fail(error: Exception) -> None:
    if isinstance(error, tk.ValidationError):
        details = "; ".join(
            f"{key}: {' '.join(map(str, value)) if isinstance(value, list) else value}"
            for key, value in (error.error_dict or {}).items()
        )
        raise click.ClickException(details or str(error))
    raise click.ClickException(str(error) or type(error).__name__)


@click.group(short_help="Aggregation rule sets of organisations.")
def rules() -> None:
    """Import and export the aggregation rule sets of organisations."""


@rules.command("import")
@click.argument("organization")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(imports.FORMATS),
    default=None,
    help="native (YAML/JSON), gironde (JSON tree) or mapping (CSV/XLSX); "
    "default: from the file (gironde for a JSON without 'format').",
)
@click.option(
    "--corrections",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="gironde: the split-lines CSV (Exer,CodRD,Nature,Fonction,MtReal,Identifiant agrégé).",
)
@click.option(
    "--column", "columns", multiple=True, help="mapping: ROLE=COLUMN, e.g. nature=Nature."
)
@click.option(
    "--levels",
    "hierarchies",
    multiple=True,
    help="mapping: TREE=COL1|COL2|… the category level columns of a tree (repeatable).",
)
@click.option("--sheet", help="mapping: the sheet of an XLSX file.")
@click.option(
    "--nomenclature",
    help="mapping: the plan de comptes the codes are checked against, e.g. "
    "M14-M14_COM_SUP3500 (default: the organisation's latest document's).",
)
@click.option("--exer", type=int, help="mapping: the year of that plan de comptes.")
@click.option("--label", help="Name of the rule set (default: the file's).")
@click.option("--comment", help="A note kept with the version.")
@click.option("--user", help="User recorded as the author (default: the site user).")
def import_(
    organization: str,
    file: Path,
    fmt: str | None,
    corrections: Path | None,
    columns: tuple[str, ...],
    hierarchies: tuple[str, ...],
    sheet: str | None,
    nomenclature: str | None,
    exer: int | None,
    label: str | None,
    comment: str | None,
    user: str | None,
) -> None:
    """Import FILE as the rule set of ORGANIZATION (a new version if it has one)."""
    fmt = fmt or _guess_format(file)
    data = {
        "format": fmt,
        "rules": file.read_bytes() if fmt != "native" else file.read_text(encoding="utf-8"),
        "filename": file.name,
        "corrections": corrections.read_bytes() if corrections else None,
        "columns": imports.parse_columns(",".join(columns)),
        "hierarchies": imports.parse_hierarchies(";".join(hierarchies)),
        "sheet": sheet,
        "nomenclature": nomenclature,
        "exer": exer,
        "label": label,
        "comment": comment,
    }
    context = _context(user)
    try:
        group = tk.get_action("organization_show")(dict(context), {"id": organization})
        existing = service.for_organization(group["id"])
        if existing is None:
            result = tk.get_action("budget_ruleset_create")(
                dict(context), {**data, "organization": group["id"]}
            )
        else:
            result = tk.get_action("budget_ruleset_update")(
                dict(context), {**data, "id": existing.id}
            )
    except (tk.ValidationError, tk.ObjectNotFound, tk.NotAuthorized) as error:
        _fail(error)
        return
    for note in result.get("notes") or []:
        click.echo(f"note: {note['fr']}", err=True)
    if result.get("changed") is False:
        click.echo(f"{group['name']}: unchanged (version {result['version']})")
    else:
        click.echo(f"{group['name']}: version {result['version']} saved")


def _guess_format(file: Path) -> str:
    suffix = file.suffix.lower()
    if suffix in imports.MAPPING_SUFFIXES:
        return "mapping"
    if suffix == ".json" and '"format"' not in file.read_text(encoding="utf-8")[:2000]:
        return "gironde"
    return "native"


@rules.command("export")
@click.argument("organization")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default=None)
@click.option("--version", "number", type=int, help="A version number (default: current).")
def export(organization: str, file: Path, fmt: str | None, number: int | None) -> None:
    """Write the rule set of ORGANIZATION to FILE (YAML, or JSON for a .json name)."""
    fmt = fmt or ("json" if file.suffix.lower() == ".json" else "yaml")
    try:
        shown = tk.get_action("budget_ruleset_show")(
            _context(None), {"organization": organization, "version": number}
        )
    except (tk.ValidationError, tk.ObjectNotFound) as error:
        _fail(error)
        return
    rules_text = dump_ruleset(ruleset_from_dict(shown["rules"]), fmt, render=plain)  # in words
    file.write_text(rules_text, encoding="utf-8")
    click.echo(f"{organization}: version {shown['version']} written to {file}")
