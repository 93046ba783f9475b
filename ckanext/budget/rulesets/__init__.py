"""Aggregation rule sets in the portal: stored per organisation (or dataset), versioned,
edited in French by finance staff, applied to every budget document with its checks.

``model`` holds the tables, ``diff`` the readable summary of a change, ``service`` the
operations (save a version, restore, aggregate a document, recompute after a change),
``views`` the editor pages, ``cli`` the ``rules`` commands, ``helpers`` what templates
call; the API actions are in ``logic/action/rulesets.py``.
"""
