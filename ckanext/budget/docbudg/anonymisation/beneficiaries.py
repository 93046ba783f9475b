"""Telling natural persons from organisations by the label of a beneficiary.

Many files never fill the legal-nature code of a subsidy's beneficiary; occulting every
such label would blank all associations, keeping them all would publish people. The label
itself usually tells: organisations carry a legal form or a word such as "association",
people look like "NOM Prénom". When the label says neither, the caller occults.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources
from itertools import pairwise
from typing import Literal

BeneficiaryKind = Literal["person", "organisation", "unknown"]

# Words (accents removed, upper case) that only organisations carry in a label.
_ORGANISATION_WORDS_TEXT = """
    ASSOCIATION ASSOCIATIONS ASSO ASS AMICALE AMICALES AMIS AMITIE CLUB CLUBS COMITE COMITES
    OGEC APEL APE FCPE PEEP ECOLE ECOLES COLLEGE LYCEE UNIVERSITE INSTITUT ACADEMIE CRECHE
    GARDERIE CANTINE RPI SOCIETE STE UNION BANQUE SYNDICAT SYNDICATS COMMUNE COMMUNES
    MAIRIE VILLE CCAS CIAS ENTENTE RESTAURANTS RESTOS SECOURS PAIERIE TRESORERIE TRESOR
    FEDERATION FONDATION OFFICE CENTRE FOYER CAISSE MUTUELLE COOPERATIVE GROUPEMENT
    AGENCE CHAMBRE CONSEIL DEPARTEMENT DEPARTEMENTAL DEPARTEMENTALE REGION REGIONAL
    REGIONALE COMMUNAUTE AGGLOMERATION METROPOLE SIVOM SIVU SDIS POMPIERS CERCLE
    RUGBY FOOT FOOTBALL BASKET TENNIS HANDBALL JUDO GYM GYMNASTIQUE SPORT SPORTS SPORTIF
    SPORTIVE ATHLETIC OLYMPIQUE STADE CYCLO CHORALE HARMONIE FANFARE THEATRE COMPAGNIE
    CIE TROUPE FESTIVAL MUSEE BIBLIOTHEQUE ORCHESTRE CINEMA LIGUE GROUPE COLLECTIF
    RESEAU FNACA UNC ANACR ADMR UDAF UNAFAM APF HABITAT HLM OPH EHPAD CROUS CAF CPAM MSA
    TELETHON EMMAUS PAROISSE DIOCESE EGLISE CHASSE PECHE AAPPMA ACCA ANCIENS COMBATTANTS
    VETERANS PARENTS ELEVES JEUNES JEUNESSE AINES RETRAITES LOISIRS FETES ANIMATION
    CULTURE CULTUREL CULTURELLE SOLIDARITE ENTRAIDE PREVENTION PROTECTION SAUVEGARDE
    RESIDENCE RESIDENCES LOGEMENT LOGEMENTS IMMOBILIERE HABITATION IME ESAT ITEP SESSAD
    MAJORETTES ENSEMBLE SECTION AMICAL ETABLISSEMENT HOPITAL CLINIQUE INSTITUTION
    SERVICE SERVICES PARTENAIRES PAYS PARC GAEC EARL CUMA SCEA SA SAS SASU SARL EURL SCI
    SCOP SCIC SNC SEM SPL GIE GIP EPCI EPIC EPA ONG CROIX SCOUTS SCOUT GUIDES
"""
ORGANISATION_WORDS = frozenset(_ORGANISATION_WORDS_TEXT.split())
# Multi-word organisation markers, matched on the normalised label.
ORGANISATION_PHRASES = ("RESTAURANTS DU COEUR", "SECOURS POPULAIRE", "BANQUE ALIMENTAIRE")
_CIVILITIES_TEXT = (
    "M MR MRS MM MME MMES MLLE MLLES MONSIEUR MADAME MADEMOISELLE MESSIEURS DR DOCTEUR"
)
CIVILITIES = frozenset(_CIVILITIES_TEXT.split())
# Particles of surnames ("LE GOFF", "DE LA FONTAINE"): allowed in a name-shaped label.
_PARTICLES_TEXT = "DE DU DES LA LE LES D L VAN VON DA DOS DI ET"
PARTICLES = frozenset(_PARTICLES_TEXT.split())
# A place name ("ST MALO") is not a person even if one token is a first name.
_PLACE_WORDS_TEXT = "ST STE SAINT SAINTE PORT PONT BOURG VAL MONT"
PLACE_WORDS = frozenset(_PLACE_WORDS_TEXT.split())

_TOKEN = re.compile(r"[A-Z]+")
# "I.M.E" is the acronym IME, not three initials.
_ACRONYM_DOTS = re.compile(r"(?<=\b[A-Z])\.(?=[A-Z]\b)")
_DIGITS_SIREN = re.compile(r"(?<!\d)(\d{9}|\d{14})(?!\d)")
_ONLY_NAME_CHARS = re.compile(r"^[A-Z' .-]+$")


def normalise(label: str) -> str:
    """Upper case without accents, punctuation as spaces: the form rules are written in."""
    if label.isascii():
        return " ".join(label.upper().split())
    text = unicodedata.normalize("NFKD", label)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).upper()
    return " ".join(text.replace("’", "'").split())


@lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    """The bundled list of French first names (see ``data/README.md``), normalised."""
    text = resources.files(__package__).joinpath("data/prenoms.txt").read_text("utf-8")
    names: set[str] = set()
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            names.add(" ".join(_TOKEN.findall(normalise(line))))
    return frozenset(names)


def _looks_like_person(tokens: list[str]) -> bool:
    """2 to 5 words (particles aside), one of them a first name: "NOM Prénom", "Prénom NOM"."""
    words = [t for t in tokens if t not in PARTICLES]
    if not 2 <= len(words) <= 5 or any(t in PLACE_WORDS for t in tokens):
        return False
    names = first_names()
    pairs = (f"{a} {b}" for a, b in pairwise(words))
    return any(t in names for t in words) or any(p in names for p in pairs)


def classify_beneficiary(label: str, *, siret: str | None = None) -> BeneficiaryKind:
    """Whether a beneficiary label names a natural person, an organisation, or is unclear.

    Organisation words win (``ECOLE M. BERTHELOT`` is a school); then a civility or a
    name-shaped label means a person, even with a SIRET (sole traders are people); a SIRET
    or SIREN, given or inside the label, means an organisation; anything else is unknown.
    """
    text = normalise(label or "")
    if not text:
        return "unknown"
    tokens = _TOKEN.findall(_ACRONYM_DOTS.sub("", text))
    if any(t in ORGANISATION_WORDS for t in tokens) or any(p in text for p in ORGANISATION_PHRASES):
        return "organisation"
    if tokens and tokens[0] in CIVILITIES and len(tokens) >= 2:
        return "person"
    name_part = _DIGITS_SIREN.sub(" ", text)
    if _ONLY_NAME_CHARS.match(name_part) and _looks_like_person(_TOKEN.findall(name_part)):
        return "person"
    if (siret and siret.strip()) or _DIGITS_SIREN.search(text):
        return "organisation"
    return "unknown"
