"""``ckan budget sweep`` through CKAN's CLI, on a storage of its own: a dry run changes
nothing; a deleted resource's file stays (CKAN can restore it); what cannot be decided is
kept, said, and exits 1; the files of an upload in progress (its lock held, or a
transaction older than them open) are left for later. The killed-server cases are in
faults/test_faults_killed_upload."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from ckan import model
from ckan.cli.cli import ckan
from ckan.plugins import toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.budget.documents.storage import UPLOAD_LOCK

from ..fixtures.privacy import make_document_with_personal_data
from .budget_uploads import upload_resource

pytestmark = pytest.mark.usefixtures("clean_db")


@pytest.fixture
def storage(ckan_config: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setitem(ckan_config, "ckan.storage_path", str(tmp_path))
    return tmp_path / "resources"


@pytest.fixture
def resource(storage: Path) -> dict[str, Any]:
    dataset = factories.Dataset(owner_org=factories.Organization()["id"])
    return upload_resource(dataset["id"], make_document_with_personal_data(), "ca.xml")


@pytest.fixture
def other_session() -> Iterator[sa.engine.Connection]:
    """Another session of the database, as another web process's."""
    with model.meta.engine.connect() as connection:
        yield connection


def path_of(storage: Path, resource_id: str) -> Path:
    return storage / resource_id[:3] / resource_id[3:6] / resource_id[6:]


def sweep(cli: Any, *args: str, lang: str = "en") -> Any:
    """The command, on this test's storage (CKAN's CLI loads the configuration again)."""
    return cli.invoke(
        ckan,
        ["budget", "sweep", "--lang", lang, *args],
        env={"CKAN_STORAGE_PATH": tk.config["ckan.storage_path"]},
    )


def test_a_dry_run_says_what_it_would_do_and_changes_nothing(
    cli: Any, storage: Path, resource: dict[str, Any]
) -> None:
    path = path_of(storage, resource["id"])
    aside = Path(f"{path}~previous-0123456789ab")
    aside.write_bytes(path.read_bytes())
    path.write_bytes(b"<DocumentBudgetaire>jamais enregistr\xc3\xa9</DocumentBudgetaire>")
    orphan = storage / "fff" / "fff" / "f-orphan"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"x")
    files = {p: p.read_bytes() for p in storage.rglob("*") if p.is_file()}

    result = sweep(cli, "--dry-run", "--older-than", "0")

    assert result.exit_code == 0, result.output
    assert f"would be put back: {aside} -> {path}: the database still describes" in result.output
    assert f"would be removed: {orphan}: no resource fffffff-orphan" in result.output
    assert "Dry run, nothing changed: 1 file(s) would be removed, 1 put back" in result.output
    assert {p: p.read_bytes() for p in storage.rglob("*") if p.is_file()} == files

    assert sweep(cli, "--older-than", "0").exit_code == 0
    assert [p for p in storage.rglob("*") if p.is_file()] == [path]
    assert path.read_bytes() == files[aside]


def test_the_file_of_a_deleted_resource_is_kept(
    cli: Any, storage: Path, resource: dict[str, Any]
) -> None:
    call_action("resource_delete", id=resource["id"])
    result = sweep(cli, "--older-than", "0")
    assert result.exit_code == 0, result.output
    assert path_of(storage, resource["id"]).exists()


def test_what_cannot_be_decided_is_kept_and_said_with_exit_code_1(
    cli: Any, storage: Path, resource: dict[str, Any]
) -> None:
    path = path_of(storage, resource["id"])
    aside = Path(f"{path}~previous-0123456789ab")
    aside.write_bytes(b"<DocumentBudgetaire>autre</DocumentBudgetaire>")
    path.write_bytes(b"<DocumentBudgetaire>encore un autre</DocumentBudgetaire>")

    result = sweep(cli, "--older-than", "0")

    assert result.exit_code == 1, result.output
    assert f"kept, undecided: {aside}: neither the file in place nor its copies" in result.output
    assert "check them by hand" in result.output
    assert aside.exists() and path.exists()
    french = sweep(cli, "--older-than", "0", lang="fr")
    assert "gardé, indécidable" in french.output and "vérifiez-les" in french.output


def test_the_files_of_an_upload_in_progress_are_left_for_later(
    cli: Any, storage: Path, resource: dict[str, Any], other_session: sa.engine.Connection
) -> None:
    path = path_of(storage, resource["id"])
    aside = Path(f"{path}~previous-0123456789ab")
    with other_session.begin():  # an upload's lock
        other_session.execute(
            sa.text("SELECT pg_advisory_xact_lock(:lock, hashtext(:id))"),
            {"lock": UPLOAD_LOCK, "id": resource["id"]},
        )
        aside.write_bytes(b"<DocumentBudgetaire>ancien</DocumentBudgetaire>")
        busy = sweep(cli, "--older-than", "0")
        assert busy.exit_code == 0, busy.output
        assert f"left for later: {aside}: an upload of the resource is in progress" in busy.output

    with other_session.begin():  # a transaction older than the file
        other_session.execute(sa.text("SELECT 1"))
        aside.touch()
        recent = sweep(cli)
        assert recent.exit_code == 0, recent.output
        assert f"left for later: {aside}: modified less than 5 min ago" in recent.output
        assert aside.exists()

    done = sweep(cli, "--older-than", "0")
    assert f"removed: {aside}: copy of the previous file" in done.output
    assert not aside.exists()
