"""Telling people from organisations in beneficiary labels, and leaks under random names."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ckanext.budget.docbudg.anonymisation import anonymise, classify_beneficiary
from ckanext.budget.docbudg.anonymisation.beneficiaries import first_names
from ckanext.budget.docbudg.reader import read_document
from tests.fixtures.privacy import PLANTED, make_document_with_personal_data


@pytest.mark.parametrize(
    "label",
    [
        "LEBRETON LUCAS",
        "PERRIN ANNE SOPHIE",
        "MARCHAND Elodie",
        "Élodie MARCHAND",
        "Jean-Pierre DE LA FONTAINE",
        "LE GOFF Yann",
        "M. DUPONT",
        "MME DURAND",
        "Monsieur et Madame Z",
        "DURANDEAU Gérald 45678912300017",  # a sole trader with his SIRET is a person
    ],
)
def test_people(label: str) -> None:
    assert classify_beneficiary(label) == "person"


@pytest.mark.parametrize(
    "label",
    [
        "ASSOCIATION LES AMIS DE NOTRE DAME DES TERTRES",
        "AMICALE DU PERSONNEL PLOERMEL COMMUNAUTE ET COMMUNES MEMBRES",
        "OGEC ECOLE PRIVEE DE MOHON",
        "LES RESTAURANTS DU COEUR ",
        "PAIERIE DEPARTEMENTALE FSL",
        "ECOLE L. ET M. ODRU ELEM",  # named after people, but a school
        "I.M.E Bernadette Coursol",
        "RESIDENCE FRANCOIS ARAGO",
        "SARL MARTIN",
        "Comité des fêtes",
        "CCAS",
        "XYZ 123456789",  # a SIREN in the label
    ],
)
def test_organisations(label: str) -> None:
    assert classify_beneficiary(label) == "organisation"


@pytest.mark.parametrize("label", ["UNACITA", "", "   ", "FONTAINES", "ST MALO"])
def test_unclear_labels_are_unknown(label: str) -> None:
    assert classify_beneficiary(label) == "unknown"


def test_a_siret_makes_an_unclear_label_an_organisation() -> None:
    assert classify_beneficiary("UNACITA", siret="12345678900011") == "organisation"
    assert classify_beneficiary("GARNIER HUGO", siret="12345678900011") == "person"


def test_bundled_first_names_are_several_hundred_and_normalised() -> None:
    names = first_names()
    assert len(names) > 900
    assert {"ELODIE", "GWENAEL", "ANNE SOPHIE", "JEAN PIERRE"} <= names
    assert "FRANCE" not in names  # a word of organisation labels, excluded on purpose


_SURNAMES = st.text(alphabet="ABCDEFGHIJKLMNOPRSTUVYZ", min_size=4, max_size=10).map(
    lambda s: s + "EAU"  # never a first name nor an organisation word
)
_FIRST = st.sampled_from(["Gérald", "Hélène", "Noël", "Maëlle", "Jérôme", "Zoé", "Loïc"])


@given(surname=_SURNAMES, first=_FIRST, order=st.booleans())
def test_any_name_shaped_label_is_a_person(surname: str, first: str, order: bool) -> None:
    label = f"{surname} {first}" if order else f"{first} {surname.title()}"
    assert classify_beneficiary(label) == "person"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(surname=_SURNAMES, first=_FIRST, encoding=st.sampled_from(["ISO-8859-1", "UTF-8"]))
def test_random_names_in_every_field_never_leak(surname: str, first: str, encoding: str) -> None:
    name = f"{surname} {first}"
    names = {key: name for key in PLANTED if key not in ("concours_p3_siret", "remun")}
    names["concours_civility"] = f"M. {surname}"
    names["cfu_signer"] = name
    doc = read_document(make_document_with_personal_data(encoding, cfu=True, names=names))
    report = anonymise(doc)
    output = doc.to_bytes().decode(encoding)
    assert surname not in output
    assert surname not in repr(report.as_dict(include_paths=True)) + report.summary("fr")
