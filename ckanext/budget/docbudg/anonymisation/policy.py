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
    """What a rule does with the elements it names. Every element is found by local name,
    anywhere in the file and in any namespace (``records``): where a record stands or how
    its namespace is written never lets it escape a rule."""

    RECORD = "record"
    """Records (``CONCOURS``, ``PJRef``…): the rule's fields among their children."""
    ELEMENT = "element"
    """The element itself is occulted (``Champ_Editeur``)."""
    ATTRIBUTES = "attributes"
    """Attributes of the element (``Edition@Utilisateur``) are occulted."""
    REMOVED = "removed"
    """The element is removed with everything in it (signatures)."""
    FREE_TEXT = "free_text"
    """Text content, comments and processing instructions, anywhere in the file."""
    INTEGRITY = "integrity"
    """Seals of the original bytes: removed once anything else changed."""


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


RULES: tuple[Rule, ...] = (
    Rule(
        "concours_beneficiary",
        Scope.RECORD,
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
        Scope.RECORD,
        "FOND_AIDES_ECO",
        Condition.NOT_ORGANISATION,
        ("LibBenef",),
        label="LibBenef",
        why="Economic aid often goes to sole traders, who are natural persons.",
    ),
    Rule(
        "fond_europeen_beneficiary",
        Scope.RECORD,
        "FOND_EUROPEEN",
        Condition.NOT_ORGANISATION,
        ("LibBenef",),
        label="LibBenef",
        why="European funds managed by the authority go to farmers and sole traders too.",
    ),
    Rule(
        "fond_europeen_operation",
        Scope.RECORD,
        "FOND_EUROPEEN",
        Condition.PERSON_LABEL,
        ("LibOper",),
        label="LibOper",
        why="An operation may be labelled with its beneficiary's name.",
    ),
    Rule(
        "pret_beneficiary",
        Scope.RECORD,
        "PRET",
        Condition.ALWAYS,
        ("NomBenefPret",),
        why="Loans granted by the authority (staff, students, households).",
    ),
    Rule(
        "membreasa_owner",
        Scope.RECORD,
        "MEMBREASA",
        Condition.ALWAYS,
        ("Proprietaire",),
        why="Owners of the land of an association syndicale autorisée are mostly people.",
    ),
    Rule(
        "provision_label",
        Scope.RECORD,
        "PROVISION",
        Condition.ALWAYS,
        ("LibNatProv", "LibObjProv"),
        why="Provisions for litigation name the opposing party.",
    ),
    Rule(
        "personnel_pay",
        Scope.RECORD,
        "PERSONNEL",
        Condition.ALWAYS,
        (),
        removed_fields=("RemunAgent",),
        why="Individual pay of an agent (decimal, optional: removed). Grades and counts are kept.",
    ),
    Rule(
        "organisme_eng_name",
        Scope.RECORD,
        "ORGANISME_ENG",
        Condition.ALWAYS,
        ("NomOrgEng", "RSOrgEng"),
        why="Reference rule set: engagements may be with sole traders.",
    ),
    Rule(
        "autre_engagement_beneficiary",
        Scope.RECORD,
        "AUTRE_ENGAGEMENT",
        Condition.NOT_PUBLIC_BODY,
        ("NomOrgaBenef", "NatEng"),
        code="CodTypPersoMorale",
        why="Commitments to private beneficiaries; public bodies (U) are kept.",
    ),
    Rule(
        "credit_bail_label",
        Scope.RECORD,
        "CREDIT_BAIL",
        Condition.ALWAYS,
        ("LibCredBail",),
        why="Reference rule set: the lessor may be a person.",
    ),
    Rule(
        "dette_label",
        Scope.RECORD,
        "DETTE",
        Condition.ALWAYS,
        ("LibTypDette",),
        why="Reference rule set: debts may name a creditor who is a person.",
    ),
    Rule(
        "tiers_operation",
        Scope.RECORD,
        "TIERS",
        Condition.PERSON_LABEL,
        ("LibOper",),
        label="LibOper",
        why="Works done on behalf of third parties (e.g. on a private building) may be "
        "labelled with the owner's name; other labels describe works and are kept.",
    ),
    Rule(
        "emprunt_guaranteed_beneficiary",
        Scope.RECORD,
        "EMPRUNT",
        Condition.PERSON_LABEL,
        ("NomBenefEmprGaranti",),
        label="NomBenefEmprGaranti",
        why="Guaranteed loans go to housing bodies and associations (kept); a label shaped "
        "like a person's name is occulted.",
    ),
    Rule(
        "pj_name",
        Scope.RECORD,
        "PJRef",
        Condition.ALWAYS,
        ("NomPJ",),
        why="File names of attachments often name people (deliberations, contracts).",
    ),
    Rule(
        "champ_editeur",
        Scope.ELEMENT,
        "Champ_Editeur",
        Condition.ALWAYS,
        (),
        why="Free text of the software vendor: may hold anything.",
    ),
    Rule(
        "cfu_agent_login",
        Scope.ATTRIBUTES,
        "Edition",
        Condition.ALWAYS,
        ("@Utilisateur",),
        why="Login of the DGFiP agent who produced the CFU.",
    ),
    Rule(
        "cfu_accountant_name",
        Scope.ATTRIBUTES,
        "Gestion",
        Condition.ALWAYS,
        ("@NomComptable",),
        why="Names of the public accountants in office during the year.",
    ),
    Rule(
        "cfu_signatures",
        Scope.REMOVED,
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
        Scope.REMOVED,
        "Signature",
        Condition.ALWAYS,
        (),
        action=Action.REMOVE,
        why="XML signatures (ds:Signature) name their signer in a certificate, and are false "
        "once a value changed.",
    ),
    Rule(
        "free_text",
        Scope.FREE_TEXT,
        "*",
        Condition.ALWAYS,
        (),
        action=Action.REMOVE,
        why="A budget document carries every value in a V attribute; text content, comments "
        "and processing instructions are never part of it and cannot be classified.",
    ),
)

RULES_BY_ID = {rule.id: rule for rule in RULES}

OTHER_OWNERS: dict[str, tuple[str, ...]] = {"NatEng": ("ORGANISME_ENG",)}
"""Records the XSD also puts a rule's field in, without personal data (kept there)."""
FIELD_OWNERS: dict[str, frozenset[str]] = {
    name: frozenset(
        [r.element for r in RULES if name in r.fields + r.removed_fields]
        + list(OTHER_OWNERS.get(name, ()))
    )
    for rule in RULES
    if rule.scope is Scope.RECORD
    for name in rule.fields + rule.removed_fields
}
"""Each field a rule occults or removes, and the records it belongs to. Found anywhere
else (outside any record, in a record of another kind), whose person it names cannot be
told: it is occulted."""

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
