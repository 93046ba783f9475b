"""Typed errors raised when a file cannot be read as a budget document.

Every error carries a stable ``code`` and a bilingual message that says what to do. Messages
never quote the document's content: an upload may hold personal data that must not reach
a log line or an error page.
"""

from __future__ import annotations

from typing import Any

from .messages import Message


class BudgetDocError(Exception):
    """Base class: the input is not a usable budget document."""

    code = "budget_document_error"
    message = Message(
        "Le fichier n'a pas pu être lu comme un document budgétaire.",
        "The file could not be read as a budget document.",
    )
    hint: Message | None = None
    """What to do, when the message does not say it already."""

    def __init__(
        self, message: Message | None = None, *, hint: Message | None = None, **params: Any
    ) -> None:
        self.params = params
        self.msg = (message or self.message).with_params(**params)
        if hint is not None:
            self.hint = hint
        super().__init__(self.msg.text("en"))

    def text(self, lang: str | None = None) -> str:
        return self.msg.text(lang)

    def text_with_hint(self, lang: str | None = None) -> str:
        """The message followed by what to do, for a place that shows one text only."""
        if self.hint is None:
            return self.text(lang)
        return f"{self.text(lang)} {self.hint.text(lang)}"

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.msg.as_dict()}


class NotABudgetDocument(BudgetDocError):
    code = "not_a_budget_document"
    message = Message(
        "Ce fichier XML n'est pas un document budgétaire : l'élément racine est « {root} » "
        "alors qu'un DocumentBudgetaire (espace de noms {namespace}) ou un "
        "CompteFinancierUnique est attendu. Exportez le document budgétaire depuis TotEM ou "
        "votre logiciel financier.",
        "This XML file is not a budget document: its root element is '{root}' whereas a "
        "DocumentBudgetaire (namespace {namespace}) or a CompteFinancierUnique is expected. "
        "Export the budget document from TotEM or your finance software.",
    )


class MissingBudgetPart(NotABudgetDocument):
    code = "cfu_without_budget"
    message = Message(
        "Ce compte financier unique ne contient pas de partie budgétaire (DocumentBudgetaire). "
        "Déposez le fichier CFU complet produit par l'application de la DGFiP.",
        "This compte financier unique has no budget part (DocumentBudgetaire). Upload the "
        "complete CFU file produced by the DGFiP application.",
    )


class MalformedXML(BudgetDocError):
    code = "malformed_xml"
    message = Message(
        "Le fichier n'est pas un XML bien formé, ligne {line}, colonne {column} : {reason}.",
        "The file is not well-formed XML, line {line}, column {column}: {reason}.",
    )
    hint = Message(
        "Exportez à nouveau le document depuis TotEM ou votre logiciel financier et déposez le "
        "fichier obtenu sans le modifier.",
        "Export the document again from TotEM or your finance software and upload the file "
        "you get without changing it.",
    )


class EmptyDocument(MalformedXML):
    code = "empty_file"
    message = Message(
        "Le fichier est vide. Choisissez le fichier XML du document budgétaire.",
        "The file is empty. Choose the budget document's XML file.",
    )
    hint = None  # the message says what to do


class UnsafeContent(BudgetDocError):
    code = "unsafe_xml"
    message = Message(
        "Le fichier contient une construction XML refusée pour des raisons de sécurité "
        "({construct}). Un document budgétaire n'en a jamais besoin : exportez le fichier "
        "d'origine sans la modifier.",
        "The file contains an XML construct refused for security reasons ({construct}). A "
        "budget document never needs one: export the original file without changing it.",
    )


class TooLarge(BudgetDocError):
    code = "too_large"
    message = Message(
        "Le fichier dépasse la taille autorisée ({size} alors que la limite est {limit}). "
        "Vérifiez qu'il s'agit bien d'un seul document budgétaire ou demandez à "
        "l'administrateur du portail de relever la limite.",
        "The file exceeds the allowed size ({size} while the limit is {limit}). Check that it "
        "is a single budget document, or ask the portal administrator to raise the limit.",
    )


class TooDeep(UnsafeContent):
    code = "too_deep"
    message = Message(
        "Le fichier imbrique les éléments XML sur plus de {limit} niveaux, ce qu'aucun "
        "document budgétaire ne fait. Exportez à nouveau le fichier d'origine.",
        "The file nests XML elements more than {limit} levels deep, which no budget document "
        "does. Export the original file again.",
    )


class UnsupportedEncoding(BudgetDocError):
    code = "unsupported_encoding"
    message = Message(
        "L'encodage « {encoding} » n'est pas pris en charge (ou le contenu ne le respecte pas). "
        "Enregistrez le fichier en UTF-8, UTF-16, UTF-32 ou ISO-8859-1 avec la déclaration XML "
        "correspondante.",
        "The encoding '{encoding}' is not supported (or the content does not follow it). Save "
        "the file as UTF-8, UTF-16, UTF-32 or ISO-8859-1 with the matching XML declaration.",
    )


class CorruptCompression(BudgetDocError):
    code = "corrupt_gzip"
    message = Message(
        "Le fichier compressé (.gz) est endommagé ou incomplet. Compressez à nouveau le "
        "document ou déposez le fichier XML non compressé.",
        "The compressed (.gz) file is damaged or incomplete. Compress the document again or "
        "upload the uncompressed XML file.",
    )


class NestedBudgetDocument(NotABudgetDocument):
    code = "nested_budget_document"
    message = Message(
        "Ce fichier contient un document budgétaire (DocumentBudgetaire ou "
        "CompteFinancierUnique) à l'intérieur d'un autre contenu (élément racine « {root} »). "
        "Le portail ne publie un document budgétaire qu'après l'avoir anonymisé : déposez le "
        "fichier XML du document budgétaire lui-même, tel que TotEM ou votre logiciel "
        "financier l'exporte.",
        "This file holds a budget document (DocumentBudgetaire or CompteFinancierUnique) "
        "inside other content (root element '{root}'). The portal publishes a budget "
        "document only once it has anonymised it: upload the budget document's own XML "
        "file, as TotEM or your finance software exports it.",
    )


class PersonalDataRemains(BudgetDocError):
    code = "personal_data_remains"
    message = Message(
        "Le portail n'a pas pu vérifier que toutes les données personnelles de ce document "
        "sont occultées ({check}) : par précaution, il n'est ni enregistré ni publié. "
        "Signalez-le à l'administrateur du portail en indiquant le nom du fichier.",
        "The portal could not verify that every personal value of this document is "
        "occulted ({check}): as a precaution, it is neither stored nor published. Report it "
        "to the portal administrator with the file's name.",
    )
