"""Hardened reading of budget documents: bytes in, :class:`BudgetDocument` out.

This module is the one answer to "is this a budget document, and what does it say?" for
the upload gate, the dry-run check, the background job and the command line: the same
decompression (every gzip member, any header field; a damaged stream is an error), the
same decoding (UTF-8/16/32 with or without a byte-order mark, the declared 8-bit
encodings, whitespace of any length before the declaration) and the same root detection.
:func:`open_document` answers for any file: a budget document, or ``None`` when the file
holds none — never ``None`` for a file that holds one, even nested or unreadable.

Uploads are untrusted. Before lxml sees a byte we bound the size (also after gzip
decompression), refuse any DTD (so no entity can expand and no external resource is
fetched), and after parsing we bound the nesting depth and refuse what a browser would
run or apply when it opens the published file (scripts, stylesheets). Every failure is a
typed :class:`~.errors.BudgetDocError` whose message never quotes the content.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from lxml import etree

from . import errors, xml_syntax
from .model import NS, NS_CFU, BudgetDocument

Source = str | os.PathLike | bytes | bytearray | memoryview | BinaryIO

GZIP_MAGIC = b"\x1f\x8b"
_GZIP_WBITS = 16 + zlib.MAX_WBITS
_CHUNK = 1 << 20

BUDGET_ELEMENTS = ("DocumentBudgetaire", "CompteFinancierUnique")
"""Root elements of a budget document; a file naming one anywhere is looked at closely."""
_UNIT_CODECS = {"utf-8": 1, "utf-16-le": 2, "utf-16-be": 2, "utf-32-le": 4, "utf-32-be": 4}
_MARKERS = tuple((name.encode(codec), codec) for name in BUDGET_ELEMENTS for codec in _UNIT_CODECS)
_MARKER_OVERLAP = max(len(marker) for marker, _ in _MARKERS) - 1
_TAG_BEFORE = re.compile(r"(?:<|&lt;|&#0*60;|&#x0*3c;)\s*(/)?\s*(?:[\w.\-]+:)?$", re.IGNORECASE)
"""What makes a mention of a root element's name a tag (written or escaped), as opposed
to a word in a text or an attribute value (an XML schema, a README)."""

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
    "utf-32": "utf-32",
    "utf-32le": "utf-32",
    "utf-32be": "utf-32",
    "ucs-4": "utf-32",
    "iso-10646-ucs-4": "utf-32",
}
_BOMS = (  # longest first: UTF-32 LE starts like UTF-16 LE
    (b"\xff\xfe\x00\x00", "UTF-32", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "UTF-32", "utf-32-be"),
    (b"\xef\xbb\xbf", "UTF-8", "utf-8"),
    (b"\xff\xfe", "UTF-16", "utf-16-le"),
    (b"\xfe\xff", "UTF-16", "utf-16-be"),
)
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


def _too_large(limits: Limits, compressed: bool) -> errors.TooLarge:
    size = f"> {human_size(limits.max_bytes)}"
    if compressed:
        size += " (décompressé / decompressed)"
    return errors.TooLarge(size=size, limit=human_size(limits.max_bytes))


# -- bytes: the file's content, decompressed -------------------------------------------
@contextlib.contextmanager
def _opened(source: Source) -> Iterator[BinaryIO]:
    """A binary stream over ``source`` (a caller's stream is left open, at its end)."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        yield io.BytesIO(source)
    elif isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as stream:
            yield stream
    else:
        yield source


def _gunzip(raw: Iterator[bytes]) -> Iterator[bytes]:
    """Every member of a gzip stream, decompressed by chunks of at most 1 MiB; the zero
    padding gzip tools allow between members is skipped. A damaged header, data, CRC
    or length, trailing bytes that are not a member, or a truncated member raise."""
    decompressor = zlib.decompressobj(_GZIP_WBITS)
    fed = False  # the current member has started
    for chunk in raw:
        while chunk:
            if not fed:
                chunk = chunk.lstrip(b"\0")
                if not chunk:
                    break
            fed = True
            try:
                out = decompressor.decompress(chunk, _CHUNK)
                while out:
                    yield out
                    out = decompressor.decompress(decompressor.unconsumed_tail, _CHUNK)
            except zlib.error as error:
                raise errors.CorruptCompression() from error
            if decompressor.eof:
                chunk = decompressor.unused_data
                decompressor, fed = zlib.decompressobj(_GZIP_WBITS), False
            else:
                chunk = decompressor.unconsumed_tail
    if fed:
        raise errors.CorruptCompression()  # the last member ends before its end


def _content(stream: BinaryIO) -> tuple[bool, Iterator[bytes]]:
    """Whether the stream is gzip, and its content by chunks (decompressed)."""
    first = stream.read(_CHUNK)
    raw = itertools.chain((first,), iter(lambda: stream.read(_CHUNK), b""))
    if first.startswith(GZIP_MAGIC):
        return True, _gunzip(raw)
    return False, raw


def _load(stream: BinaryIO, limits: Limits) -> bytes:
    compressed, chunks = _content(stream)
    parts: list[bytes] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > limits.max_bytes:
            raise _too_large(limits, compressed)
        parts.append(chunk)
    data = parts[0] if len(parts) == 1 else b"".join(parts)
    del parts
    if not data.strip():
        raise errors.EmptyDocument()
    return data


def load_bytes(source: Source, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The document's XML bytes (decompressed if gzip), within ``limits.max_bytes``."""
    with _opened(source) as stream:
        return _load(stream, limits)


def _names_budget_element(stream: BinaryIO, limits: Limits) -> bool:
    """Whether the content names a budget document's root element anywhere, in any of
    the encodings the reader accepts. A compressed stream is read to its end, within the
    size limit: a damaged one is an error, never "no document"."""
    compressed, chunks = _content(stream)
    tail = b""
    size = 0
    found = False
    for chunk in chunks:
        size += len(chunk)
        if compressed and size > limits.max_bytes:
            raise _too_large(limits, compressed)
        window = tail + chunk
        found = found or any(marker in window for marker, _ in _MARKERS)
        if found and not compressed:
            return True
        tail = window[-_MARKER_OVERLAP:]
    return found


def _tags(data: bytes) -> Iterator[bool]:
    """Each place a root element's name stands in ``data`` as a tag, written or escaped
    (``True`` for a start tag, ``False`` for an end tag). A name found in two encodings
    at once (UTF-16 read one byte off as the other byte order) counts once."""
    seen: list[range] = []
    for marker, codec in _MARKERS:
        width = _UNIT_CODECS[codec]
        position = data.find(marker)
        while position >= 0:
            span = range(position, position + len(marker))
            start = position - min(position // width, 48) * width
            found = _TAG_BEFORE.search(data[start:position].decode(codec, errors="ignore"))
            if found and not any(span.start < s.stop and s.start < span.stop for s in seen):
                seen.append(span)
                yield not found.group(1)
            position = data.find(marker, position + 1)


def count_start_tags(data: bytes) -> int:
    """How many start tags of a budget document's root elements ``data`` holds, written or
    escaped: more than the document has such elements means a document inside a value."""
    return sum(_tags(data))


@dataclass(frozen=True)
class Loaded:
    """A document and the bytes it was parsed from (decompressed): published as they are
    when the anonymiser changes nothing, so that their seal stays true."""

    document: BudgetDocument
    data: bytes


def load(
    source: Source, limits: Limits = DEFAULT_LIMITS, *, any_file: bool = False
) -> Loaded | None:
    """Read ``source`` as a budget document; raises :class:`~.errors.BudgetDocError` when it
    is not one. ``any_file=True`` answers for any file instead: ``None`` when it holds no
    budget document.

    Fail closed: a file naming a budget root element as a tag anywhere (also nested in
    another root, or escaped inside a text) is a document, or raises an error saying why
    it cannot be read; only a file that does not name one, or names one only as a word
    (an XML schema, a text), is ``None``. A stream is read from its current position; for
    ``any_file`` it must be seekable.
    """
    with _opened(source) as stream:
        if any_file:
            start = stream.tell()
            if not _names_budget_element(stream, limits):
                return None
            stream.seek(start)
        data = _load(stream, limits)
    try:
        return Loaded(parse_bytes(data, limits), data)
    except errors.BudgetDocError as error:
        if not any_file:
            raise
        if next(_tags(data), None) is None:
            return None
        root = str(error.params.get("root", ""))
        if type(error) is errors.NotABudgetDocument and root.rsplit("}", 1)[-1] not in (
            BUDGET_ELEMENTS
        ):
            raise errors.NestedBudgetDocument(root=root) from None
        raise


def open_document(source: Source, limits: Limits = DEFAULT_LIMITS) -> BudgetDocument | None:
    """The budget document any file holds, or ``None`` (see :func:`load`)."""
    loaded = load(source, limits, any_file=True)
    return loaded.document if loaded is not None else None


# -- text: encodings and the prolog ----------------------------------------------------
def _units(data: bytes) -> tuple[str, str, bytes]:
    """The encoding family (for lxml), its codec and byte-order mark, by the BOM or by
    where the first characters' zero bytes stand (``<`` or whitespace, both ASCII)."""
    for bom, family, codec in _BOMS:
        if data.startswith(bom):
            return family, codec, bom
    head = data[:4]
    if len(head) == 4 and head[1:] == b"\0\0\0":
        return "UTF-32", "utf-32-le", b""
    if len(head) == 4 and head[:3] == b"\0\0\0":
        return "UTF-32", "utf-32-be", b""
    if head[1:2] == b"\0":
        return "UTF-16", "utf-16-le", b""
    if head[:1] == b"\0":
        return "UTF-16", "utf-16-be", b""
    return "", "utf-8", b""


def _space_pattern(codec: str) -> re.Pattern[bytes]:
    units = b"|".join(re.escape(c.encode(codec)) for c in " \t\r\n")
    return re.compile(b"(?:" + units + b")*")


_SPACES = {codec: _space_pattern(codec) for codec in _UNIT_CODECS}


def _prepared(data: bytes) -> tuple[bytes, str]:
    """The bytes lxml is given, and their encoding: a BOM-less UTF-16 or UTF-32 document
    gets its byte-order mark (lxml needs one before whitespace or without a declaration),
    whitespace before the XML
    declaration is dropped (lxml refuses it there; nothing else moves)."""
    family, codec, bom = _units(data)
    body = data[len(bom) :]
    skipped = _SPACES[codec].match(body).end()
    if skipped and body.startswith("<?xml".encode(codec), skipped):
        data = bom + body[skipped:]
    if family in ("UTF-16", "UTF-32") and not bom:
        data = next(mark for mark, _, name in _BOMS if name == codec) + data
    if family:
        return data, family
    match = _DECL.match(data[:200])
    declared = match.group(1).decode("ascii") if match else "UTF-8"
    if declared.lower() not in SUPPORTED_ENCODINGS:
        raise errors.UnsupportedEncoding(encoding=declared[:40])
    return data, declared.upper()


def _refuse_dtd(data: bytes, encoding: str) -> None:
    """A DTD is the door to entity expansion and external fetches: refuse it outright."""
    codec = SUPPORTED_ENCODINGS[encoding.lower()]
    variants = (f"{codec}-le", f"{codec}-be") if codec in ("utf-16", "utf-32") else (codec,)
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
    exc: etree.XMLSyntaxError, log: etree._ListErrorLog, encoding: str, limits: Limits
) -> errors.BudgetDocError:
    """The typed error for a parse that failed; ``log`` is the parser's own log (the
    exception's holds every earlier error of the thread too)."""
    last = log.last_error if log else None
    type_name = last.type_name if last is not None else "ERR"
    if "DEPTH" in type_name or "Excessive depth" in (exc.msg or ""):
        return errors.TooDeep(limit=min(limits.max_depth, LIBXML2_MAX_DEPTH))
    if any(word in type_name for word in ("ENCODING", "INVALID_CHAR", "CHARREF")):
        return errors.UnsupportedEncoding(encoding=encoding)
    if "ENTITY" in type_name:
        return errors.UnsafeContent(construct="entité / entity")
    first = xml_syntax.first_error(log)
    line, column = (first.line, first.column) if first is not None else (exc.lineno, 0)
    found = xml_syntax.syntax_reason(first)
    return errors.MalformedXML(line=line, column=column, reason=found.reason, hint=found.hint)


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
    data, encoding = _prepared(data)
    _refuse_dtd(data, encoding)
    parser = _parser()
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc, parser.error_log, encoding, limits) from None
    except ValueError as exc:  # lxml: unicode strings with declarations, bad input
        found = xml_syntax.syntax_reason(None)
        raise errors.MalformedXML(line=1, column=1, reason=found.reason, hint=found.hint) from exc
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
    loaded = load(source, limits)
    assert loaded is not None  # only ``any_file`` answers None
    return loaded.document
