"""A budget's documents combined year by year (``docbudg.figures.combination``): voted is
the credits after the year's latest decision, checked against the decisions before it;
their evolution, voted against realised and the key indicators table, equal to sums
computed here from the XML."""

from __future__ import annotations

import datetime
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest

from ckanext.budget.docbudg.aggregation import aggregate, default_ruleset
from ckanext.budget.docbudg.figures import analysis as indicators
from ckanext.budget.docbudg.figures.big_numbers import big_numbers
from ckanext.budget.docbudg.figures.combination import (
    REALISED,
    VOTED,
    Basis,
    Source,
    bases,
    choose,
    indicator_document,
)
from ckanext.budget.docbudg.figures.decisions import DecisionLine
from ckanext.budget.docbudg.figures.evolution import evolution
from ckanext.budget.docbudg.figures.execution import execution
from ckanext.budget.docbudg.figures.indicator_table import (
    IndicatorColumn,
    current,
    indicator_table,
)
from ckanext.budget.docbudg.figures.levels import level
from ckanext.budget.docbudg.figures.results import Result, result_of
from ckanext.budget.docbudg.model import parse_date, q
from ckanext.budget.docbudg.reader import read_document

from . import independent_sums
from .independent_sums import SAMPLES

CRACH = SAMPLES / "crach"
MONTREUIL = sorted((SAMPLES / "montreuil").glob("*.xml.gz"))
DAY = datetime.timedelta(days=1)
T0 = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)


def stored(path: Path) -> Result:
    doc = read_document(path)
    return result_of(aggregate(doc, default_ruleset(doc)), big_numbers(doc))


def source(
    id: str,
    year: int | None,
    stage: str | None,
    decision: str = "",
    day: int = 0,
    decided: datetime.date | None = None,
):
    return Source(id, year, stage, decision or None, T0 + day * DAY, decided)


def test_the_account_is_the_cfu_when_a_year_has_both_and_an_upload_counts_once() -> None:
    chosen = choose(
        [
            source("ca", 2021, "CA"),
            source("cfu", 2021, "CFU"),
            source("ca-2022-first", 2022, "CA", day=1),
            source("ca-2022-again", 2022, "CA", day=2),
            source("dm2-old", 2022, "DM", "2", day=1),
            source("dm2", 2022, "DM", "2", day=3),
            source("dm1", 2022, "DM", "1"),
            source("bs", 2022, "BS"),
            source("bp", 2022, "BP", day=5),
            source("unknown-stage", 2022, None),
            source("no-year", None, "CA"),
        ]
    )
    assert sorted(chosen) == [2021, 2022]
    assert list(chosen[2021]) == [REALISED]
    assert chosen[2021][REALISED].document_ids == ("cfu",)
    assert chosen[2022][REALISED].document_ids == ("ca-2022-again",)
    voted = chosen[2022][VOTED]
    assert voted.document_ids == ("bp", "bs", "dm1", "dm2")
    assert voted.primitive == "bp"
    amendments_only = choose([source("dm", 2021, "DM", "1")])[2021][VOTED]
    assert amendments_only.primitive is None


APRIL = datetime.date(2022, 4, 11)
JUNE = datetime.date(2022, 6, 27)


def spring_and_june(bs_date: datetime.date | None = JUNE) -> list[Source]:
    """A 2022 budget primitif (dated after both, as a wrong header might be), a DM1 voted
    in April and a budget supplémentaire in June."""
    return [
        source("bs", 2022, "BS", decided=bs_date),
        source("dm1", 2022, "DM", "1", decided=APRIL),
        source("bp", 2022, "BP", decided=datetime.date(2022, 12, 31)),
    ]


def test_decisions_are_in_the_order_they_were_voted_when_each_has_its_date() -> None:
    """A DM1 voted in April and the BS in June: the BS is the latest decision, its
    credits are the year's voted figures; the BP comes first whatever its date."""
    voted = choose(spring_and_june())[2022][VOTED]
    assert voted.document_ids == ("bp", "dm1", "bs")
    result = stored(CA_2021)
    latest = bases(choose(spring_and_june()), dict.fromkeys(("bp", "dm1", "bs"), result))
    assert latest[2022][VOTED].document_id == "bs"
    same_day = choose(
        [
            source("dm2", 2022, "DM", "2", decided=JUNE),
            source("bs", 2022, "BS", decided=JUNE),
            source("dm1", 2022, "DM", "1", decided=JUNE),
            source("bp", 2022, "BP"),  # its date is not needed: it comes first
        ]
    )[2022][VOTED]
    assert same_day.document_ids == ("bp", "bs", "dm1", "dm2")  # one day: BS, DMs by number


