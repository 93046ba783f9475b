"""Loans: the authority's own debt and the loans it guarantees are totalled apart (never
one sum), and a variable rate is shown as such, with its index — sums computed here from
the XML, without the library."""

from __future__ import annotations

import gzip
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest

from ckanext.budget.docbudg import annex_tables as tables
from ckanext.budget.docbudg.reader import read_document

from .independent_sums import SAMPLES

MONTREUIL = sorted((SAMPLES / "montreuil").glob("Montreuil_CA_20*.xml.gz"))[1:]  # with loans


def loans(path: Path) -> list[dict[str, str]]:
    """Every ``EMPRUNT`` record as {field: value}, read with the standard library."""
    with gzip.open(path) as file:
        root = ET.parse(file).getroot()
    return [
        {child.tag.rsplit("}", 1)[-1]: child.get("V") or "" for child in element}
        for element in root.iter()
        if element.tag.rsplit("}", 1)[-1] == "EMPRUNT"
    ]


def owed(records: list[dict[str, str]], kinds: tuple[str, ...]) -> Decimal:
    return sum(
        (
            Decimal(r.get("MtCapitalRestDu_31_12") or 0)
            for r in records
            if r.get("CodTypEmpr") in kinds
        ),
        Decimal(0),
    )


@pytest.mark.parametrize("path", MONTREUIL, ids=lambda p: p.name)
def test_own_debt_and_guaranteed_loans_are_totalled_apart(path: Path) -> None:
    records = loans(path)
    table = tables.build(read_document(path))["emprunt"]
    parts = {part.key: total for part, total in tables.part_totals(table.spec, table.rows)}
    assert list(parts) == ["dette_propre", "emprunts_garantis"]
    own, guaranteed = parts["dette_propre"], parts["emprunts_garantis"]
    assert Decimal(own.sums["capital_restant_du"]) == owed(records, ("01", "02"))
    assert Decimal(guaranteed.sums["capital_restant_du"]) == owed(records, ("09",))
    assert own.count == sum(r.get("CodTypEmpr") in ("01", "02") for r in records)
    assert guaranteed.count == sum(r.get("CodTypEmpr") == "09" for r in records)


def test_montreuil_2021_debt_is_210_millions_not_776() -> None:
    path = SAMPLES / "montreuil" / "Montreuil_CA_2021.xml.gz"
    table = tables.build(read_document(path))["emprunt"]
    parts = dict((p.key, t) for p, t in tables.part_totals(table.spec, table.rows))
    assert parts["dette_propre"].sums["capital_restant_du"] == "210152296.30"
    assert parts["emprunts_garantis"].sums["capital_restant_du"] == "566367193.56"


def test_variable_rates_keep_their_index() -> None:
    path = SAMPLES / "montreuil" / "Montreuil_CA_2021.xml.gz"
    records = [r for r in loans(path) if r.get("CodTypEmpr") in ("01", "09")]
    rows = tables.build(read_document(path))["emprunt"].rows
    assert len(rows) == len(records)
    variable = 0
    for record, row in zip(records, rows, strict=True):
        kind = record.get("CodTyptxDtVote") or record.get("CodTyptxInit")
        index = record.get("IndexTxVariDtVote") or record.get("IndexTxVariInit") or ""
        assert row["index_taux"] == index
        assert tables.is_variable(row) == (kind not in ("F", None, ""))
        variable += kind == "V"
    assert variable > 100
    bare = [r for r in rows if r["type_taux"] == "V" and r["taux"] == "0"]
    assert bare and all(r["index_taux"] for r in bare)  # a 0 % rate always has its index
    read_back = tables.from_csv("emprunt", tables.to_csv(tables.EMPRUNT, rows)).rows
    assert [r["index_taux"] for r in read_back] == [r["index_taux"] for r in rows]


def test_a_table_without_parts_has_no_part_total() -> None:
    assert tables.part_totals(tables.CONCOURS, [{"montant": "1.00"}]) == []
