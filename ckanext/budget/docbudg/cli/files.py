"""Writing the command's outputs: atomically, so a half-written file never looks done."""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

XML_SUFFIXES = (".xml.gz", ".xml")


def write_output(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary sibling; ``-`` is standard output."""
    if str(path) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.part")
    try:
        tmp.write_bytes(data)
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)


def xml_payload(path: str | Path, data: bytes) -> bytes:
    """Gzip the XML when the destination name asks for it (``.gz``)."""
    return gzip.compress(data, mtime=0) if str(path).endswith(".gz") else data


def document_stem(name: str) -> str | None:
    """``Montreuil_CA_2021`` from ``Montreuil_CA_2021.xml.gz``; None if not a document."""
    lower = name.lower()
    for suffix in XML_SUFFIXES:
        if lower.endswith(suffix):
            return name[: -len(suffix)]
    return None
