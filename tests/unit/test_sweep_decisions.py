"""The sweep's decision table, on real files: what it does with each file a killed upload
can leave, given what the database records (no database here: ``Recorded`` is what the
sweep reads from it). Never the only copy of what the database describes is removed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from ckanext.budget.documents import sweep
from ckanext.budget.documents.sweep import KEEP, REMOVE, RESTORE, Recorded, ResourceFiles, Step

RID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
OLD = b"<DocumentBudgetaire>ancien</DocumentBudgetaire>"
NEW = b"<DocumentBudgetaire>nouveau, plus long</DocumentBudgetaire>"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def recorded(data: bytes, *, hashed: bool = True, **fields: object) -> Recorded:
    """What the database records of a resource whose file is ``data``."""
    return Recorded(
        sizes=frozenset({len(data)}),
        hashes=frozenset({sha(data)}) if hashed else frozenset(),
        **fields,  # type: ignore[arg-type]
    )


@pytest.fixture
def storage(tmp_path: Path) -> Path:
    root = tmp_path / "resources"
    (root / RID[:3] / RID[3:6]).mkdir(parents=True)
    return root


def place(storage: Path, current: bytes | None = None, **others: bytes) -> ResourceFiles:
    """The resource's files: ``current`` in place, ``others`` by suffix (``previous_1=``
    for ``~previous-1``, ``temporary=`` for ``~``); what the sweep's scan finds."""
    path = storage / RID[:3] / RID[3:6] / RID[6:]
    if current is not None:
        path.write_bytes(current)
    for name, data in others.items():
        suffix = "~" if name == "temporary" else f"~previous-{name.split('_')[1]}"
        Path(f"{path}{suffix}").write_bytes(data)
    groups, strange = sweep.scan(storage)
    assert strange == []
    return groups[RID]


def actions(steps: list[Step]) -> list[tuple[str, str, str | None]]:
    """Each step as (action, file suffix, where it goes)."""

    def suffix(path: Path | None) -> str | None:
        return None if path is None else path.name[len(RID) - 6 :] or "current"

    return [(step.action, suffix(step.path), suffix(step.into)) for step in steps]


def test_the_commit_landed_the_copy_aside_is_removed(storage: Path) -> None:
    files = place(storage, NEW, previous_1=OLD)
    assert actions(sweep.decide(files, recorded(NEW))) == [(REMOVE, "~previous-1", None)]


def test_the_commit_never_happened_the_previous_file_is_put_back(storage: Path) -> None:
    files = place(storage, NEW, previous_1=OLD)
    assert actions(sweep.decide(files, recorded(OLD))) == [(RESTORE, "~previous-1", "current")]


def test_sizes_alone_decide_for_a_file_that_is_not_a_budget_document(storage: Path) -> None:
    files = place(storage, NEW, previous_1=OLD)
    assert actions(sweep.decide(files, recorded(OLD, hashed=False))) == [
        (RESTORE, "~previous-1", "current")
    ]
    assert actions(sweep.decide(files, recorded(NEW, hashed=False))) == [
        (REMOVE, "~previous-1", None)
    ]


def test_equal_sizes_without_a_hash_cannot_be_told_apart(storage: Path) -> None:
    same_size = NEW.replace(b"nouveau", b"NOUVEAU")
    files = place(storage, NEW, previous_1=same_size)
    steps = sweep.decide(files, recorded(NEW, hashed=False))
    assert actions(steps) == [(KEEP, "~previous-1", None)]
    assert "several different files match" in steps[0].reason.text("en")


def test_nothing_matching_the_database_keeps_everything(storage: Path) -> None:
    files = place(storage, NEW, previous_1=OLD)
    steps = sweep.decide(files, recorded(b"<autre/>"))
    assert actions(steps) == [(KEEP, "~previous-1", None)]
    assert "neither the file in place nor its copies match" in steps[0].reason.text("en")
    assert "ni le fichier en place" in steps[0].reason.text("fr")


