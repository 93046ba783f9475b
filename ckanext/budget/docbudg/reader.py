"""Hardened reading of budget documents: bytes in, :class:`BudgetDocument` out.

Uploads are untrusted. Before lxml sees a byte we bound the size (also after gzip
decompression), refuse any DTD (so no entity can expand and no external resource is
fetched), and after parsing we bound the nesting depth and refuse what a browser would
run or apply when it opens the published file (scripts, stylesheets). Every failure is a
typed :class:`~.errors.BudgetDocError` whose message never quotes the content.
"""

from __future__ import annotations

import io
import os
import re
import zlib
from dataclasses import dataclass
from typing import BinaryIO

from lxml import etree

from . import errors
from .model import NS, NS_CFU, BudgetDocument

Source = str | os.PathLike | bytes | bytearray | memoryview | BinaryIO

GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20

# Declared encodings we accept, mapped to the codec used to look for forbidden markup.
SUPPORTED_ENCODINGS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "iso-8859-1": "latin-1",
    "iso8859-1": "latin-1",
    "latin-1": "latin-1",
    "latin1": "latin-1",
    "iso-8859-15": "latin-1",
    "windows-1252": "latin-1",
    "cp1252": "latin-1",
    "us-ascii": "latin-1",
    "ascii": "latin-1",
    "utf-16": "utf-16",
    "utf-16le": "utf-16",
    "utf-16be": "utf-16",
}
_DECL = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_FORBIDDEN = ("<!DOCTYPE", "<!ENTITY")
LIBXML2_MAX_DEPTH = 256
ACTIVE_NAMESPACES = (
    "http://www.w3.org/1999/xhtml",
    "http://www.w3.org/2000/svg",
    "http://www.w3.org/1998/Math/MathML",
    "http://www.w3.org/1999/XSL/Transform",
)
"""Markup a browser runs or applies when it opens an XML file (scripts, stylesheets)."""


@dataclass(frozen=True)
class Limits:
    """Bounds applied to every input; the portal and the CLI make them configurable."""

    max_bytes: int = 200 * 1024 * 1024
    """Largest accepted document, measured after decompression."""
    max_depth: int = LIBXML2_MAX_DEPTH
    """Deepest element nesting accepted (real documents stay under 12). libxml2 refuses
    deeper than 256 by itself; a lower limit costs one extra pass over the tree."""


DEFAULT_LIMITS = Limits()


def human_size(size: int) -> str:
    for unit in ("o", "Ko", "Mo", "Go"):
        if size < 1024 or unit == "Go":
            return f"{size:.0f} {unit}" if unit == "o" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def _read_bounded(stream: BinaryIO, limit: int) -> bytes:
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise errors.TooLarge(size=f"> {human_size(limit)}", limit=human_size(limit))
    return data


def _gunzip_bounded(data: bytes, limit: int) -> bytes:
    """Decompress without ever holding more than ``limit`` bytes of output (gzip bombs)."""
    out = io.BytesIO()
    decomp = zlib.decompressobj(16 + zlib.MAX_WBITS)
    pending = data
    while True:
        try:
            chunk = decomp.decompress(pending, limit + 1 - out.tell())
        except zlib.error as exc:
            raise errors.CorruptCompression() from exc
        out.write(chunk)
        if out.tell() > limit:
            raise errors.TooLarge(
                size=f"> {human_size(limit)} (décompressé / decompressed)",
                limit=human_size(limit),
            )
        pending = decomp.unconsumed_tail
        if decomp.eof:
            if decomp.unused_data.startswith(GZIP_MAGIC):
                # A multi-member gzip: continue with the next member.
                pending = decomp.unused_data
                decomp = zlib.decompressobj(16 + zlib.MAX_WBITS)
                continue
            return out.getvalue()
        if not pending:
            raise errors.CorruptCompression()


