"""``ckan budget rules import|export``: an organisation's rules from and to files, each
import a new version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.budget.docbudg.aggregation import ruleset_from_dict, ruleset_to_dict
from ckanext.budget.rulesets.cli import rules

pytestmark = pytest.mark.usefixtures("clean_db")

RULES = Path(__file__).parent.parent / "fixtures" / "rules"


def test_import_native_then_gironde_then_export(cli: Any, tmp_path: Path) -> None:
    factories.Organization(name="montreuil")
    result = cli.invoke(rules, ["import", "montreuil", str(RULES / "montreuil.yaml")])
    assert result.exit_code == 0, result.output
    assert "version 1 saved" in result.output
    result = cli.invoke(
        rules,
        [
            "import",
            "montreuil",
            str(RULES / "gironde-description-agregation.json"),
            "--corrections",
            str(RULES / "gironde-corrections-agregation.csv"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "version 2 saved" in result.output
    history = call_action("budget_ruleset_history", organization="montreuil")
    assert [v["version"] for v in history] == [2, 1]

    target = tmp_path / "regles.yaml"
    result = cli.invoke(rules, ["export", "montreuil", str(target), "--version", "1"])
    assert result.exit_code == 0, result.output
    exported = yaml.safe_load(target.read_text(encoding="utf-8"))
    assert exported["id"] == "montreuil"
    stored = call_action("budget_ruleset_show", organization="montreuil", version=1)["rules"]
    # the same rules, their formulas written in words (the stored text is the ASCII one)
    personnel = exported["trees"][0]["categories"][0]["children"][0]
    assert personnel["formula"] == "dépenses et fonctionnement et chapitre 012"
    same = ruleset_to_dict(ruleset_from_dict(stored))  # formulas as their native text
    assert ruleset_to_dict(ruleset_from_dict(exported)) == same


def test_import_reports_a_broken_formula(cli: Any, tmp_path: Path) -> None:
    factories.Organization(name="crach")
    broken = yaml.safe_load((RULES / "montreuil.yaml").read_text(encoding="utf-8"))
    broken["trees"][0]["categories"][1]["formula"] = "DI ∩ (C20"
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(broken, allow_unicode=True), encoding="utf-8")
    result = cli.invoke(rules, ["import", "crach", str(path)])
    assert result.exit_code != 0
    assert "rdfi/DI" in result.output and "position" in result.output
    assert call_action("budget_ruleset_list", organization="crach") == []
