"""The native, versionable file format of rule sets (YAML or JSON, same structure).

Formulas are written in the native notation (explicit parentheses, named selectors), so a
diff of two versions reads as what changed. Amounts are strings: Decimal, never float.

.. code-block:: yaml

    format: budget-aggregation/1
    id: montreuil
    label: Présentation de Montreuil
    selection: {operations: reel, exclude_natures: ['001', '002'], ...}
    trees:
    - id: rdfi
      label: Recettes et dépenses
      categories:
      - id: DF
        label: Dépenses de fonctionnement
        formula: sens:D & section:F
    corrections:
    - {exer: 2012, sens: D, nature: '65111', fonction: '51', montant: '13101007.65',
       categorie: DF.1.1.3}
"""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from ..messages import Message
from ..model import Stage
from ..stage_amounts import Amount, AmountError, stage_amount
from .formula import Formula, FormulaError, native, parse_formula
from .ruleset import (
    OPERATIONS,
    Category,
    Correction,
    EditorialTexts,
    RuleSet,
    RuleSetError,
    Selection,
    Text,
    Texts,
    Tree,
    clean_text,
    text_problem,
)

FORMAT = "budget-aggregation/1"


def _texts_dict(texts: Texts) -> dict[str, dict[str, str]]:
    """Editorial texts by year, the years as text (JSON keys), in order."""
    return {
        str(year): {"fr": text.fr, **({"en": text.en} if text.en else {})}
        for year, text in sorted(texts.items())
    }


def _category_dict(category: Category, render: Callable[[Formula], str] = native) -> dict[str, Any]:
    out: dict[str, Any] = {"id": category.id, "label": category.label}
    if category.label_en:
        out["label_en"] = category.label_en
    if category.description:
        out["description"] = category.description
    if category.children:
        out["children"] = [_category_dict(child, render) for child in category.children]
    else:
        out["formula"] = render(category.formula) if category.formula is not None else ""
    if category.texts:
        out["texts"] = _texts_dict(category.texts)
    return out


def ruleset_to_dict(ruleset: RuleSet, render: Callable[[Formula], str] = native) -> dict[str, Any]:
    """The rule set as stored; ``render`` writes its formulas (:func:`.formula.native`, the
    stored text; :func:`.formula.plain` for a file people read)."""
    sel = ruleset.selection
    out: dict[str, Any] = {"format": FORMAT, "id": ruleset.id, "label": ruleset.label}
    if ruleset.label_en:
        out["label_en"] = ruleset.label_en
    if ruleset.description:
        out["description"] = ruleset.description
    out["selection"] = {
        "amounts": dict(sel.amounts),
        "operations": sel.operations,
        "exclude_natures": list(sel.exclude_natures),
        "skip_zero": sel.skip_zero,
        "merge_duplicates": sel.merge_duplicates,
        "neutral_debt_apart": sel.neutral_debt_apart,
    }
    if ruleset.texts:
        out["texts"] = _texts_dict(ruleset.texts)
    out["trees"] = []
    for tree in ruleset.trees:
        item: dict[str, Any] = {"id": tree.id, "label": tree.label}
        if tree.label_en:
            item["label_en"] = tree.label_en
        if tree.description:
            item["description"] = tree.description
        item["categories"] = [_category_dict(c, render) for c in tree.categories]
        out["trees"].append(item)
    if ruleset.corrections:
        out["corrections"] = [
            {
                "exer": c.exer,
                "sens": c.cod_rd,
                "nature": c.nature,
                "fonction": c.fonction,
                "montant": str(c.amount),
                "categorie": c.category,
                **({"arbre": c.tree} if c.tree else {}),
            }
            for c in ruleset.corrections
        ]
    return out


def dump_ruleset(
    ruleset: RuleSet, fmt: str = "yaml", render: Callable[[Formula], str] = native
) -> str:
    """Native text of a rule set (``yaml`` or ``json``), its formulas written by
    ``render``; any notation is read back by :func:`load_ruleset`."""
    data = ruleset_to_dict(ruleset, render)
    if fmt == "json":
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


def _err(fr: str, en: str, **params: Any) -> RuleSetError:
    return RuleSetError(Message(fr, en, params))


