"""The rule editor's preview keeps the last documents it parsed: a document is read once
while it stays among the ``KEPT_DOCUMENTS`` most recently previewed, read again when its
content changed or after it was pushed out."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from ckanext.budget.rulesets import preview, service


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The stored documents read (what ``service.load_document`` was asked for)."""
    done: list[str] = []

    def load_document(resource_id: str) -> Any:
        done.append(resource_id)
        return SimpleNamespace(resource_id=resource_id)

    monkeypatch.setattr(service, "load_document", load_document)
    preview.parsed_document.cache_clear()
    yield done
    preview.parsed_document.cache_clear()


def record(resource_id: str, sha: str = "v1") -> Any:
    return SimpleNamespace(resource_id=resource_id, content_sha256=sha)


def test_the_last_documents_previewed_are_read_once(reads: list[str]) -> None:
    assert preview.KEPT_DOCUMENTS == 2
    first = preview.parsed_document(record("a"))
    assert preview.parsed_document(record("a")) is first
    preview.parsed_document(record("b"))
    preview.parsed_document(record("a"))  # "a" is now the most recent
    preview.parsed_document(record("c"))  # pushes "b" out, not "a"
    preview.parsed_document(record("a"))
    preview.parsed_document(record("b"))
    assert reads == ["a", "b", "c", "b"]


def test_a_new_content_is_read_again(reads: list[str]) -> None:
    preview.parsed_document(record("a", "v1"))
    preview.parsed_document(record("a", "v2"))
    assert reads == ["a", "a"]
