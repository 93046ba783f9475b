"""What an anonymisation run did, in counts and element paths: never the values.

The report is stored with the published resource and shown to the publisher, so it may
contain neither an occulted value nor anything derived from one that could be reversed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..messages import Message

# Rules that remove a seal or a signature rather than a personal value.
_CERTIFICATES = ("seal", "budget_signature", "cfu_signatures")
_BENEFICIARY_RULES = ("concours_beneficiary", "fond_aides_eco_beneficiary")


def _plural(count: int, one: str, many: str) -> str:
    return one if count == 1 else many


@dataclass
class AnonymisationReport:
    """Counts per rule and per annex, paths of the changed elements, seal status."""

    replacement: str
    strict_beneficiaries: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    """Values occulted or elements removed, per rule id (see ``policy.RULES``)."""
    annexes: dict[str, int] = field(default_factory=dict)
    """Values occulted or elements removed, per annex block (``DATA_CONCOURS``)."""
    paths: list[str] = field(default_factory=list)
    """Readable paths of the changed elements (``Budget/Annexes/…/LibOrgaBenef``)."""
    already_occulted: int = 0
    """Sensitive values that already held a replacement text (a second run finds only these)."""
    natural_persons: int = 0
    """Distinct natural persons among the beneficiaries occulted."""
    natural_person_records: int = 0
    """Beneficiary records (subsidies, aids) occulted because they go to a natural person."""
    uncertain_beneficiaries: int = 0
    """Records without a legal-nature code occulted because the label was not clearly an
    organisation's (or because the strict setting occults them all)."""
    organisations_kept: int = 0
    """Records without a legal-nature code kept because the label is an organisation's."""

    @property
    def total_occulted(self) -> int:
        """Values occulted and elements removed, seals and signatures excluded."""
        return sum(n for rule, n in self.counts.items() if rule not in _CERTIFICATES)

    @property
    def seal_removed(self) -> bool:
        return self.counts.get("seal", 0) > 0

    @property
    def signatures_removed(self) -> int:
        return sum(self.counts.get(rule, 0) for rule in _CERTIFICATES if rule != "seal")

    @property
    def changed(self) -> bool:
        return bool(self.paths)

    def add(self, rule_id: str, path: str, annex: str | None = None) -> None:
        self.counts[rule_id] = self.counts.get(rule_id, 0) + 1
        if annex:
            self.annexes[annex] = self.annexes.get(annex, 0) + 1
        self.paths.append(path)

    def as_dict(self, include_paths: bool = False) -> dict[str, Any]:
        """JSON-able counts (and, on request, paths), fit for storage and the API."""
        data: dict[str, Any] = {
            "replacement": self.replacement,
            "strict_beneficiaries": self.strict_beneficiaries,
            "total_occulted": self.total_occulted,
            "counts": dict(sorted(self.counts.items())),
            "annexes": dict(sorted(self.annexes.items())),
            "already_occulted": self.already_occulted,
            "seal_removed": self.seal_removed,
            "signatures_removed": self.signatures_removed,
            "natural_persons": self.natural_persons,
            "natural_person_records": self.natural_person_records,
            "uncertain_beneficiaries": self.uncertain_beneficiaries,
            "organisations_kept": self.organisations_kept,
            "summary": self.message().as_dict(),
        }
        if include_paths:
            data["paths"] = list(self.paths)
        return data

    def message(self) -> Message:
        """The summary as a bilingual :class:`Message`."""
        fr: list[str] = []
        en: list[str] = []
        persons, records = self.natural_persons, self.natural_person_records
        if records:
            fr.append(
                f"{persons} {_plural(persons, 'bénéficiaire personne physique occulté', 'bénéficiaires personnes physiques occultés')}"  # noqa: E501
                + (f" ({records} attributions)" if records != persons else "")
            )
            en.append(
                f"{persons} {_plural(persons, 'beneficiary who is a natural person', 'beneficiaries who are natural persons')} occulted"  # noqa: E501
                + (f" ({records} grants)" if records != persons else "")
            )
        if self.uncertain_beneficiaries:
            n = self.uncertain_beneficiaries
            fr.append(
                f"{n} {_plural(n, 'bénéficiaire sans code juridique occulté', 'bénéficiaires sans code juridique occultés')}"  # noqa: E501
                + (" (mode strict)" if self.strict_beneficiaries else " par prudence")
            )
            en.append(
                f"{n} {_plural(n, 'beneficiary', 'beneficiaries')} without a legal-nature "
                "code occulted"
                + (" (strict mode)" if self.strict_beneficiaries else " as a precaution")
            )
        others = self.total_occulted - sum(self.counts.get(r, 0) for r in _BENEFICIARY_RULES)
        if others:
            fr.append(f"{others} autres {_plural(others, 'valeur occultée', 'valeurs occultées')}")
            en.append(f"{others} other {_plural(others, 'value', 'values')} occulted")
        if self.already_occulted:
            n = self.already_occulted
            fr.append(f"{n} {_plural(n, 'valeur déjà occultée', 'valeurs déjà occultées')}")
            en.append(f"{n} {_plural(n, 'value', 'values')} already occulted")
        if self.signatures_removed:
            n = self.signatures_removed
            fr.append(f"{n} {_plural(n, 'signature supprimée', 'signatures supprimées')}")
            en.append(f"{n} {_plural(n, 'signature', 'signatures')} removed")
        if self.seal_removed:
            fr.append("sceau supprimé")
            en.append("seal removed")
        if not fr:
            return Message(
                "Aucune donnée personnelle trouvée ; document inchangé",
                "No personal data found; document unchanged",
            )
        return Message(" ; ".join(fr), "; ".join(en))

    def summary(self, lang: str | None = None) -> str:
        """E.g. « 7 bénéficiaires personnes physiques occultés ; sceau supprimé »."""
        return self.message().text(lang)
