"""``budget-doc``: what a user types and sees, in French and English, exit codes included."""

from __future__ import annotations

import csv
import gzip
import json
import os
import shutil
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from ckanext.budget.docbudg.cli import main
from ckanext.budget.docbudg.cli.language import CATALOGUE_DOMAIN, LOCALE_DIR
from ckanext.budget.docbudg.model import q
from ckanext.budget.docbudg.reader import read_document

SAMPLES = Path(__file__).resolve().parent.parent / "fixtures" / "samples"
CRACH_BP = SAMPLES / "crach/Crach_principal_BP_2022.xml"
MOHON = SAMPLES / "mohon/Mohon_CFU_2023.xml.gz"
PERSON = "DUPONTEL Jeanne"


@pytest.fixture(scope="module", autouse=True)
def click_catalogue() -> None:
    """Compile click's French words as the build does (.mo files are never committed)."""
    source = LOCALE_DIR / "fr" / "LC_MESSAGES" / f"{CATALOGUE_DOMAIN}.po"
    with source.open("rb") as po:
        catalogue = read_po(po)
    part = source.with_suffix(f".{os.getpid()}.part")
    with part.open("wb") as mo:
        write_mo(mo, catalogue)
    part.replace(source.with_suffix(".mo"))


@pytest.fixture(autouse=True)
def french_session(monkeypatch):
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "fr_FR.UTF-8")
    monkeypatch.delenv("BUDGET_DOC_DEBUG", raising=False)
    monkeypatch.delenv("BUDGET_DOC_PLANS_DIR", raising=False)


@pytest.fixture
def with_a_person(tmp_path) -> Path:
    doc = read_document(CRACH_BP)
    record = doc.records("CONCOURS")[0]
    record.find(q("CodNatJurBenefCA")).set("V", "P3")
    record.find(q("LibOrgaBenef")).set("V", PERSON)
    path = tmp_path / "with_person.xml"
    path.write_bytes(doc.to_bytes())
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_help_follows_the_locale_and_the_lang_option(capsys, monkeypatch):
    code, out, _ = run(capsys, "--help")
    assert code == 0
    assert "anonymiser puis convertir" in out and "Utilisation :" in out
    assert "Commandes:" in out and "Afficher ce message et quitter." in out  # click's words
    code, out, _ = run(capsys, "--lang", "en", "convert", "--help")
    assert code == 0
    assert "anonymise then convert" in out and "Usage:" in out
    assert "FILE: budget document" in out and "Show this message and exit." in out
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    _code, out, _ = run(capsys, "validate", "--help")
    assert "exit code 1 if it has errors" in out
    _code, out, _ = run(capsys, "--lang=fr", "validate", "-h")
    assert "FICHIER : document budgétaire" in out and "[défaut : text]" in out
    assert os.environ.get("LANGUAGE") is None  # the session's language is given back


def test_no_command_and_unknown_options_are_usage_errors_in_the_language(capsys):
    code, _out, err = run(capsys)
    assert code == 2 and "Erreur : Commande manquante." in err
    code, _out, err = run(capsys, "--lang", "de", "info", MOHON)
    assert code == 2 and "Valeur invalide pour '--lang'" in err
    code, _out, err = run(capsys, "--lang", "en", "info", MOHON, "--colour")
    assert code == 2 and "Error: No such option" in err