def load_bytes(source: Source, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The document's XML bytes (decompressed if gzip), within ``limits.max_bytes``."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if len(data) > limits.max_bytes and not data.startswith(GZIP_MAGIC):
            raise errors.TooLarge(size=human_size(len(data)), limit=human_size(limits.max_bytes))
    elif isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as stream:
            data = _read_bounded(stream, limits.max_bytes)
    else:
        data = _read_bounded(source, limits.max_bytes)
    if data.startswith(GZIP_MAGIC):
        data = _gunzip_bounded(data, limits.max_bytes)
    if not data[:4096].strip() and not data.strip():
        raise errors.EmptyDocument()
    return data


def detect_encoding(data: bytes) -> str:
    """The declared (or BOM-given) encoding, normalised; raises if unsupported."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "UTF-8"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16"
    if data.startswith((b"<\x00", b"\x00<")):
        raise errors.UnsupportedEncoding(encoding="UTF-16 (sans BOM / without BOM)")
    match = _DECL.match(data[:200])
    declared = match.group(1).decode("ascii") if match else "UTF-8"
    if declared.lower() not in SUPPORTED_ENCODINGS:
        raise errors.UnsupportedEncoding(encoding=declared[:40])
    return declared.upper()


def _refuse_dtd(data: bytes, encoding: str) -> None:
    """A DTD is the door to entity expansion and external fetches: refuse it outright."""
    codec = SUPPORTED_ENCODINGS[encoding.lower()]
    variants = ("utf-16-le", "utf-16-be") if codec == "utf-16" else (codec,)
    for marker in _FORBIDDEN:
        for variant in variants:
            if data.find(marker.encode(variant)) >= 0:
                raise errors.UnsafeContent(construct=marker[2:] + " (DTD)")


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        collect_ids=False,
    )


def _syntax_error(
    exc: etree.XMLSyntaxError, encoding: str, limits: Limits
) -> errors.BudgetDocError:
    last = exc.error_log.last_error if exc.error_log else None
    type_name = last.type_name if last is not None else "ERR"
    line, column = (last.line, last.column) if last is not None else (exc.lineno, 0)
    if "DEPTH" in type_name or "Excessive depth" in (exc.msg or ""):
        return errors.TooDeep(limit=min(limits.max_depth, LIBXML2_MAX_DEPTH))
    if any(word in type_name for word in ("ENCODING", "INVALID_CHAR", "CHARREF")):
        return errors.UnsupportedEncoding(encoding=encoding)
    if "ENTITY" in type_name:
        return errors.UnsafeContent(construct="entité / entity")
    reason = type_name.removeprefix("ERR_").replace("_", " ").lower()
    return errors.MalformedXML(line=line, column=column, reason=reason)


def _check_depth(root: etree._Element, max_depth: int) -> None:
    if max_depth < LIBXML2_MAX_DEPTH and root.xpath("boolean(/" + "/*" * (max_depth + 1) + ")"):
        raise errors.TooDeep(limit=max_depth)


def _refuse_active_content(root: etree._Element) -> None:
    """The published file is served from the portal, and a browser opening it would run
    an XHTML or SVG script, or apply a stylesheet: a budget document never holds one."""
    tags = (f"{{{ns}}}*" for ns in ACTIVE_NAMESPACES)
    elements = next(root.iter(*tags), None)
    stylesheets = [
        pi
        for pi in (*root.itersiblings(etree.PI, preceding=True), *root.iter(etree.PI))
        if pi.target == "xml-stylesheet"
    ]
    attributes = [name for name in root.attrib if etree.QName(name).namespace in ACTIVE_NAMESPACES]
    if elements is not None or stylesheets or attributes:
        raise errors.UnsafeContent(construct="script / stylesheet")


def _budget_root(root: etree._Element) -> etree._Element:
    qname = etree.QName(root)
    if qname.namespace == NS and qname.localname == "DocumentBudgetaire":
        return root
    if qname.localname == "CompteFinancierUnique" and qname.namespace in (NS_CFU, None):
        budget = root.find(f"{{{NS}}}DocumentBudgetaire")
        if budget is None:
            budget = next(root.iter(f"{{{NS}}}DocumentBudgetaire"), None)
        if budget is None:
            raise errors.MissingBudgetPart()
        return budget
    root_name = qname.localname[:60]
    if qname.namespace:
        root_name = f"{{{qname.namespace[:80]}}}{root_name}"
    raise errors.NotABudgetDocument(root=root_name, namespace=NS)


def parse_bytes(data: bytes, limits: Limits = DEFAULT_LIMITS) -> BudgetDocument:
    """Parse already-loaded XML bytes (see :func:`load_bytes`) into a document."""
    encoding = detect_encoding(data)
    _refuse_dtd(data, encoding)
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc, encoding, limits) from None
    except ValueError as exc:  # lxml: unicode strings with declarations, bad input
        raise errors.MalformedXML(line=1, column=1, reason="invalid input") from exc
    tree = root.getroottree()
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        raise errors.UnsafeContent(construct="DOCTYPE (DTD)")
    _check_depth(root, limits.max_depth)
    _refuse_active_content(root)
    return BudgetDocument(
        tree,
        _budget_root(root),
        encoding=tree.docinfo.encoding or encoding,
        source_size=len(data),
    )


def read_document(source: Source, limits: Limits = DEFAULT_LIMITS) -> BudgetDocument:
    """Read a budget document from a path, bytes or a binary file object (.xml or .xml.gz)."""
    return parse_bytes(load_bytes(source, limits), limits)


def sniff(head: bytes) -> bool:
    """Whether the first bytes of a file look like a budget document (for upload routing)."""
    if head.startswith(GZIP_MAGIC):
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 65536)
        except zlib.error:
            return False
    for codec in ("utf-8", "utf-16"):
        try:
            text = head[:65536].decode(codec, errors="ignore")
        except LookupError:
            continue
        if "DocumentBudgetaire" in text or "CompteFinancierUnique" in text:
            return True
    return False