def test_decisions_without_every_date_keep_the_order_by_stage_and_number() -> None:
    assert choose(spring_and_june(None))[2022][VOTED].document_ids == ("bp", "bs", "dm1")
    assert choose(
        [
            source("dm2", 2022, "DM", "2", decided=APRIL),
            source("dm1", 2022, "DM", "1"),
            source("bs", 2022, "BS", decided=JUNE),
        ]
    )[2022][VOTED].document_ids == ("bs", "dm1", "dm2")


def chained_line(**amounts: int) -> list[DecisionLine]:
    values = {key: Decimal(value) for key, value in amounts.items()}
    return [DecisionLine("D", "6411", "", "0", "F", values)]


def test_the_decisions_check_follows_the_order_they_were_voted() -> None:
    """BP 100, then DM1 (+10 from 100) in April, then BS (+5 from 110) in June: they
    follow on in the order they were voted, not in the order BP, BS, DM1."""
    lines = {
        "bp": chained_line(MtPrev=100),
        "dm1": chained_line(MtBudgPrec=100, MtPrev=10),
        "bs": chained_line(MtBudgPrec=110, MtPrev=5),
    }
    results = dict.fromkeys(lines, stored(CA_2021))
    dated = bases(choose(spring_and_june()), results, lines=lines)[2022][VOTED]
    assert dated.document_id == "bs" and dated.disagreements == ()
    undated = bases(choose(spring_and_june(None)), results, lines=lines)[2022][VOTED]
    assert [(d.earlier.id, d.later.id) for d in undated.disagreements] == [
        ("bp", "bs"),
        ("bs", "dm1"),
    ]


def test_the_decision_date_is_read_leniently() -> None:
    header = read_document(DM3).header
    written = ET.fromstring(DM3.read_bytes()).find(".//{*}DteDec")
    assert written is not None
    assert header.decision_date == datetime.date.fromisoformat(written.get("V") or "")
    assert header.decision_date == datetime.date(2021, 12, 13)
    assert parse_date(" 2022-06-27T00:00:00+02:00") == JUNE
    assert [parse_date(v) for v in (None, "", "27/06/2022", "2022-02-30", "juin")] == [None] * 5


def xml_lines(path: Path) -> list[DecisionLine]:
    """Every line of a document that is not a calculated total, read here with
    ElementTree (the section from the nature's class, as ``independent_sums`` does)."""
    lines = []
    for line in ET.fromstring(path.read_bytes()).iter():
        if not line.tag.endswith("}LigneBudget") or line.get("calculated") == "true":
            continue
        values = {child.tag.rsplit("}", 1)[-1]: child.get("V") or "" for child in line}
        nature = values.get("Nature", "")
        amounts = {k: Decimal(v) for k, v in values.items() if k in ("MtBudgPrec", "MtPrev")}
        amounts.update({k: Decimal(v) for k, v in values.items() if k == "MtRARPrec"})
        section = "F" if nature[:1] in ("6", "7") else "I"
        lines.append(
            DecisionLine(
                values.get("CodRD"),
                nature,
                values.get("Fonction"),
                values.get("OpBudg"),
                section,
                amounts,
            )
        )
    return lines


DM2 = CRACH / "Crach_principal_DM2_2021.xml"
DM3 = CRACH / "Crach_principal_DM3_2021.xml"
CA_2021 = CRACH / "Crach_principal_CA_2021.xml"


def crach_2021(dm3: Path = DM3) -> dict[str, Basis]:
    """Crach 2021 as the portal has it: the account, DM2 and DM3, no budget primitif."""
    chosen = choose(
        [source("dm3", 2021, "DM", "3"), source("ca", 2021, "CA"), source("dm2", 2021, "DM", "2")]
    )
    results = {"dm2": stored(DM2), "dm3": stored(dm3), "ca": stored(CA_2021)}
    return bases(chosen, results, lines={"dm2": xml_lines(DM2), "dm3": xml_lines(dm3)})[2021]


