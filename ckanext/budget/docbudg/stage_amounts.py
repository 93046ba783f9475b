"""The amount a stage's figures use, written once (DOMAIN.md §9).

An account (compte administratif, compte financier unique) says what was realised:
``MtReal``. A voted document carries, per line, the credits voted before it and its own
change; the budget of the year after it is their sum, not the change alone:

- budget primitif: its credits ``MtPrev``, with last year's carried-forward commitments
  when it takes them over (``MtRARPrec``; ``CredOuv`` = ``MtPrev`` + ``MtRARPrec``). Its
  ``MtBudgPrec`` is last year's budget, printed for comparison: never counted;
- budget supplémentaire: the credits before it (``MtBudgPrec``), the carried-forward
  commitments (``MtRARPrec``) and its change (``MtPrev``);
- décision modificative: the credits before it (``MtBudgPrec``, carried-forward
  commitments included) and its change (``MtPrev``).

So the credits after a decision are the next decision's credits before it
(``CREDITS_BEFORE``), and the year's voted budget is its latest decision's credits. The
aggregation, the big numbers and the indicators read each line's amount through
``aggregation.Selection`` (where a rule set may name other fields), which falls back on
:func:`stage_amount`; the pages name it with :func:`amount_words`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from .messages import Message
from .model import AMOUNT_FIELDS, Stage

ZERO = Decimal(0)
SEPARATOR = "+"


class AmountError(ValueError):
    """An amount that names no field a budget line has, with a bilingual message."""

    def __init__(self, message: Message) -> None:
        self.msg = message
        super().__init__(message.text("en"))


@dataclass(frozen=True)
class Amount:
    """Amount fields of a line, summed: what a figure counts of each line."""

    fields: tuple[str, ...]

    @property
    def name(self) -> str:
        """``MtBudgPrec+MtPrev``: how rule sets and stored results write it."""
        return SEPARATOR.join(self.fields)

    @property
    def formula(self) -> str:
        """``MtBudgPrec + MtPrev``: how the pages show it."""
        return f" {SEPARATOR} ".join(self.fields)

    def of(self, amounts: Mapping[str, Decimal]) -> Decimal:
        """The line's amount (``BudgetLine.amounts``); an absent field counts as zero."""
        fields = self.fields
        if len(fields) == 1:
            return amounts.get(fields[0], ZERO)
        total = ZERO
        for name in fields:
            value = amounts.get(name)
            if value is not None:
                total += value
        return total

    @classmethod
    def parse(cls, text: str) -> Amount:
        """``MtPrev`` or ``MtBudgPrec+MtPrev``; an unknown or repeated field is refused."""
        fields = tuple(part.strip() for part in str(text).split(SEPARATOR))
        unknown = [name for name in fields if name not in AMOUNT_FIELDS]
        if unknown or len(set(fields)) != len(fields):
            raise AmountError(
                Message(
                    "Montant « {text} » illisible : des champs parmi {fields}, joints par « + ».",
                    "Unreadable amount '{text}': fields among {fields}, joined by '+'.",
                    {"text": text, "fields": ", ".join(AMOUNT_FIELDS)},
                )
            )
        return cls(fields)


STAGE_AMOUNTS: dict[Stage, Amount] = {
    Stage.BP: Amount(("MtPrev", "MtRARPrec")),
    Stage.BS: Amount(("MtBudgPrec", "MtRARPrec", "MtPrev")),
    Stage.DM: Amount(("MtBudgPrec", "MtPrev")),
    Stage.CA: Amount(("MtReal",)),
    Stage.CFU: Amount(("MtReal",)),
}
"""The amount of each stage: realised for an account, credits voted after the decision
otherwise."""

CREDITS_BEFORE: dict[Stage, Amount] = {
    Stage.BS: Amount(("MtBudgPrec",)),
    Stage.DM: Amount(("MtBudgPrec",)),
}
"""The credits a decision starts from: the previous decision's credits after it."""


def stage_amount(stage: Stage | None) -> Amount:
    """The amount a stage's figures use; a document that does not say its stage is read
    as an account."""
    return STAGE_AMOUNTS[stage if stage is not None else Stage.CA]


def decision_words(stage: Stage, number: str | None = None) -> Message:
    """« la décision modificative n° 3 », "amending budget no. 3": a document in a
    sentence."""
    if stage is Stage.DM and number and number != "0":
        return Message(
            "la décision modificative n° {number}",
            "amending budget no. {number}",
            {"number": number},
        )
    return Message(f"le {stage.label_fr}", f"the {stage.label_en}")


def amount_words(
    stage: Stage | None, amount: Amount | str | None = None, number: str | None = None
) -> Message:
    """What a document's figures count, in words and fields: « Crédits votés après la
    décision modificative n° 3 (MtBudgPrec + MtPrev) ». ``amount``: the one a rule set
    chose (its name, as stored), when it is not the stage's; ``number``: a DM's."""
    chosen = Amount.parse(amount) if isinstance(amount, str) else amount
    defined = stage_amount(stage)
    if chosen is not None and chosen != defined:
        return Message(
            "Montant choisi par les règles de présentation ({fields})",
            "Amount chosen by the presentation rules ({fields})",
            {"fields": chosen.formula},
        )
    params = {"fields": defined.formula}
    if stage is None or stage.is_realised:
        realised = Stage.CFU if stage is Stage.CFU else Stage.CA
        return Message(
            "Montants réalisés du {account} ({fields})",
            "Amounts realised, from the {account} ({fields})",
            {**params, "account": Message(realised.label_fr, realised.label_en)},
        )
    if stage is Stage.BP:
        return Message(
            "Crédits votés au budget primitif, restes à réaliser repris compris ({fields})",
            "Credits voted in the initial budget, carried-forward commitments included ({fields})",
            params,
        )
    return Message(
        "Crédits votés après {decision} ({fields})",
        "Credits voted after {decision} ({fields})",
        {**params, "decision": decision_words(stage, number)},
    )
