"""Aggregation rules: present ~1,500 budget lines as the categories an authority publishes.

A :class:`RuleSet` holds a :class:`Selection` (which lines count and which amount: by
default real operations, results ``001``/``002`` left out, duplicates summed, each
stage's own amount: ``MtReal`` for CA/CFU, the credits voted after the decision for
BP/BS/DM, see :mod:`..stage_amounts`), one or more alternative :class:`Tree` of
:class:`Category` whose leaves hold a formula (see :mod:`.formula` for the language), and
:class:`Correction` rows that split one line between leaves for a year. Every aggregation
runs the checks (unmatched lines, lines counted twice, totals by recettes/dépenses ×
fonctionnement/investissement, split lines that do not add up)::

    from ckanext.budget.docbudg.aggregation import aggregate, default_ruleset, load_ruleset

    result = aggregate(doc, load_ruleset("rules.yaml"))        # or default_ruleset(doc)
    tree = result.trees["rdfi"]
    tree.node("DF").total, tree.checks.ok, tree.checks.messages()
    figures.report: result_to_dict(result); result_to_csv(result); multi_year_table(results)

Results are kept typed (:mod:`..figures.results`); their public JSON and CSV forms are
written by :mod:`..figures.report`.

API: ``parse_formula(text) -> Formula`` (raises :class:`FormulaError` with ``position``,
``suggestion``, bilingual ``text_in(lang)``); ``aggregate(doc, ruleset, tree_id=None,
plan=None) -> AggregationResult``; ``default_ruleset(plan | doc)``;
``load_ruleset(path)`` / ``dump_ruleset(ruleset, "yaml" | "json")``;
``import_gironde(json_path, corrections_csv=None)`` (alternative breakdowns such as
"… par prestations" / "… par publics" become alternative trees);
``import_corrections(csv_path, ruleset)`` (split lines);
``import_mapping(path, columns={role: column}, hierarchies={tree_id: [level columns]},
sheet=None, plan=None, guess=False)`` (codes read exactly, headers whatever their spaces,
case and accents, see :mod:`.mapping`); ``multi_year_table(results, tree_id=None)``.

Speed: each document gets a line index once (:mod:`.index`: bit masks per code, totals
as one matrix product in exact integer cents); formulas are parsed and compiled once per
rule set (``Category.program``).
"""

from .defaults import default_ruleset, with_default_trees
from .engine import (
    AggregationResult,
    Checks,
    LineResult,
    NodeResult,
    Share,
    TreeResult,
    aggregate,
)
from .formula import Formula, FormulaError, native, parse_formula, plain, plain_text
from .importers import import_corrections, import_gironde
from .mapping import import_mapping
from .ruleset import Category, Correction, RuleSet, RuleSetError, Selection, Tree
from .storage import dump_ruleset, load_ruleset, ruleset_from_dict, ruleset_to_dict

__all__ = [
    "AggregationResult",
    "Category",
    "Checks",
    "Correction",
    "Formula",
    "FormulaError",
    "LineResult",
    "NodeResult",
    "RuleSet",
    "RuleSetError",
    "Selection",
    "Share",
    "Tree",
    "TreeResult",
    "aggregate",
    "default_ruleset",
    "dump_ruleset",
    "import_corrections",
    "import_gironde",
    "import_mapping",
    "load_ruleset",
    "native",
    "parse_formula",
    "plain",
    "plain_text",
    "ruleset_from_dict",
    "ruleset_to_dict",
    "with_default_trees",
]
