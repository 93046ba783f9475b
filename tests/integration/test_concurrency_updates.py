"""Concurrent changes of one resource and of one rule set: the last write wins whole.

Several editors replacing the same document at once, a background job processing a
document while it is replaced, several saves of the same rule set at once: every call
ends cleanly (stored, or refused with a message), and what stays is one input entirely —
the stored file, its lines, derived files and aggregation all come from the same
document, and each aggregation records the content hash and rule-set version it used.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from ckan import model
from ckan.plugins import toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.budget import settings
from ckanext.budget.docbudg import reader
from ckanext.budget.docbudg.aggregation import (
    aggregate,
    default_ruleset,
    ruleset_from_dict,
    ruleset_to_dict,
    with_default_trees,
)
from ckanext.budget.docbudg.figures.big_numbers import big_numbers
from ckanext.budget.docbudg.figures.results import result_of
from ckanext.budget.documents import jobs, storage, upload
from ckanext.budget.documents import model as db
from ckanext.budget.rulesets import service

from .budget_uploads import file_storage, sample_bytes, upload_resource
from .test_concurrency_uploads import run_at_once

pytestmark = pytest.mark.usefixtures("clean_db")

FIRST = "crach/Crach_lotissement_CA_2021.xml"
REPLACEMENTS = [
    "crach/Crach_principal_CA_2021.xml",
    "crach/Crach_principal_BP_2022.xml",
    "crach/Crach_principal_DM2_2021.xml",
    "crach/Crach_principal_DM3_2021.xml",
]


def rules_variant(number: int) -> dict[str, Any]:
    """A small native rule set; each number gives different labels and one more category."""
    return {
        "format": "budget-aggregation/1",
        "id": "sections",
        "label": f"Par sens, variante {number}",
        "trees": [
            {
                "id": "sens",
                "label": "Par sens",
                "categories": [
                    {"id": "D", "label": "Dépenses", "formula": "sens:D"},
                    {"id": "R", "label": "Recettes", "formula": "sens:R"},
                    {
                        "id": f"N{number}",
                        "label": f"Nature 6{number}",
                        "formula": f"nature:6{number}*",
                    },
                ],
            }
        ],
    }


def native(rules: dict[str, Any]) -> dict[str, Any]:
    """The rule set as the portal stores it (its native dict)."""
    return json.loads(json.dumps(ruleset_to_dict(ruleset_from_dict(rules))))


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def assert_one_input_whole(resource_id: str, inputs: dict[str, bytes]) -> str:
    """The resource's stored file, record, lines, derived files and aggregation all come
    from the same one of ``inputs`` (keyed by the sha256 of their anonymised bytes)."""
    model.Session.remove()
    record = db.get_document(resource_id)
    stored = storage.stored_bytes(resource_id)
    assert sha256(stored) == record.content_sha256
    assert record.content_sha256 in inputs
    assert record.status == db.STATUS_DONE
    doc = reader.read_document(stored, settings.limits())
    assert db.query_lines(resource_id, limit=0)[0] == len(doc.detail_lines)
    lines_csv = db.get_export(resource_id, "lines.csv")
    assert lines_csv is not None
    assert lines_csv.content.count(b"\n") - 1 == len(doc.detail_lines)
    assert record.exercice == int(doc.header.exer)
    aggregation = service.stored(resource_id)
    assert aggregation.content_sha256 == record.content_sha256
    ruleset = service.applicable(record.package_id)
    assert (aggregation.ruleset_id, aggregation.ruleset_version) == (
        ruleset.id,
        ruleset.published_version,
    )
    # The published rules, with the default presentations they do not replace.
    rules = with_default_trees(
        service.ruleset(ruleset, ruleset.published_version), default_ruleset(doc)
    )
    expected = result_of(aggregate(doc, rules), big_numbers(doc))
    assert aggregation.result == json.loads(json.dumps(expected.to_json()))
    return record.content_sha256


@pytest.fixture
def dataset_with_rules() -> dict[str, Any]:
    organization = factories.Organization()
    call_action("budget_ruleset_create", organization=organization["name"], rules=rules_variant(0))
    return factories.Dataset(type="budget", owner_org=organization["id"])


def test_concurrent_replacements_of_one_document_leave_one_input_whole(
    app: Any, dataset_with_rules: dict[str, Any]
) -> None:
    resource = upload_resource(dataset_with_rules["id"], sample_bytes(FIRST), "first.xml")
    payloads = [sample_bytes(name) for name in REPLACEMENTS]
    inputs = {upload.prepare(data).sha256: data for data in payloads}

    def replace(data: bytes) -> Callable[[], Any]:
        return lambda: call_action(
            "resource_patch", id=resource["id"], upload=file_storage(data, "doc.xml")
        )

    results = run_at_once(app, [replace(data) for data in payloads])

    assert [r for r in results if isinstance(r, Exception)] == []
    assert_one_input_whole(resource["id"], inputs)


def test_a_job_that_read_a_replaced_file_does_not_overwrite_the_newer_results(
    app: Any, dataset_with_rules: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = sample_bytes(REPLACEMENTS[0]), sample_bytes(REPLACEMENTS[1])
    resource = upload_resource(dataset_with_rules["id"], first, "first.xml")
    read_old = threading.Event()
    replaced = threading.Event()
    original_read = storage.stored_bytes

    def slow_read(resource_id: str) -> bytes:
        """The job thread waits, after reading the old file, until it is replaced."""
        data = original_read(resource_id)
        if threading.current_thread().name == "job" and not read_old.is_set():
            read_old.set()
            replaced.wait(timeout=60)
        return data

    monkeypatch.setattr(storage, "stored_bytes", slow_read)
    errors: list[Exception] = []

    def job() -> None:
        with app.flask_app.test_request_context():
            try:
                jobs.reprocess(resource["id"], in_background=False)
            except Exception as error:  # reported below
                errors.append(error)
            finally:
                model.Session.remove()

    thread = threading.Thread(target=job, name="job")
    thread.start()
    assert read_old.wait(timeout=60)
    call_action("resource_patch", id=resource["id"], upload=file_storage(second, "second.xml"))
    model.Session.remove()
    replaced.set()
    thread.join(timeout=120)

    assert errors == []
    final = assert_one_input_whole(resource["id"], {upload.prepare(second).sha256: second})
    assert final == upload.prepare(second).sha256


def test_concurrent_saves_of_one_rule_set_make_gapless_versions(
    app: Any, dataset_with_rules: dict[str, Any]
) -> None:
    resource = upload_resource(dataset_with_rules["id"], sample_bytes(FIRST), "doc.xml")
    ruleset = service.applicable(dataset_with_rules["id"])
    variants = {number: rules_variant(number) for number in range(1, 6)}

    def save(rules: dict[str, Any]) -> Callable[[], Any]:
        return lambda: call_action("budget_ruleset_update", id=ruleset.id, rules=rules)

    results = run_at_once(app, [save(rules) for rules in variants.values()])

    assert [r for r in results if isinstance(r, Exception)] == []
    assert sorted(r["version"] for r in results) == [2, 3, 4, 5, 6]
    model.Session.remove()
    history = call_action("budget_ruleset_history", id=ruleset.id)
    assert [v["version"] for v in history] == [6, 5, 4, 3, 2, 1]
    saved = [
        call_action("budget_ruleset_show", id=ruleset.id, version=n)["rules"] for n in range(2, 7)
    ]
    assert sorted(map(canonical, saved)) == sorted(canonical(native(r)) for r in variants.values())
    current = call_action("budget_ruleset_show", id=ruleset.id)
    assert current["version"] == 6 and current["rules"] == saved[-1]
    # Each save's summary describes its change from the version it really followed.
    for version in history[:-1]:
        assert version["changes"], version
    first = sample_bytes(FIRST)
    assert_one_input_whole(resource["id"], {upload.prepare(first).sha256: first})


def test_a_save_based_on_an_old_version_is_refused_with_a_clear_message(
    app: Any, dataset_with_rules: dict[str, Any]
) -> None:
    ruleset = service.applicable(dataset_with_rules["id"])

    def save(rules: dict[str, Any]) -> Callable[[], Any]:
        return lambda: call_action(
            "budget_ruleset_update", id=ruleset.id, rules=rules, base_version=1
        )

    results = run_at_once(app, [save(rules_variant(n)) for n in range(1, 5)])

    saved = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if isinstance(r, tk.ValidationError)]
    assert len(saved) == 1 and len(refused) == 3, results
    assert saved[0]["version"] == 2
    for error in refused:
        message = error.error_dict["base_version"][0]
        assert "version 2" in message and "reload" in message.lower()
    model.Session.remove()
    assert [v["version"] for v in call_action("budget_ruleset_history", id=ruleset.id)] == [2, 1]
