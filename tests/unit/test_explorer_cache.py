"""The explorer pages' cache: a value is built once per key, the least recently used
entries go first, and a changed key (a document or rule set changed) builds again."""

from __future__ import annotations

from ckanext.budget.explorer.cache import LRUCache


def test_value_is_built_once_per_key_and_the_oldest_unused_entry_goes_first() -> None:
    cache = LRUCache(max_entries=2)
    built: list[str] = []

    def build(key: str) -> str:
        built.append(key)
        return key.upper()

    assert cache.get_or_build("a", lambda: build("a")) == "A"
    assert cache.get_or_build("b", lambda: build("b")) == "B"
    assert cache.get_or_build("a", lambda: build("a")) == "A"  # "a" is now the most recent
    assert cache.get_or_build("c", lambda: build("c")) == "C"  # evicts "b", not "a"
    assert cache.get_or_build("a", lambda: build("a")) == "A"
    assert cache.get_or_build("b", lambda: build("b")) == "B"
    assert built == ["a", "b", "c", "b"]


def test_clear_forgets_every_value() -> None:
    cache = LRUCache()
    calls = []
    cache.get_or_build(("doc", "v1"), lambda: calls.append(1))
    cache.clear()
    cache.get_or_build(("doc", "v1"), lambda: calls.append(1))
    assert calls == [1, 1]
