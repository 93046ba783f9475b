"""Aggregation rule sets in the portal: stored per organisation (or dataset), versioned,
edited in French by finance staff, applied to every budget document with its checks.

``model`` holds the tables, ``diff`` the readable summary of a change, ``service`` the
operations (save a version, restore, store a document's aggregation, what reads take of
it), ``jobs`` where aggregations are computed (in the pass that processes a document,
after a rule-set change, in a job a read queued: never by a read), ``signals`` what a
change of rules says, ``views`` the editor pages, ``cli`` the ``rules`` commands,
``helpers`` what templates call, ``actions`` the API.
"""
