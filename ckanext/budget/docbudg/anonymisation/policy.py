"""The anonymisation policy: which values of a budget document are personal data.

CRPA L311-6/L311-7 and L312-1-2 forbid publishing personal data of natural persons. The
table :data:`RULES` is the policy itself (the engine only executes it); it covers the rule
set of the reference open-source tool (2023) and closes its known gaps. Each rule names
an element, a condition, the fields it touches and the action:

- ``occult``: the ``V`` attribute (or the attribute named ``@X``) gets the replacement text;
- ``remove``: the element goes, because the XSD makes it optional and its type would
  reject the replacement text (a 14-digit ``Siret``, a decimal ``RemunAgent``), or because
  it certifies the original bytes (a seal or a signature is false once a value changed).

Places looked at and kept on purpose are listed in :data:`KEPT_ON_PURPOSE`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

DEFAULT_REPLACEMENT = "Occultation Article L311-7 CRPA"
# Replacement texts found in files anonymised earlier (by us or by other tools).
KNOWN_REPLACEMENTS = (DEFAULT_REPLACEMENT, "Nom anonymisé", "Nom anonymise")
# ``Base_Texte100``: the longest text the XSD accepts in the fields we occult.
MAX_REPLACEMENT_LENGTH = 100


@dataclass(frozen=True)
class AnonymisationPolicy:
    """Settings of an anonymisation run (the portal exposes them as configuration)."""

    replacement: str = DEFAULT_REPLACEMENT
    strict_beneficiaries: bool = False
    """Occult every beneficiary without a legal-nature code, organisations included."""

    def __post_init__(self) -> None:
        text = self.replacement.strip()
        if not text or len(self.replacement) > MAX_REPLACEMENT_LENGTH or "\n" in text:
            raise ValueError(
                "replacement must be a single line of 1 to "
                f"{MAX_REPLACEMENT_LENGTH} characters (XSD type Base_Texte100)"
            )


DEFAULT_POLICY = AnonymisationPolicy()


class Scope(str, Enum):
    """Where the engine looks for a rule's element."""

    ANNEX = "annex"
    """``Budget/Annexes/DATA_<record>/<record>``."""
    BUDGET_PATH = "budget_path"
    """A fixed path under ``DocumentBudgetaire``."""
    ANYWHERE = "anywhere"
    """Every element of that name in the budget part."""
    CFU = "cfu"
    """Every element of that name in the CFU's accounting part (``DocumentComptable``)."""
    CFU_ROOT = "cfu_root"
    """A child of the ``CompteFinancierUnique`` root."""
    INTEGRITY = "integrity"
    """Seals and signatures of the budget part: removed once anything else changed."""


class Condition(str, Enum):
    ALWAYS = "always"
    NATURAL_PERSON = "natural_person"
    """Legal-nature code ``P3``; without a code, a label that is not an organisation's
    (every label in strict mode)."""
    NOT_ORGANISATION = "not_organisation"
    """No code exists: a label that is not an organisation's (every label in strict mode)."""
    NOT_PUBLIC_BODY = "not_public_body"
    """``CodTypPersoMorale`` other than ``U`` (public body), or absent."""
    PERSON_LABEL = "person_label"
    """The field itself is shaped like a person's name (civility, first name); such rules
    occult only the field they read."""
    DOCUMENT_CHANGED = "document_changed"


class Action(str, Enum):
    OCCULT = "occult"
    REMOVE = "remove"


@dataclass(frozen=True)
class Rule:
    id: str
    scope: Scope
    element: str
    """Record or element name (``CONCOURS``), or a path for ``BUDGET_PATH``."""
    condition: Condition
    fields: tuple[str, ...]
    """Child elements (``LibOrgaBenef``) or attributes (``@NomComptable``); empty: the
    element itself."""
    action: Action = Action.OCCULT
    label: str | None = None
    """The field a condition reads (beneficiary label)."""
    code: str | None = None
    """The field holding a legal-nature code, for conditions that read one."""
    removed_fields: tuple[str, ...] = ()
    """Fields removed rather than occulted (optional in the XSD, type rejects text)."""
    why: str = ""
    block: str | None = None
    """Annex block when it is not ``DATA_<record>`` (``DATA_MEMBRESASA/MEMBREASA``)."""

    @property
    def block_name(self) -> str:
        return self.block or f"DATA_{self.element}"


