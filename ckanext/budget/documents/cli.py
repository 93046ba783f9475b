"""``ckan budget reprocess|status|sweep``: re-process stored budget documents, list their
statuses, sweep the storage.

``reprocess`` does what the re-process button does (a job per document, or the work
right away with ``--sync``), for one resource, one dataset or every document. ``sweep``
removes or puts back the files left by killed uploads (see ``sweep``).
"""

from __future__ import annotations

import click
from ckan import model
from ckan.plugins import toolkit as tk

from ..docbudg.messages import default_language
from . import jobs
from . import model as db
from . import sweep as storage_sweep


def _records(target: str | None, every: bool) -> list[db.BudgetDocumentRecord]:
    query = model.Session.query(db.BudgetDocumentRecord)
    if every:
        return query.order_by(db.BudgetDocumentRecord.package_id).all()
    record = db.get_document(target or "")
    if record is not None:
        return [record]
    package = model.Package.get(target)
    if package is None:
        raise click.BadParameter(f"no dataset or budget document {target!r}", param_hint="TARGET")
    return db.documents_for_package(package.id)


@click.command()
@click.argument("target", required=False)
@click.option("--all", "every", is_flag=True, help="Every budget document of the portal.")
@click.option("--sync", is_flag=True, help="Process now instead of queueing background jobs.")
def reprocess(target: str | None, every: bool, sync: bool) -> None:
    """Process budget documents again: TARGET is a dataset (name or id) or a resource id."""
    if every == bool(target):
        raise click.UsageError("give a dataset or a resource, or --all")
    records = _records(target, every)
    failed = 0
    for record in records:
        resource_id = record.resource_id
        try:
            jobs.reprocess(resource_id, in_background=not sync)
        except Exception as error:  # one broken document must not stop the others
            model.Session.rollback()
            click.secho(f"{resource_id}: {error}", fg="red", err=True)
            failed += 1
            continue
        record = db.get_document(resource_id)
        status = record.status if record is not None else "deleted"
        click.echo(f"{resource_id}\t{status}" + (f"\tjob {record.job_id}" if not sync else ""))
    click.echo(f"{len(records) - failed} document(s) {'processed' if sync else 'queued'}.")
    if failed:
        raise click.exceptions.Exit(1)


@click.command()
@click.argument("target", required=False)
def status(target: str | None) -> None:
    """List budget documents (of a dataset or resource, or all) with their statuses."""
    records = _records(target, every=not target)
    for record in records:
        jobs.settle_interrupted(record)
        package = model.Package.get(record.package_id)
        reason = ""
        if record.status_reason:
            reason = record.status_reason.get(tk.config.get("ckan.locale_default", "fr")[:2], "")
        click.echo(
            "\t".join(
                str(value or "-")
                for value in (
                    package.name if package else record.package_id,
                    record.resource_id,
                    record.stage,
                    record.exercice,
                    record.status,
                    record.validation_status,
                    reason,
                )
            )
        )
    click.echo(f"{len(records)} document(s).")


@click.command()
@click.option(
    "--older-than",
    type=click.FloatRange(min=0),
    default=storage_sweep.GRACE_MINUTES,
    show_default=True,
    metavar="MINUTES",
    help="Leave files modified more recently, unless the database shows no upload in progress.",
)
@click.option("--dry-run", is_flag=True, help="Say what would be done; change nothing.")
@click.option("--lang", type=click.Choice(["fr", "en"]), help="Default: from the locale.")
def sweep(older_than: float, dry_run: bool, lang: str | None) -> None:
    """Remove or put back the files of uploads whose web process was killed: files of no
    resource, copies kept aside, temporary files. Exit code 1 when a file was kept because
    what the database records could not tell what to do with it."""
    model.Session.remove()  # its transaction, open since CKAN started, would look in use
    report = storage_sweep.sweep(older_than=older_than * 60, dry_run=dry_run)
    for line in report.lines(lang or default_language()):
        click.echo(line)
    if report.undecided:
        raise click.exceptions.Exit(1)


COMMANDS = (reprocess, status, sweep)
"""Added to ``ckan budget`` by the plugin's ``cli`` module."""
