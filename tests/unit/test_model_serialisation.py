"""The anonymised document is serialised as the original was encoded and declared."""

from __future__ import annotations

import pytest
from lxml import etree

from ckanext.budget.docbudg.model import NS
from ckanext.budget.docbudg.reader import read_document


@pytest.mark.parametrize("encoding", ["UTF-8", "ISO-8859-1", "windows-1252", "UTF-16"])
def test_serialisation_keeps_the_documents_encoding_and_its_spelling(encoding: str) -> None:
    xml = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n<!-- synthetic -->\n'
        f"<DocumentBudgetaire xmlns='{NS}'><VersionSchema V='95'/><Budget><EnTeteBudget>"
        "<LibelleEtab V='École Élodie'/></EnTeteBudget></Budget></DocumentBudgetaire>"
    )
    doc = read_document(xml.encode(encoding))
    data = doc.to_bytes()
    # The root element only: the comment before it is not part of the document.
    assert data == etree.tostring(doc.root, xml_declaration=True, encoding=encoding)
    text = data.decode(encoding)
    assert "synthetic" not in text
    assert text.startswith(f"<?xml version='1.0' encoding='{encoding}'?>")
    assert "École Élodie" in text
