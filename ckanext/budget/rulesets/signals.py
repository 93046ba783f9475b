"""The signals of rule sets (a leaf module: ``service`` sends, ``jobs`` listens, so the
operations on rule sets need not import the jobs that recompute after them)."""

from __future__ import annotations

from ckan.plugins import toolkit as tk

rules_changed = tk.signals.ckanext.signal("budget_rules_changed")
"""Sent once a rule-set change is committed, with ``resource_ids``: the documents whose
rules it changed. Their aggregations are out of date; ``jobs`` computes them again."""