RULES: tuple[Rule, ...] = (
    Rule(
        "concours_beneficiary",
        Scope.ANNEX,
        "CONCOURS",
        Condition.NATURAL_PERSON,
        ("LibOrgaBenef", "DenomOuNumSubv", "LibPrestaNat", "ObjSubv"),
        label="LibOrgaBenef",
        code="CodNatJurBenefCA",
        removed_fields=("Siret",),
        why="Subsidies to natural persons; the SIRET of a sole trader identifies the person "
        "(optional, digits only: removed).",
    ),
    Rule(
        "fond_aides_eco_beneficiary",
        Scope.ANNEX,
        "FOND_AIDES_ECO",
        Condition.NOT_ORGANISATION,
        ("LibBenef",),
        label="LibBenef",
        why="Economic aid often goes to sole traders, who are natural persons.",
    ),
    Rule(
        "pret_beneficiary",
        Scope.ANNEX,
        "PRET",
        Condition.ALWAYS,
        ("NomBenefPret",),
        why="Loans granted by the authority (staff, students, households).",
    ),
    Rule(
        "membreasa_owner",
        Scope.ANNEX,
        "MEMBREASA",
        Condition.ALWAYS,
        ("Proprietaire",),
        why="Owners of the land of an association syndicale autorisée are mostly people.",
        block="DATA_MEMBRESASA",
    ),
    Rule(
        "provision_label",
        Scope.ANNEX,
        "PROVISION",
        Condition.ALWAYS,
        ("LibNatProv", "LibObjProv"),
        why="Provisions for litigation name the opposing party.",
    ),
    Rule(
        "personnel_pay",
        Scope.ANNEX,
        "PERSONNEL",
        Condition.ALWAYS,
        (),
        removed_fields=("RemunAgent",),
        why="Individual pay of an agent (decimal, optional: removed). Grades and counts are kept.",
    ),
    Rule(
        "organisme_eng_name",
        Scope.ANNEX,
        "ORGANISME_ENG",
        Condition.ALWAYS,
        ("NomOrgEng", "RSOrgEng"),
        why="Reference rule set: engagements may be with sole traders.",
    ),
    Rule(
        "autre_engagement_beneficiary",
        Scope.ANNEX,
        "AUTRE_ENGAGEMENT",
        Condition.NOT_PUBLIC_BODY,
        ("NomOrgaBenef", "NatEng"),
        code="CodTypPersoMorale",
        why="Commitments to private beneficiaries; public bodies (U) are kept.",
    ),
    Rule(
        "credit_bail_label",
        Scope.ANNEX,
        "CREDIT_BAIL",
        Condition.ALWAYS,
        ("LibCredBail",),
        why="Reference rule set: the lessor may be a person.",
    ),
    Rule(
        "dette_label",
        Scope.ANNEX,
        "DETTE",
        Condition.ALWAYS,
        ("LibTypDette",),
        why="Reference rule set: debts may name a creditor who is a person.",
    ),
    Rule(
        "tiers_operation",
        Scope.ANNEX,
        "TIERS",
        Condition.PERSON_LABEL,
        ("LibOper",),
        label="LibOper",
        why="Works done on behalf of third parties (e.g. on a private building) may be "
        "labelled with the owner's name; other labels describe works and are kept.",
    ),
    Rule(
        "emprunt_guaranteed_beneficiary",
        Scope.ANNEX,
        "EMPRUNT",
        Condition.PERSON_LABEL,
        ("NomBenefEmprGaranti",),
        label="NomBenefEmprGaranti",
        why="Guaranteed loans go to housing bodies and associations (kept); a label shaped "
        "like a person's name is occulted.",
    ),
    Rule(
        "pj_name",
        Scope.BUDGET_PATH,
        "Budget/BlocBudget/PJRef",
        Condition.ALWAYS,
        ("NomPJ",),
        why="File names of attachments often name people (deliberations, contracts).",
    ),
    Rule(
        "champ_editeur",
        Scope.ANYWHERE,
        "Champ_Editeur",
        Condition.ALWAYS,
        (),
        why="Free text of the software vendor: may hold anything.",
    ),
    Rule(
        "cfu_agent_login",
        Scope.CFU,
        "Edition",
        Condition.ALWAYS,
        ("@Utilisateur",),
        why="Login of the DGFiP agent who produced the CFU.",
    ),
    Rule(
        "cfu_accountant_name",
        Scope.CFU,
        "Gestion",
        Condition.ALWAYS,
        ("@NomComptable",),
        why="Names of the public accountants in office during the year.",
    ),
    Rule(
        "cfu_signatures",
        Scope.CFU_ROOT,
        "Signatures",
        Condition.ALWAYS,
        (),
        action=Action.REMOVE,
        why="XAdES signatures of the CFU: they name the signing agents with their staff "
        "numbers (SignerName) and are false once a value changed.",
    ),
    Rule(
        "seal",
        Scope.INTEGRITY,
        "Scellement",
        Condition.DOCUMENT_CHANGED,
        (),
        action=Action.REMOVE,
        why="md5/sha1 seal of the original bytes: false after any change.",
    ),
    Rule(
        "budget_signature",
        Scope.INTEGRITY,
        "Signature",
        Condition.DOCUMENT_CHANGED,
        (),
        action=Action.REMOVE,
        why="XML signature of the budget part (ds:Signature): false after any change.",
    ),
)

RULES_BY_ID = {rule.id: rule for rule in RULES}

# Places that may look personal but are kept, and why (the policy's documented decisions).
KEPT_ON_PURPOSE: tuple[tuple[str, str], ...] = (
    ("DATA_SIGNATAIRE/SIGNATAIRE/Signataire", "Signatory elected officials: public (D312-1-3)."),
    ("DATA_FORMATION/FORMATION/NomElu", "Training of elected officials: public (D312-1-3)."),
    ("DATA_PERSONNEL (grades, indices, counts)", "Staff grades and numbers are kept."),
    ("every Mt* amount", "Amounts are the point of the publication."),
    (
        "CONCOURS with code P1, P2, P4, U1-U6",
        "Organisations and public bodies: their subsidies are public.",
    ),
    (
        "DATA_PATRIMOINE/PATRIMOINE/LibBien",
        "Asset labels; names seen are those of schools and buildings (e.g. an 'ECOLE M. X').",
    ),
    ("DATA_EMPRUNT (lenders, loan objects)", "Banks and loan purposes."),
    ("DATA_ORGANISME_GROUP, DATA_ETAB_SERVICE, DATA_CONSOLIDATION", "Public bodies."),
    ("BlocEditeur, VersionOutil", "Name and version of the software, no person."),
    (
        "CFU DocumentComptable (LigneComptable, Collectivite, Tresorerie)",
        "Accounting figures and the names of public bodies and offices.",
    ),
)