def _texts(data: Any, where: str) -> Texts:
    """Editorial texts by year (``{"2023": {"fr": …, "en": …}}``); none when missing, as
    in every version saved before texts existed."""
    if not data:
        return {}
    if not isinstance(data, dict):
        raise _err(
            "{where} : « texts » doit associer des années à des textes.",
            "{where}: 'texts' must map years to texts.",
            where=where,
        )
    out: Texts = {}
    for key, value in data.items():
        year = int(key) if str(key).strip().isdigit() else key
        if not isinstance(value, dict) or not isinstance(value.get("fr", ""), str):
            raise _err(
                "{where} : texte de {year} illisible ({{fr: …, en: …}} attendu).",
                "{where}: unreadable text of {year} ({{fr: …, en: …}} expected).",
                where=where,
                year=key,
            )
        fr = clean_text(value.get("fr"))
        en = clean_text(value.get("en")) if isinstance(value.get("en"), str) else ""
        problem = text_problem(year, fr, en)
        if problem is not None:
            raise RuleSetError(
                Message(
                    "{where} : {fr}",
                    "{where}: {en}",
                    {"where": where, "fr": problem.text("fr"), "en": problem.text("en")},
                )
            )
        if fr:
            out[int(year)] = Text(fr, en or None)
    return out


def _category(data: Any, where: str) -> Category:
    if not isinstance(data, dict) or not data.get("id") or "label" not in data:
        raise _err(
            "{where} : une catégorie doit avoir « id » et « label ».",
            "{where}: a category needs 'id' and 'label'.",
            where=where,
        )
    children = data.get("children") or []
    category = Category(
        id=str(data["id"]),
        label=str(data["label"]),
        label_en=data.get("label_en"),
        description=data.get("description"),
        formula_text=None if children else str(data.get("formula") or ""),
        children=[_category(child, f"{where}/{data['id']}") for child in children],
        texts=_texts(data.get("texts"), f"{where}/{data['id']}"),
    )
    if category.formula_text:
        try:
            category.formula = parse_formula(category.formula_text)  # parsed once
        except FormulaError as exc:
            raise RuleSetError(
                Message(
                    "{where}/{id} : {fr}",
                    "{where}/{id}: {en}",
                    {
                        "where": where,
                        "id": category.id,
                        "fr": exc.text_in("fr"),
                        "en": exc.text_in("en"),
                    },
                )
            ) from exc
    return category


LEGACY_AMOUNTS = {"BP": "MtPrev", "BS": "MtPrev", "DM": "MtPrev", "CA": "MtReal", "CFU": "MtReal"}
"""What every rule set saved before the stages had their own amounts (``stage_amounts``)
wrote, chosen by its author or not: read as no choice. (Stored versions were cleaned entry
by entry by revision 0008; this is for files saved by earlier versions.)"""


def _amounts(given: Any) -> dict[str, str]:
    """The amounts a rule set counts instead of the stages' own, each checked; one equal
    to the stage's own is no choice, and is not kept."""
    if not given or given == LEGACY_AMOUNTS:
        return {}
    if not isinstance(given, dict):
        raise _err(
            "selection.amounts doit associer des étapes à des montants.",
            "selection.amounts must map stages to amounts.",
        )
    chosen = {}
    for name, text in given.items():
        stage = Stage.__members__.get(str(name))
        if stage is None:
            raise _err(
                "selection.amounts : étape « {stage} » inconnue ({stages}).",
                "selection.amounts: unknown stage '{stage}' ({stages}).",
                stage=name,
                stages=", ".join(Stage.__members__),
            )
        try:
            amount = Amount.parse(str(text))
        except AmountError as exc:
            raise RuleSetError(
                Message(
                    "selection.amounts.{stage} : {fr}",
                    "selection.amounts.{stage}: {en}",
                    {"stage": stage.name, "fr": exc.msg.text("fr"), "en": exc.msg.text("en")},
                )
            ) from exc
        if amount != stage_amount(stage):
            chosen[stage.name] = amount.name
    return chosen


