"""Administrators add a newer year's official plans without a release: import, then find."""

from __future__ import annotations

from pathlib import Path

import pytest

from ckanext.budget.docbudg.nomenclature import (
    ENV_PLANS_DIR,
    available_plans,
    find_plan,
    import_plans,
)

PLAN_XML = """<?xml version='1.0' encoding='UTF-8'?>
<!-- This file is part of ODM print-comp (LGPL-2+). -->
<Nomenclature Norme="{norme}" Declinaison="{declinaison}" Exer="{exer}">
  <Nature>
    <Chapitres>
      <Chapitre Code="011" Libelle="Charges à caractère général" Lib_court="Charges générales"
                TypeChapitre="G" Section="F" Special="0"/>
      <Chapitre Code="040" Libelle="Opérations d'ordre entre sections" TypeChapitre="G"
                Section="I" Special="0"/>
      <Chapitre Code="21" Libelle="Immobilisations corporelles" TypeChapitre="C" Section="I"
                Special="0" Supprime="1"/>
    </Chapitres>
    <Comptes>
      <Compte Code="60" Libelle="Achats" DR="" RR="">
        <Compte Code="606" Libelle="Achats non stockés">
          <Compte Code="6061" Libelle="{label_6061}" DR="011" DOES="" DOIS="" RR="" ROES=""
                  ROIS=""/>
          <Compte Code="6068" Libelle="Autres matières" DR="011" Supprime="1"/>
        </Compte>
      </Compte>
      <Compte Code="21" Libelle="Immobilisations corporelles">
        <Compte Code="2183" Libelle="Matériel informatique" DR="21" DOES="040" RR="21"
                ROES="040"/>
      </Compte>
    </Comptes>
  </Nature>
  <Fonction>
    <Chapitres>
      <Chapitre Code="920" Libelle="Services généraux" TypeChapitre="C" Section="F"
                Special="0"/>
    </Chapitres>
    <Comptes>
      <Compte Code="92" Libelle="Opérations ventilées">
        <Compte Code="9200" Libelle="Services généraux" DR="920" RR="920"/>
      </Compte>
    </Comptes>
    <RefFonctionnelles>
      <RefFonc Code="0" Libelle="Services généraux">
        <RefFonc Code="02" Libelle="Administration générale">
          <RefFonc Code="020" Libelle="Administration générale de la collectivité"/>
        </RefFonc>
      </RefFonc>
    </RefFonctionnelles>
  </Fonction>
</Nomenclature>
"""


def write_xml(path: Path, exer: int, declinaison: str, label_6061: str = "Eau") -> Path:
    path.mkdir(parents=True, exist_ok=True)
    target = path / "planDeCompte.xml"
    norme = declinaison.split("_")[0]
    text = PLAN_XML.format(exer=exer, norme=norme, declinaison=declinaison, label_6061=label_6061)
    target.write_text(text, encoding="utf-8")
    return target


@pytest.fixture
def official_tree(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    write_xml(src / "2031" / "M14" / "M14_TEST", 2031, "M14_TEST")
    # Published under 2032 but still declaring 2031, like the 2022 official files.
    write_xml(src / "2032" / "M14" / "M14_TEST", 2031, "M14_TEST", label_6061="Eau 2032")
    return src


def test_import_round_trip(official_tree: Path, tmp_path: Path):
    dest = tmp_path / "plans"
    keys = import_plans(official_tree, dest)
    assert keys == [(2031, "M14", "M14_TEST"), (2032, "M14", "M14_TEST")]
    assert set(keys) <= set(available_plans(dest))
    assert not set(keys) & set(available_plans())

    plan = find_plan(2031, "M14-M14_TEST", plans_dir=dest)
    assert (plan.exer, plan.nomenclature) == (2031, "M14-M14_TEST")
    water = plan.account("6061")
    assert (water.label, water.parent, dict(water.chapters)) == ("Eau", "606", {"DR": "011"})
    assert plan.account("6068").supprime is True
    assert plan.account_descendants("60") == {"60", "606", "6061", "6068"}
    computer = plan.account("2183").chapters
    assert (computer["DR"], computer["DOES"], computer["ROES"]) == ("21", "040", "040")

    general = plan.chapter("011")
    assert (general.section, general.kind, general.short_label) == ("F", "G", "Charges générales")
    assert plan.chapter("21").supprime is True
    assert plan.function_chapter("920").section == "F"
    assert plan.function("020").parent == "02"
    assert plan.function("9200").chapter == "920"
    assert plan.function_descendants("0") == {"0", "02", "020"}

    # The folder's year wins over a stale Exer attribute.
    assert find_plan(2032, "M14-M14_TEST", plans_dir=dest).account("6061").label == "Eau 2032"


def test_import_from_a_flat_folder_uses_the_xml_header(tmp_path: Path):
    write_xml(tmp_path / "downloads", 2033, "M14_FLAT")
    assert import_plans(tmp_path / "downloads", tmp_path / "out") == [(2033, "M14", "M14_FLAT")]


def test_reimport_replaces_the_cached_plan(tmp_path: Path):
    src = tmp_path / "src" / "2031" / "M14" / "M14_TEST"
    dest = tmp_path / "plans"
    write_xml(src, 2031, "M14_TEST", label_6061="Avant")
    import_plans(tmp_path / "src", dest)
    assert find_plan(2031, "M14-M14_TEST", plans_dir=dest).account("6061").label == "Avant"
    write_xml(src, 2031, "M14_TEST", label_6061="Après, plus long")
    import_plans(tmp_path / "src", dest)
    assert find_plan(2031, "M14-M14_TEST", plans_dir=dest).account("6061").label == (
        "Après, plus long"
    )


def test_environment_directory_is_searched_before_the_bundled_data(
    official_tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    env_dir = tmp_path / "env"
    import_plans(official_tree, env_dir)
    monkeypatch.setenv(ENV_PLANS_DIR, str(env_dir))
    assert find_plan(2031, "M14-M14_TEST").exer == 2031
    assert (2031, "M14", "M14_TEST") in available_plans()
    # Bundled plans are still found.
    assert find_plan(2016, "M14-M14_COM_SUP3500").exer == 2016


def test_plans_dir_wins_over_the_environment_for_the_same_year(
    official_tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import_plans(official_tree, tmp_path / "env")
    monkeypatch.setenv(ENV_PLANS_DIR, str(tmp_path / "env"))
    write_xml(tmp_path / "mine" / "2031" / "M14" / "M14_TEST", 2031, "M14_TEST", "Mine")
    import_plans(tmp_path / "mine", tmp_path / "configured")
    plan = find_plan(2031, "M14-M14_TEST", plans_dir=tmp_path / "configured")
    assert plan.account("6061").label == "Mine"


def test_a_newer_year_added_by_an_administrator_replaces_the_fallback(tmp_path: Path):
    assert find_plan(2031, "M57-M57_A").exer == 2024
    write_xml(tmp_path / "src" / "2031" / "M57" / "M57_A", 2031, "M57_A")
    import_plans(tmp_path / "src", tmp_path / "plans")
    assert find_plan(2031, "M57-M57_A", plans_dir=tmp_path / "plans").exer == 2031


def test_a_file_that_is_not_a_plan_is_refused(tmp_path: Path):
    bad = tmp_path / "src" / "2031" / "M14" / "M14_X"
    bad.mkdir(parents=True)
    (bad / "planDeCompte.xml").write_text("<DocumentBudgetaire/>", encoding="utf-8")
    with pytest.raises(ValueError, match="not a plan de comptes"):
        import_plans(tmp_path / "src", tmp_path / "out")
