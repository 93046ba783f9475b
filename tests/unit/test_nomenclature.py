"""Lookups in the bundled plans de comptes: what validation, aggregation and the
explorer ask of them (labels, nesting, chapters, fallback years)."""

from __future__ import annotations

import pytest

from ckanext.budget.docbudg.nomenclature import (
    BUNDLED_DIR,
    available_plans,
    find_merged_plan,
    find_plan,
    split_nomenclature,
)

M14 = "M14-M14_COM_SUP3500"


@pytest.fixture(scope="module")
def m14_2016():
    plan = find_plan(2016, M14, fallback=False)
    assert plan is not None
    return plan


@pytest.fixture(scope="module")
def m57_2023():
    plan = find_plan(2023, "M57-M57_A", fallback=False)
    assert plan is not None
    return plan


def test_plan_identity(m14_2016):
    assert (m14_2016.exer, m14_2016.norme, m14_2016.declinaison) == (
        2016,
        "M14",
        "M14_COM_SUP3500",
    )
    assert m14_2016.nomenclature == M14


def test_account_has_label_parent_and_chapters(m14_2016):
    account = m14_2016.account("64131")
    assert account.label == "Rémunérations"
    assert account.short_label == "Rémunérations non tit."
    assert account.parent == "6413"
    assert account.supprime is False
    assert account.chapters["DR"] == "012"
    assert m14_2016.account("6413").label == "Personnel non titulaire"
    assert m14_2016.account("641").parent == "64"
    assert m14_2016.account("64").parent is None  # accounts start at two digits


def test_account_chapter_keys_by_kind_of_operation(m14_2016):
    keys = m14_2016.account("2313").chapters
    assert keys["DR"] == "23"
    assert keys["DOIS"] == "041"
    # Only non-empty keys are kept: an expense account has no real-revenue chapter.
    assert "RR" not in m14_2016.account("64131").chapters


def test_non_leaf_accounts_carry_no_chapter(m14_2016):
    assert dict(m14_2016.account("64").chapters) == {}


def test_chapters_carry_section_kind_and_labels(m14_2016):
    staff = m14_2016.chapter("012")
    assert staff.label == "Charges de personnel et frais assimilés"
    assert staff.section == "F"
    assert staff.kind == "G"
    assert m14_2016.chapter("20").section == "I"
    assert m14_2016.chapter("16").section == "I"
    assert m14_2016.chapter("040").section == "I"
    assert m14_2016.chapter("042").section == "F"
    assert m14_2016.chapter("6413") is None


def test_m14_functions_are_reference_functions(m14_2016):
    function = m14_2016.function("020")
    assert function.label == "Administration générale de la collectivité"
    assert function.parent == "02"
    assert function.is_account is False
    assert m14_2016.function("02").parent == "0"


def test_m57_accepts_reference_and_account_function_codes(m57_2023):
    ref = m57_2023.function("020")
    assert ref.label == "Administration générale de la collectivité"
    account = m57_2023.function("90020")
    assert account.is_account is True
    assert account.chapter == "900"
    assert account.parent == "9002"
    assert m57_2023.function_chapter("900").section == "I"
    assert m57_2023.function_chapter("930").section == "F"
    assert m57_2023.chapter("900") is None


def test_account_descendants(m14_2016):
    staff = m14_2016.account_descendants("64")
    assert {"64", "641", "6413", "64131", "6411"} <= staff
    assert all(code.startswith("64") for code in staff)
    assert m14_2016.account_descendants("6413") >= {"6413", "64131", "64138"}
    assert m14_2016.account_descendants("64131") == frozenset({"64131"})
    assert m14_2016.account_descendants("99999") == frozenset()


def test_descendants_follow_the_tree_not_the_prefix(m14_2016):
    # Every member's chain of parents reaches the root code.
    for code in m14_2016.account_descendants("2"):
        chain = code
        while chain != "2":
            chain = m14_2016.account(chain).parent
            assert chain is not None


def test_function_descendants(m14_2016, m57_2023):
    assert {"0", "02", "020", "01"} <= m14_2016.function_descendants("0")
    assert "33" not in m14_2016.function_descendants("0")
    assert {"900", "9002", "90020"} <= m57_2023.function_descendants("900")
    assert m57_2023.function_descendants("nope") == frozenset()