def ruleset_from_dict(data: Any) -> RuleSet:
    """Build and validate a rule set; formulas are parsed here, errors name the leaf."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise _err(
            "Ce fichier n'est pas un jeu de règles d'agrégation (format « {format} » attendu).",
            "This file is not an aggregation rule set ('{format}' format expected).",
            format=FORMAT,
        )
    sel = data.get("selection") or {}
    if sel.get("operations", "reel") not in OPERATIONS:
        raise _err(
            "selection.operations doit valoir {choices}.",
            "selection.operations must be one of {choices}.",
            choices=", ".join(OPERATIONS),
        )
    defaults = Selection()
    selection = Selection(
        amounts=_amounts(sel.get("amounts")),
        operations=sel.get("operations", defaults.operations),
        exclude_natures=tuple(str(n) for n in sel.get("exclude_natures", defaults.exclude_natures)),
        skip_zero=bool(sel.get("skip_zero", defaults.skip_zero)),
        merge_duplicates=bool(sel.get("merge_duplicates", defaults.merge_duplicates)),
        neutral_debt_apart=bool(sel.get("neutral_debt_apart", defaults.neutral_debt_apart)),
    )
    trees = []
    for item in data.get("trees") or []:
        tree_id = str(item.get("id") or "")
        trees.append(
            Tree(
                id=tree_id,
                label=str(item.get("label") or tree_id),
                label_en=item.get("label_en"),
                description=item.get("description"),
                categories=[_category(c, tree_id) for c in item.get("categories") or []],
            )
        )
    if not trees:
        raise _err("Le jeu de règles n'a aucun arbre.", "The rule set has no tree.")
    tree_ids = [tree.id for tree in trees]
    if len(set(tree_ids)) < len(tree_ids):
        raise _err(
            "Plusieurs arbres portent le même identifiant ({ids}).",
            "Several trees have the same id ({ids}).",
            ids=", ".join(sorted({i for i in tree_ids if tree_ids.count(i) > 1})),
        )
    for tree in trees:
        if twice := tree.duplicate_ids():
            raise _err(
                "Arbre {tree} : plusieurs catégories portent le même identifiant ({ids}) ; "
                "chaque catégorie doit avoir le sien.",
                "Tree {tree}: several categories have the same id ({ids}); each category "
                "needs its own.",
                tree=tree.id,
                ids=", ".join(twice),
            )
    corrections = []
    for row in data.get("corrections") or []:
        try:
            amount = Decimal(str(row["montant"]))
            corrections.append(
                Correction(
                    exer=int(row["exer"]),
                    cod_rd=str(row["sens"]),
                    nature=str(row["nature"]),
                    fonction=str(row["fonction"]) if row.get("fonction") else None,
                    amount=amount,
                    category=str(row["categorie"]),
                    tree=row.get("arbre"),
                )
            )
        except (KeyError, ValueError, TypeError, InvalidOperation) as exc:
            raise _err(
                "Correction illisible : {row}.", "Unreadable correction: {row}.", row=row
            ) from exc
    return RuleSet(
        id=str(data.get("id") or "rules"),
        label=str(data.get("label") or data.get("id") or ""),
        label_en=data.get("label_en"),
        description=data.get("description"),
        selection=selection,
        trees=trees,
        corrections=corrections,
        texts=_texts(data.get("texts"), "texts"),
    )


def texts_from_dict(data: Any) -> EditorialTexts:
    """Only the editorial texts of a stored rule set (formulas are not parsed): what the
    pages read beside the figures. Texts that cannot be read are left out: the pages show
    the figures without them."""
    if not isinstance(data, dict):
        return EditorialTexts()

    def read(given: Any, where: str) -> Texts:
        try:
            return _texts(given, where)
        except RuleSetError:
            return {}

    categories: dict[tuple[str, str], Texts] = {}
    for tree in data.get("trees") or []:
        if not isinstance(tree, dict):
            continue
        stack = list(tree.get("categories") or [])
        while stack:
            category = stack.pop()
            if not isinstance(category, dict):
                continue
            stack.extend(category.get("children") or [])
            if texts := read(category.get("texts"), "texts"):
                categories[(str(tree.get("id") or ""), str(category.get("id") or ""))] = texts
    return EditorialTexts(budget=read(data.get("texts"), "texts"), categories=categories)


def load_ruleset(path: str | Path) -> RuleSet:
    """Read a native rule set, or a Gironde-style JSON tree (imported on the fly)."""
    text = Path(path).read_text(encoding="utf-8")
    if str(path).endswith(".json"):
        data = json.loads(text)
        if isinstance(data, dict) and "format" not in data and "children" in data:
            from .importers import import_gironde

            return import_gironde(path)
    else:
        data = yaml.safe_load(text)
    return ruleset_from_dict(data)