def test_voted_is_the_credits_after_the_latest_decision_not_the_changes_summed() -> None:
    """Crach 2021: only DM2 and DM3 are on the portal. Voted is the credits after DM3
    (its ``MtBudgPrec`` + ``MtPrev``), not 0 € (their changes summed, what the page
    showed) nor the two decisions' credits added up."""
    voted = crach_2021()[VOTED]
    assert voted.document_id == "dm3" and voted.choice.document_ids == ("dm2", "dm3")
    after_dm3 = independent_sums.big_numbers(DM3)
    assert independent_sums.AMOUNTS["02"] == ("MtBudgPrec", "MtPrev")
    assert dict(voted.result.big_numbers) == after_dm3
    assert all(after_dm3[key] > 0 for key in ("RF", "DF", "RI", "DI"))
    changes = [independent_sums.big_numbers(p, ("MtPrev",)) for p in (DM2, DM3)]
    assert all(sum(c[key] for c in changes) == 0 for key in after_dm3)  # the page's 0 €
    twice = independent_sums.big_numbers(DM2)
    assert all(voted.result.big_numbers[k] != after_dm3[k] + twice[k] for k in after_dm3)
    # The account's credits opened (CredOuv) are these, from another document.
    assert after_dm3 == independent_sums.big_numbers(CA_2021, ("CredOuv",))
    operating = voted.result.find("chapitre", "DF")
    expected = {k: v for k, v in independent_sums.by_chapter(DM3, "DF").items() if v}
    assert {c.id.removeprefix("DF."): c.amount for c in operating.children if c.amount} == expected
    assert voted.amount_words.text("fr") == (
        "Crédits votés après la décision modificative n° 3 (MtBudgPrec + MtPrev)"
    )
    assert voted.without_primitive is not None
    assert voted.without_primitive.text("en") == (
        "The 2021 initial budget is not on the portal: these amounts are the credits voted "
        "after the latest decision it holds, amending budget no. 3."
    )
    assert voted.disagreements == ()  # DM2's credits after it are DM3's before it


def test_a_decision_that_does_not_start_from_the_previous_ones_credits_is_reported(
    tmp_path: Path,
) -> None:
    doc = read_document(DM3)
    (line,) = [el for el in doc.line_elements() if el.find(q("Nature")).get("V") == "6411"]
    field = line.find(q("MtBudgPrec"))
    value = field.get("V")
    changed = Decimal(value) + 1000
    field.set("V", str(changed))  # DM3 no longer starts from DM2's credits on this line
    tampered = tmp_path / "dm3.xml"
    tampered.write_bytes(doc.to_bytes())
    voted = crach_2021(tampered)[VOTED]
    (found,) = voted.disagreements
    assert (found.earlier.id, found.later.id) == ("dm2", "dm3")
    (gap,) = found.gaps
    assert (gap.cod_rd, gap.nature, gap.after, gap.before) == (
        "D",
        "6411",
        Decimal(value),
        changed,
    )
    assert found.totals() == {"DF": Decimal(1000)}
    fr, en = found.message.text("fr"), found.message.text("en")
    assert fr.startswith(
        "Les crédits votés après la décision modificative n° 2 ne sont pas ceux dont part "
        "la décision modificative n° 3 (MtBudgPrec) sur 1 ligne(s)"
    )
    assert f"dépense 6411 : {value} € après la première, {changed} € au départ" in fr
    assert "DF +1000.00 €" in fr and "DF +1000.00 €" in en
    assert en.startswith("The credits voted after amending budget no. 2 are not those")


def test_a_budget_primitif_and_its_amending_budget_follow_on() -> None:
    """Crach's lotissement: the 2022 DM1 starts from the credits the BP voted."""
    bp = CRACH / "Crach_lotissement_BP_2022.xml"
    dm1 = CRACH / "Crach_lotissement_DM1_2022.xml"
    chosen = choose([source("dm1", 2022, "DM", "1"), source("bp", 2022, "BP")])
    found = bases(
        chosen,
        {"bp": stored(bp), "dm1": stored(dm1)},
        lines={"bp": xml_lines(bp), "dm1": xml_lines(dm1)},
    )[2022][VOTED]
    assert found.document_id == "dm1" and found.choice.primitive == "bp"
    assert found.disagreements == () and found.without_primitive is None
    assert dict(found.result.big_numbers) == independent_sums.big_numbers(dm1)