def test_aggregation_subcommand_is_plugged_in(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "aggregate" in out


def test_info_tells_the_stage_in_words_and_the_counts(capsys):
    code, out, _ = run(capsys, "info", MOHON)
    assert code == 0
    assert "compte financier unique (NatDec 10)" in out
    assert "796 dont 633 totaux calculés" in out
    assert "CONCOURS 37" in out
    code, out, _ = run(capsys, "--lang", "en", "info", MOHON, "--format", "json")
    payload = json.loads(out)
    assert payload["lines"] == 796 and payload["calculated_lines"] == 633
    assert payload["header"]["exer"] == 2023


def test_validate_exit_code_is_1_on_errors_and_0_otherwise(capsys):
    code, out, _ = run(capsys, "validate", SAMPLES / "invalid/totem_mauvais_siret.xml")
    assert code == 1
    assert out.startswith("Statut : en erreur")
    code, out, _ = run(capsys, "validate", MOHON, "--format", "json")
    assert code == 0
    assert json.loads(out)["status"] == "valid"  # newer schema: information only


def test_anonymise_writes_the_document_and_the_report(capsys, tmp_path, with_a_person):
    target, report = tmp_path / "out.xml.gz", tmp_path / "report.json"
    code, out, _ = run(capsys, "anonymise", with_a_person, "-o", target, "--report", report)
    assert code == 0
    data = gzip.decompress(target.read_bytes())
    assert PERSON.encode() not in data and b"Occultation Article L311-7 CRPA" in data
    assert "personne" in out  # the summary, in French
    assert json.loads(report.read_text("utf-8"))
    code, _out, _ = run(
        capsys, "anonymize", with_a_person, "-o", tmp_path / "x.xml", "--replacement", "XXX"
    )
    assert code == 0 and b'V="XXX"' in (tmp_path / "x.xml").read_bytes()


def test_convert_anonymises_first(capsys, tmp_path, with_a_person):
    target = tmp_path / "subventions.csv"
    code, _out, err = run(
        capsys, "convert", with_a_person, "--to", "scdl-subventions", "-o", target
    )
    assert code == 0
    assert PERSON.encode() not in target.read_bytes()
    rows = list(csv.DictReader(target.open(encoding="utf-8")))
    assert len(rows) == 31
    assert "31 ligne(s) exportée(s)" in err and "dateConvention" in err


def test_convert_to_json_on_standard_output(capsys):
    code, out, _ = run(capsys, "convert", CRACH_BP, "--to", "lines", "--format", "json", "-o", "-")
    assert code == 0
    assert len(json.loads(out)["rows"]) == 201


def test_convert_says_why_an_export_is_impossible(capsys, tmp_path):
    lotissement = SAMPLES / "crach/Crach_lotissement_BP_2022.xml"
    code, _out, err = run(
        capsys,
        "--lang",
        "en",
        "convert",
        lotissement,
        "--to",
        "scdl-subventions",
        "-o",
        tmp_path / "x.csv",
    )
    assert code == 1
    assert "no CONCOURS (subsidies) annex" in err
    assert not (tmp_path / "x.csv").exists()


def test_errors_are_messages_not_tracebacks_and_never_quote_the_document(capsys, tmp_path):
    broken = tmp_path / "broken.xml"
    broken.write_text(f'<DocumentBudgetaire><LibOrgaBenef V="{PERSON}"/', encoding="utf-8")
    code, out, err = run(capsys, "convert", broken, "--to", "lines", "-o", tmp_path / "x.csv")
    assert code == 3
    assert err.startswith("Erreur : Le fichier n'est pas un XML bien formé")
    assert "Traceback" not in err and PERSON not in err + out
    code, _out, err = run(capsys, "--lang", "en", "info", tmp_path / "missing.xml")
    assert code == 4
    assert "cannot read or write" in err and "Traceback" not in err


def test_budget_doc_debug_shows_the_error_itself(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("BUDGET_DOC_DEBUG", "1")
    with pytest.raises(FileNotFoundError):
        main(["info", str(tmp_path / "missing.xml")])


def test_usage_errors_exit_with_2(capsys):
    code, _out, err = run(capsys, "convert", CRACH_BP, "--to", "pdf", "-o", "x")
    assert code == 2 and "pdf" in err


def test_batch_continues_after_a_bad_file_and_writes_a_summary(capsys, tmp_path):
    source = tmp_path / "in"
    (source / "sub").mkdir(parents=True)
    shutil.copy(CRACH_BP, source / "bp.xml")
    shutil.copy(MOHON, source / "sub" / "cfu.xml.gz")
    (source / "broken.xml").write_bytes(b"<DocumentBudgetaire>")
    (source / "notes.txt").write_text("ignored")
    out_dir = tmp_path / "out"
    code, out, err = run(capsys, "batch", source, "--out", out_dir, "--jobs", "2")
    assert code == 1  # one file failed
    rows = {row["file"]: row for row in csv.DictReader((out_dir / "summary.csv").open())}
    assert set(rows) == {"bp.xml", "broken.xml", "sub/cfu.xml.gz"}
    assert rows["broken.xml"]["status"] == "failed"
    assert rows["broken.xml"]["code"] == "malformed_xml"
    assert rows["bp.xml"]["status"] == "valid"
    assert rows["sub/cfu.xml.gz"]["status"] == "valid"
    assert (out_dir / "bp.scdl-budget.csv").exists()
    assert (out_dir / "sub" / "cfu.xml.gz").exists()
    assert (out_dir / "sub" / "cfu.lines.json").exists()
    assert json.loads((out_dir / "summary.json").read_text("utf-8"))[0]["file"] == "bp.xml"
    assert "3 fichier(s)" in out and "1 en échec" in out
    assert "[1/3]" not in err  # progress only on a terminal


def test_batch_of_good_files_exits_0(capsys, tmp_path):
    source = tmp_path / "in"
    source.mkdir()
    shutil.copy(CRACH_BP, source / "bp.xml")
    code, _out, _err = run(capsys, "batch", source, "--out", source / "out", "--jobs", "1")
    assert code == 0
    assert (source / "out" / "bp.lines.csv").exists()


PLAN_XML = """<?xml version="1.0" encoding="UTF-8"?>
<Nomenclature Norme="M57" Declinaison="M57_A" Exer="2030">
 <Nature><Chapitres>
  <Chapitre Code="011" Libelle="Charges à caractère général" Section="F"/>
 </Chapitres><Comptes>
  <Compte Code="6" Libelle="Charges"><Compte Code="6042" Libelle="Achats" DR="011"/></Compte>
 </Comptes></Nature>
 <Fonction><Chapitres/><Comptes/><RefFonctionnelles/></Fonction>
</Nomenclature>
"""


def test_plans_import_into_the_configured_directory(capsys, tmp_path, monkeypatch):
    source = tmp_path / "official" / "2030" / "M57" / "M57_A"
    source.mkdir(parents=True)
    (source / "planDeCompte.xml").write_text(PLAN_XML, encoding="utf-8")
    code, _out, err = run(capsys, "plans", "import", tmp_path / "official")
    assert code == 2 and "--dest" in err
    monkeypatch.setenv("BUDGET_DOC_PLANS_DIR", str(tmp_path / "plans"))
    code, out, _ = run(capsys, "plans", "import", tmp_path / "official")
    assert code == 0
    assert "2030 M57-M57_A" in out
    assert (tmp_path / "plans" / "2030-M57-M57_A.json.gz").exists()
