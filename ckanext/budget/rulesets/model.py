"""Tables of the rule sets: the rule set (owner, current version), every saved version,
and the aggregation stored per document (created by revision ``0003_budget_rulesets``)."""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from ckan.plugins import toolkit as tk
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import deferred


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


class RuleSetRecord(tk.BaseModel):
    """The rule set of an organisation (``package_id`` empty) or a dataset's override."""

    __tablename__ = "budget_ruleset"

    id = sa.Column(sa.UnicodeText, primary_key=True)
    owner_org = sa.Column(
        sa.UnicodeText, sa.ForeignKey("group.id", ondelete="CASCADE"), nullable=False
    )
    package_id = sa.Column(
        sa.UnicodeText, sa.ForeignKey("package.id", ondelete="CASCADE"), nullable=True
    )
    label = sa.Column(sa.UnicodeText, nullable=False)
    version = sa.Column(sa.Integer, nullable=False)
    """The latest version saved (a draft when newer than ``published_version``)."""
    published_version = sa.Column(sa.Integer, nullable=True)
    """The version the public sees and documents are aggregated with (revision
    ``0012_budget_ruleset_drafts``); ``None`` until first published: the next rules apply."""
    created = sa.Column(sa.DateTime(timezone=True), default=now)
    updated = sa.Column(sa.DateTime(timezone=True), default=now)
    deleted = sa.Column(sa.DateTime(timezone=True), nullable=True)
    """When it was deleted (revision ``0010_budget_ruleset_soft_delete``): a deleted rule
    set applies to nothing but keeps its versions, and can be restored."""
    deleted_by = sa.Column(sa.UnicodeText, nullable=True)


class RuleSetVersionRecord(tk.BaseModel):
    """One saved state of a rule set: native content, who, when, what changed."""

    __tablename__ = "budget_ruleset_version"

    ruleset_id = sa.Column(
        sa.UnicodeText,
        sa.ForeignKey("budget_ruleset.id", ondelete="CASCADE"),
        primary_key=True,
    )
    version = sa.Column(sa.Integer, primary_key=True)
    content = sa.Column(JSONB, nullable=False)
    """``ruleset_to_dict`` of this version (the native format)."""
    changes = sa.Column(JSONB, nullable=False)
    """What changed from the previous version, see :mod:`.diff`."""
    author = sa.Column(sa.UnicodeText)
    comment = sa.Column(sa.UnicodeText)
    restored_from = sa.Column(sa.Integer)
    created = sa.Column(sa.DateTime(timezone=True), nullable=False, default=now)
    published = sa.Column(sa.DateTime(timezone=True), nullable=True)
    """When this version was published (``None``: a draft, never published)."""
    published_by = sa.Column(sa.UnicodeText, nullable=True)


class AggregationRecord(tk.BaseModel):
    """A document's aggregation (categories and checks; the leaves' lines apart), with the
    rule-set version and the document content that produced it."""

    __tablename__ = "budget_aggregation"

    resource_id = sa.Column(
        sa.UnicodeText,
        sa.ForeignKey("budget_document.resource_id", ondelete="CASCADE"),
        primary_key=True,
    )
    ruleset_id = sa.Column(
        sa.UnicodeText, sa.ForeignKey("budget_ruleset.id", ondelete="SET NULL"), nullable=True
    )
    ruleset_version = sa.Column(sa.Integer)
    ruleset_name = sa.Column(sa.UnicodeText, nullable=False)
    content_sha256 = sa.Column(sa.String(64), nullable=False)
    ok = sa.Column(sa.Boolean, nullable=False)
    result = sa.Column(JSONB, nullable=False)
    """``docbudg.figures.results.Result.to_json()`` (read it with ``service.result``); the
    French form of earlier versions was converted by revision ``0005_budget_typed_results``."""
    computed = sa.Column(sa.DateTime(timezone=True), nullable=False, default=now)
    lines = deferred(sa.Column(JSONB))
    """Every leaf's lines (``docbudg.figures.results.leaf_lines_to_json``, revision
    ``0007_budget_aggregation_lines``): loaded only when a leaf's lines are shown."""