def test_bases_keep_the_chosen_documents_with_a_result() -> None:
    results = {"ca": stored(CA_2021)}
    chosen = choose([source("ca", 2021, "CA"), source("dm", 2021, "DM", "2")])
    found = bases(chosen, results, own_rules={"ca"})
    assert list(found[2021]) == [REALISED]  # the DM has no stored result yet
    assert found[2021][REALISED].result is results["ca"] and found[2021][REALISED].own_rules
    assert indicator_document(found[2021]) == "ca"
    voted = bases(
        choose([source("bp", 2022, "BP"), source("dm", 2022, "DM", "1")]),
        {
            "bp": results["ca"],
            "dm": results["ca"],
        },
    )
    assert indicator_document(voted[2022]) == "dm"  # the latest decision's credits


def test_evolution_gives_each_year_its_own_figures() -> None:
    by_year = {2016 + i: stored(path) for i, path in enumerate(MONTREUIL[:3])}
    (stack,) = evolution(by_year, "chapitre", ["D"], "en")
    assert (stack.id, stack.label, stack.years) == ("D", "Expenditure", [2016, 2017, 2018])
    for year, path in zip(stack.years, MONTREUIL[:3], strict=True):
        expected = independent_sums.big_numbers(path)
        assert {s.id: s.values[year] for s in stack.series} == {
            "DF": expected["DF"],
            "DI": expected["DI"],
        }
        assert stack.totals[year] == expected["DF"] + expected["DI"]
    (leaf,) = evolution(by_year, "chapitre", ["DF.012"], "en")
    assert [s.id for s in leaf.series] == ["DF.012"]  # a leaf is its own only part
    (missing,) = evolution(by_year, "chapitre", ["no-such-category"], "en")
    assert missing.years == [] and missing.series == []


def test_the_execution_rate_is_realised_over_the_credits_after_the_latest_decision() -> None:
    kinds = crach_2021()
    shown = level(kinds[REALISED].result, "chapitre", "D", False, "en")
    found = execution(kinds[VOTED], kinds[REALISED], shown, "en")
    voted = independent_sums.big_numbers(DM3)
    spent = independent_sums.big_numbers(CA_2021)
    rows = {row.id: row for row in found.rows}
    assert set(rows) == {"DF", "DI"}
    for key in ("DF", "DI"):
        assert (rows[key].voted, rows[key].realised) == (voted[key], spent[key])
        assert rows[key].rate == spent[key] / voted[key]
    assert found.voted_total == voted["DF"] + voted["DI"]
    assert found.realised_total == spent["DF"] + spent["DI"]


def test_the_indicators_table_reads_the_stored_indicators_of_this_version() -> None:
    values = indicators.compute(read_document(MONTREUIL[2]))
    assert current(values) is values
    assert current({**values, "version": indicators.VERSION + 1}) is None
    table = indicator_table(
        [IndicatorColumn(2017, "2017", None), IndicatorColumn(2018, "2018", values)], "fr"
    )
    rows = {row.key: row for row in table.rows}
    assert rows["rrf"].values == [None, Decimal(values["rrf"])]
    assert rows["population"].kind == "population" and rows["population"].values[1] == (
        independent_sums.population(MONTREUIL[2])
    )
    per_head = rows["par_habitant.epargne_nette"]
    assert per_head.per_inhabitant and per_head.values[1] == Decimal(
        values["par_habitant"]["epargne_nette"]
    )
    assert table.computed and rows["rrf"].label.startswith("Recettes réelles")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_labels_follow_the_language(lang: str) -> None:
    (stack,) = evolution(
        {2021: stored(CRACH / "Crach_principal_CA_2021.xml")}, "chapitre", ["R"], lang
    )
    assert stack.label == {"fr": "Recettes", "en": "Receipts"}[lang]
