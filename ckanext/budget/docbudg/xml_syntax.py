"""What a libxml2 syntax error means for whoever uploads a budget document, in French and English.

libxml2's own messages are English fragments (« tag not finished », « Start tag expected »)
that may quote the document's content. An error is read here by its domain and numeric code
(``etree.ErrorDomains`` / ``etree.ErrorTypes``), never by its text, and told as a reason plus
what to do about it.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from .messages import Message

_T = etree.ErrorTypes


@dataclass(frozen=True)
class SyntaxReason:
    """Why the file is not well-formed XML, and what to do about it."""

    reason: Message
    hint: Message


_HINT_EXPORT_AGAIN = Message(
    "Exportez à nouveau le document depuis TotEM ou votre logiciel financier et déposez le "
    "fichier obtenu sans l'ouvrir ni l'enregistrer dans un autre programme (un éditeur de "
    "texte ou un tableur peut l'abîmer).",
    "Export the document again from TotEM or your finance software and upload the file you "
    "get without opening or saving it in another program (a text editor or a spreadsheet "
    "can damage it).",
)
_HINT_TRUNCATED = Message(
    "Le fichier a sans doute été coupé pendant l'export, la copie ou le téléchargement : "
    "exportez-le à nouveau, vérifiez que sa taille est celle de l'original, puis déposez-le.",
    "The file was most likely cut during export, copy or download: export it again, check "
    "that its size matches the original's, then upload it.",
)
_HINT_NOT_XML = Message(
    "Vérifiez que vous déposez le fichier XML du document budgétaire (extension .xml ou "
    ".xml.gz) et non un PDF, un tableur, une archive ZIP ou une page web.",
    "Check that you are uploading the budget document's XML file (.xml or .xml.gz) and not "
    "a PDF, a spreadsheet, a ZIP archive or a web page.",
)
_HINT_ONE_DOCUMENT = Message(
    "Déposez un seul document budgétaire par fichier, tel qu'exporté, sans rien ajouter "
    "avant ni après.",
    "Upload one budget document per file, as exported, with nothing added before or after it.",
)

_TRUNCATED = SyntaxReason(
    Message(
        "le fichier s'arrête avant la fin d'un élément",
        "the file ends before an element is closed",
    ),
    _HINT_TRUNCATED,
)
_NO_ROOT = SyntaxReason(
    Message(
        "aucun élément XML n'a été trouvé (le contenu ne commence pas par une balise)",
        "no XML element was found (the content does not start with a tag)",
    ),
    _HINT_NOT_XML,
)
_EXTRA_CONTENT = SyntaxReason(
    Message(
        "du contenu suit la fin du document (deux documents mis bout à bout ?)",
        "content follows the end of the document (two documents put end to end?)",
    ),
    _HINT_ONE_DOCUMENT,
)
_MISMATCH = SyntaxReason(
    Message(
        "une balise fermante ne correspond pas à la balise ouverte",
        "a closing tag does not match the open tag",
    ),
    _HINT_EXPORT_AGAIN,
)
_BAD_TAG = SyntaxReason(
    Message(
        "une balise ou un attribut est mal écrit (chevron, guillemet ou nom manquant)",
        "a tag or an attribute is badly written (missing bracket, quote or name)",
    ),
    _HINT_EXPORT_AGAIN,
)
_REPEATED_ATTRIBUTE = SyntaxReason(
    Message(
        "un attribut apparaît deux fois dans la même balise",
        "an attribute appears twice in the same tag",
    ),
    _HINT_EXPORT_AGAIN,
)
_BAD_AMPERSAND = SyntaxReason(
    Message(
        "un caractère « & » ou « < » n'est pas écrit comme XML l'exige (&amp; ou &lt;)",
        "a '&' or '<' character is not written as XML requires (&amp; or &lt;)",
    ),
    _HINT_EXPORT_AGAIN,
)
_BAD_DECLARATION = SyntaxReason(
    Message(
        "la déclaration XML (<?xml … ?>) est mal écrite ou n'est pas au début du fichier",
        "the XML declaration (<?xml … ?>) is badly written or not at the start of the file",
    ),
    _HINT_ONE_DOCUMENT,
)
_UNDECLARED_PREFIX = SyntaxReason(
    Message(
        "un préfixe d'espace de noms est utilisé sans être déclaré",
        "a namespace prefix is used without being declared",
    ),
    _HINT_EXPORT_AGAIN,
)
_TOO_LONG = SyntaxReason(
    Message(
        "un nom ou une valeur dépasse la longueur que le portail lit (10 millions de caractères)",
        "a name or a value exceeds the length the portal reads (10 million characters)",
    ),
    _HINT_EXPORT_AGAIN,
)
_OTHER = Message(
    "erreur de syntaxe XML (code libxml2 {code})",
    "XML syntax error (libxml2 code {code})",
)

_PARSER_REASONS: dict[int, SyntaxReason] = {
    _T.ERR_DOCUMENT_EMPTY: _NO_ROOT,
    _T.ERR_DOCUMENT_START: _NO_ROOT,
    _T.ERR_DOCUMENT_END: _EXTRA_CONTENT,
    _T.ERR_TAG_NOT_FINISHED: _TRUNCATED,
    _T.ERR_COMMENT_NOT_FINISHED: _TRUNCATED,
    _T.ERR_CDATA_NOT_FINISHED: _TRUNCATED,
    _T.ERR_PI_NOT_FINISHED: _TRUNCATED,
    _T.ERR_LITERAL_NOT_FINISHED: _TRUNCATED,
    _T.ERR_ATTRIBUTE_NOT_FINISHED: _TRUNCATED,
    _T.ERR_TAG_NAME_MISMATCH: _MISMATCH,
    _T.ERR_GT_REQUIRED: _BAD_TAG,
    _T.ERR_LT_REQUIRED: _BAD_TAG,
    _T.ERR_NAME_REQUIRED: _BAD_TAG,
    _T.ERR_SPACE_REQUIRED: _BAD_TAG,
    _T.ERR_EQUAL_REQUIRED: _BAD_TAG,
    _T.ERR_ATTRIBUTE_NOT_STARTED: _BAD_TAG,
    _T.ERR_ATTRIBUTE_WITHOUT_VALUE: _BAD_TAG,
    _T.ERR_ATTRIBUTE_REDEFINED: _REPEATED_ATTRIBUTE,
    _T.ERR_LT_IN_ATTRIBUTE: _BAD_AMPERSAND,
    _T.ERR_ENTITYREF_SEMICOL_MISSING: _BAD_AMPERSAND,
    _T.ERR_RESERVED_XML_NAME: _BAD_DECLARATION,
    _T.ERR_XMLDECL_NOT_STARTED: _BAD_DECLARATION,
    _T.ERR_XMLDECL_NOT_FINISHED: _BAD_DECLARATION,
    _T.ERR_VERSION_MISSING: _BAD_DECLARATION,
    _T.ERR_RESOURCE_LIMIT: _TOO_LONG,
    _T.ERR_NAME_TOO_LONG: _TOO_LONG,
}
_NAMESPACE_REASONS: dict[int, SyntaxReason] = {
    _T.NS_ERR_UNDEFINED_NAMESPACE: _UNDECLARED_PREFIX,
}


def syntax_reason(entry: etree._LogEntry | None) -> SyntaxReason:
    """The reason and the advice for one libxml2 parser or namespace error."""
    if entry is None:
        return SyntaxReason(_OTHER.with_params(code="?"), _HINT_EXPORT_AGAIN)
    if entry.domain == etree.ErrorDomains.NAMESPACE:
        found = _NAMESPACE_REASONS.get(entry.type)
    else:
        found = _PARSER_REASONS.get(entry.type)
    return found or SyntaxReason(_OTHER.with_params(code=entry.type), _HINT_EXPORT_AGAIN)


def first_error(log: etree._ListErrorLog | None) -> etree._LogEntry | None:
    """The error that stopped the parser first: the ones after it follow from it."""
    if not log:
        return None
    return next((e for e in log if e.level >= etree.ErrorLevels.ERROR), log[0])