def test_iterators_cover_the_lookups(m14_2016):
    accounts = list(m14_2016.accounts())
    assert len(accounts) > 1000
    assert all(m14_2016.account(a.code) is a for a in accounts)
    assert {c.code for c in m14_2016.chapters()} >= {"011", "012", "20", "16", "040", "042"}
    codes = [f.code for f in m14_2016.functions()]
    assert len(codes) == len(set(codes))
    assert all(m14_2016.function(code) is not None for code in codes)


def test_every_label_is_words():
    for exer, norme, declinaison in available_plans():
        plan = find_plan(exer, f"{norme}-{declinaison}", fallback=False)
        for item in (*plan.accounts(), *plan.chapters(), *plan.functions()):
            assert item.label.strip(), (exer, declinaison, item.code)


def test_fallback_prefers_previous_then_next_then_nearest_year():
    assert find_plan(2030, "M57-M57_A").exer == 2024
    assert find_plan(2005, "M14-M14_CE").exer == 2013
    assert find_plan(2021, "M57-M57_A", fallback=False) is None
    # M57_A exists from 2022 on: 2021 falls back to N+1.
    assert find_plan(2021, "M57-M57_A").exer == 2022


def test_fallback_takes_n_minus_1_before_n_plus_1(tmp_path):
    from ckanext.budget.docbudg.nomenclature.store import year_preference

    assert year_preference(2020, {2018, 2019, 2021, 2022}) == [2019, 2021, 2018, 2022]
    assert year_preference(2020, {2020, 2019}) == [2020, 2019]


def test_unknown_nomenclature_gives_none():
    assert find_plan(2022, "M99-M99_X") is None
    assert find_plan(2022, "M14-M14_COM_500_3500_en_erreur") is None
    assert find_plan(2022, "") is None
    assert find_plan(2022, "M14-<script>") is None
    assert find_plan(None, M14) is None  # a document without a readable Exer
    assert find_merged_plan(2022, "M99-M99_X") is None


def test_nomenclature_spelling():
    assert split_nomenclature("M4-M43_D") == ("M4", "M43_D")
    assert split_nomenclature(" m52 ") == ("M52", "M52")
    assert find_plan(2020, "m52").nomenclature == "M52-M52"


def test_official_file_anomalies_are_filed_by_folder():
    # The 2022 M43_D file declares Exer=2020 and the 2023 M57_P one Declinaison=M57_D.
    keys = set(available_plans())
    assert (2022, "M4", "M43_D") in keys
    assert (2023, "M57", "M57_P") in keys
    paris = find_plan(2023, "M57-M57_P", fallback=False)
    assert paris.declinaison == "M57_P"
    assert paris.function("901011") is not None  # Préfecture de police: Paris only
    assert find_plan(2023, "M57-M57_D", fallback=False).function("901011") is None


def test_merged_plan_resolves_codes_of_the_neighbour_year():
    strict = find_plan(2022, "M4-M43_D")
    merged = find_merged_plan(2022, "M4-M43_D")
    assert strict.account("6518") is None
    assert merged.exer == 2022
    assert merged.account("6518").chapters["DR"] == "65"
    assert merged.year_of("6518") == 2021
    assert merged.year_of("6411") == 2022
    assert merged.year_of("nope") is None
    assert "6518" in merged.account_descendants("651")
    # The year's own entries win over the neighbours'.
    assert merged.account("2156").label == strict.account("2156").label


def test_loading_is_cached():
    assert find_plan(2019, M14) is find_plan(2019, M14)


def test_bundled_data_stays_small():
    size = sum(p.stat().st_size for p in BUNDLED_DIR.rglob("*") if p.is_file())
    assert size < 15 * 1024 * 1024
    assert (BUNDLED_DIR / "NOTICE.txt").read_text(encoding="utf-8").count("Lesser General")
    assert (BUNDLED_DIR / "PROVENANCE.md").is_file()
    assert len(available_plans()) >= 200


def test_entries_serialise_for_exports_and_cannot_be_changed(m14_2016):
    import dataclasses
    import json
    import pickle

    account = m14_2016.account("64131")
    as_json = json.loads(json.dumps(dataclasses.asdict(account)))
    assert as_json["chapters"] == {"DR": "012"}
    assert pickle.loads(pickle.dumps(account)) == account
    assert len({account, m14_2016.account("64131")}) == 1
    with pytest.raises(TypeError):
        account.chapters["DR"] = "011"
