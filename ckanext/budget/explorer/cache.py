"""A small in-process cache of what the budget and comparison pages compute.

Entries are never invalidated: the key names everything the value was computed from (the
documents, the moment they were last changed, the aggregation stored for each — content
hash, rule set and version, computation time —, the language and the page's arguments),
so a changed document or rule set simply makes a new key and the old entry ages out of
the LRU. Values are shared between requests: callers must treat them as read-only.

In process rather than in Redis: a value is a few kilobytes of Python objects rebuilt
in a few milliseconds, not worth a network round trip and a serialisation; each web
worker warms its own copy.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

import cachetools

T = TypeVar("T")
MAX_ENTRIES = 512


class LRUCache:
    """A thread-safe least-recently-used mapping with a bounded number of entries
    (cachetools' ``LRUCache``, which is not thread-safe by itself, behind a lock)."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: cachetools.LRUCache[Hashable, object] = cachetools.LRUCache(max_entries)
        self._lock = threading.Lock()

    def get_or_build(self, key: Hashable, build: Callable[[], T]) -> T:
        """The cached value of ``key``, built (outside the lock) when missing; when two
        requests build it at once, both get the first one stored."""
        with self._lock:
            try:
                return self._entries[key]  # type: ignore[return-value]
            except KeyError:
                pass
        value = build()
        with self._lock:
            return self._entries.setdefault(key, value)  # type: ignore[return-value]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


pages = LRUCache()
"""The cache the explorer pages share."""
