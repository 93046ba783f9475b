"""The same document uploaded as a second resource of a dataset (found by the upload
benchmark, which uploads one synthetic document again and again): each resource ends
processed, with its own results."""

from __future__ import annotations

from typing import Any

from ckanext.budget.documents import model as db
from ckanext.budget.documents.upload import pending

from .budget_uploads import sample_bytes, upload_resource


def test_a_second_resource_with_the_same_content_is_processed_too(
    budget_dataset: dict[str, Any],
) -> None:
    data = sample_bytes("crach/Crach_principal_BP_2022.xml")
    first = upload_resource(budget_dataset["id"], data, "bp.xml", name="BP 2022")
    second = upload_resource(budget_dataset["id"], data, "bp-copy.xml", name="BP 2022 (copy)")

    records = [db.get_document(resource["id"]) for resource in (first, second)]
    assert [record.status for record in records] == [db.STATUS_DONE, db.STATUS_DONE]
    assert records[0].content_sha256 == records[1].content_sha256
    assert db.query_lines(second["id"])[0] == db.query_lines(first["id"])[0] > 0
    assert db.get_export(second["id"], "scdl-budget.csv") is not None
    assert pending.peek(records[1].content_sha256) is None  # nothing kept in memory
