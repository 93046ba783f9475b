"""Builders of hostile and broken inputs, shared by the reader tests and the fuzz tests.

Files are generated rather than committed: they are small recipes for large or dangerous
payloads (a committed gzip bomb would be a trap for anyone opening the repository).
"""

from __future__ import annotations

import gzip
import io

NS = "http://www.minefi.gouv.fr/cp/demat/docbudgetaire"

MINIMAL = f"""<?xml version="1.0" encoding="{{encoding}}"?>
<DocumentBudgetaire xmlns="{NS}">
  <VersionSchema V="95"/>
  <EnTeteDocBudgetaire><LibelleColl V="{{coll}}"/><IdColl V="21930048000015"/></EnTeteDocBudgetaire>
  <Budget>
    <EnTeteBudget><IdEtab V="21930048000015"/><Nomenclature V="M14-M14_COM_SUP3500"/></EnTeteBudget>
    <BlocBudget><NatDec V="09"/><Exer V="2018"/><CodTypBud V="P"/></BlocBudget>
    <LigneBudget><Nature V="6042"/><Fonction V="020"/><CodRD V="D"/><MtReal V="1234.56"/>
      <OpBudg V="0"/></LigneBudget>
  </Budget>
</DocumentBudgetaire>
"""


def minimal(encoding: str = "UTF-8", coll: str = "COMMUNE D'ÉTÉ") -> bytes:
    """A tiny valid-looking document, encoded as it declares."""
    codec = "utf-16" if encoding.upper() == "UTF-16" else encoding
    return MINIMAL.format(encoding=encoding, coll=coll).encode(codec)


def billion_laughs(levels: int = 10) -> bytes:
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, levels)
    ]
    return (
        '<?xml version="1.0"?><!DOCTYPE DocumentBudgetaire [' + "".join(entities) + "]>"
        f'<DocumentBudgetaire xmlns="{NS}"><VersionSchema V="&lol{levels - 1};"/>'
        "</DocumentBudgetaire>"
    ).encode()


def quadratic_blowup(size: int = 100_000, refs: int = 10_000) -> bytes:
    return (
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "' + "x" * size + '">]>'
        f'<DocumentBudgetaire xmlns="{NS}"><VersionSchema V="' + "&a;" * refs + '"/>'
        "</DocumentBudgetaire>"
    ).encode()


def external_entity(target: str = "file:///etc/passwd") -> bytes:
    return (
        f'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY xxe SYSTEM "{target}">]>'
        f'<DocumentBudgetaire xmlns="{NS}"><VersionSchema V="&xxe;"/></DocumentBudgetaire>'
    ).encode()


def external_dtd(target: str = "http://127.0.0.1:9/evil.dtd") -> bytes:
    return (
        f'<?xml version="1.0"?><!DOCTYPE DocumentBudgetaire SYSTEM "{target}">'
        f'<DocumentBudgetaire xmlns="{NS}"/>'
    ).encode()


def gzip_bomb(decompressed_mb: int = 300) -> bytes:
    """A few hundred KB of gzip that expand to ``decompressed_mb`` MB of zeros-like XML."""
    head = f'<?xml version="1.0"?><DocumentBudgetaire xmlns="{NS}"><BlocEditeur V="'.encode()
    chunk = b"A" * (1 << 20)
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9, mtime=0) as gz:
        gz.write(head)
        for _ in range(decompressed_mb):
            gz.write(chunk)
        gz.write(b'"/></DocumentBudgetaire>')
    return out.getvalue()


def deep_nesting(depth: int = 100_000) -> bytes:
    return (
        f'<?xml version="1.0"?><DocumentBudgetaire xmlns="{NS}">'.encode()
        + b"<a>" * depth
        + b"</a>" * depth
        + b"</DocumentBudgetaire>"
    )


def giant_attribute(mb: int = 20) -> bytes:
    return (
        f'<?xml version="1.0"?><DocumentBudgetaire xmlns="{NS}"><VersionSchema V="'.encode()
        + b"9" * (mb << 20)
        + b'"/></DocumentBudgetaire>'
    )