def test_a_database_recording_neither_size_nor_hash_keeps_a_different_copy(
    storage: Path,
) -> None:
    files = place(storage, NEW, previous_1=OLD)
    steps = sweep.decide(files, Recorded())
    assert actions(steps) == [(KEEP, "~previous-1", None)]
    assert "neither size nor hash" in steps[0].reason.text("en")


def test_a_copy_identical_to_the_file_in_place_is_removed(storage: Path) -> None:
    """Killed between keeping the copy aside and CKAN's rename: both are the same file."""
    files = place(storage, OLD, previous_1=OLD, temporary=NEW[:10])
    assert actions(sweep.decide(files, Recorded())) == [
        (REMOVE, "~", None),
        (REMOVE, "~previous-1", None),
    ]


def test_a_missing_file_is_put_back_from_its_copy(storage: Path) -> None:
    """Killed after a ``clear_upload`` removed the file: the database still has it."""
    files = place(storage, None, previous_1=OLD)
    assert actions(sweep.decide(files, recorded(OLD))) == [(RESTORE, "~previous-1", "current")]
    assert actions(sweep.decide(files, recorded(NEW))) == [(KEEP, "~previous-1", None)]


def test_a_resource_that_no_longer_has_an_uploaded_file_needs_no_copy(storage: Path) -> None:
    files = place(storage, NEW, previous_1=OLD)
    steps = sweep.decide(files, recorded(OLD, uploaded=False))
    assert actions(steps) == [(REMOVE, "~previous-1", None)]


def test_files_of_no_resource_are_removed(storage: Path) -> None:
    files = place(storage, NEW, previous_1=OLD, temporary=b"")
    steps = sweep.decide(files, None)
    assert actions(steps) == [
        (REMOVE, "~", None),
        (REMOVE, "current", None),
        (REMOVE, "~previous-1", None),
    ]
    assert f"no resource {RID} in the database" in steps[-1].reason.text("en")


def test_a_resource_s_own_file_alone_is_let_be(storage: Path) -> None:
    files = place(storage, NEW)
    assert sweep.decide(files, recorded(OLD)) == []


def test_of_several_copies_the_recorded_one_is_put_back_and_the_others_removed(
    storage: Path,
) -> None:
    files = place(storage, NEW, previous_1=b"<plus ancien/>", previous_2=OLD, previous_3=OLD)
    assert actions(sweep.decide(files, recorded(OLD))) == [
        (RESTORE, "~previous-2", "current"),
        (REMOVE, "~previous-1", None),
        (REMOVE, "~previous-3", None),
    ]


def test_a_restore_puts_the_recorded_content_in_place(storage: Path) -> None:
    files = place(storage, NEW, previous_1=OLD)
    for step in sweep.decide(files, recorded(OLD)):
        sweep._apply(step)
    assert files.path.read_bytes() == OLD
    assert [p.name for p in files.path.parent.iterdir()] == [files.path.name]


def test_files_out_of_ckan_s_layout_are_reported_not_touched(storage: Path) -> None:
    (storage / "notes.txt").write_text("à garder")
    (storage / RID[:3] / ".cache").mkdir()
    (storage / RID[:3] / RID[3:6] / ".nfs0001").write_bytes(b"")
    groups, strange = sweep.scan(storage)
    assert groups == {}
    assert sorted(p.name for p in strange) == [".cache", ".nfs0001", "notes.txt"]


@pytest.mark.parametrize(
    ("age", "open_since", "expected"),
    [
        (600.0, None, True),  # older than the grace period
        (10.0, None, False),  # recent, and other sessions cannot be seen
        (10.0, 1000.0 - 5.0, True),  # older than every open transaction
        (10.0, 1000.0 - 9.0, False),  # within the clock margin of one
        (10.0, 1000.0 - 20.0, False),  # a transaction older than the file is open
    ],
)
def test_a_file_is_looked_at_once_no_upload_can_still_own_it(
    age: float, open_since: float | None, expected: bool
) -> None:
    assert sweep.settled(1000.0 - age, 1000.0, 300.0, open_since) is expected
