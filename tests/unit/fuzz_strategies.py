"""Hypothesis strategies that break real budget documents in the ways uploads break.

Mutations work on the element tree of a real sample (delete, duplicate or swap elements,
put random text — XML metacharacters, non-ASCII, control characters — in ``V``
attributes), then serialise back in the document's own encoding, so the reader sees
plausible, nearly-valid files rather than noise. :func:`personal_documents` plants
synthetic names in the beneficiary fields that anonymisation must blank (a
``CodNatJurBenefCA`` of P3, or none) and returns them, so a test can grep every output.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st
from lxml import etree

from tests.fixtures.privacy import PLANTED_PERSON_NAMES, make_document_with_personal_data

SAMPLES = Path(__file__).parent.parent / "fixtures" / "samples"
SAMPLE_FILES = (
    SAMPLES / "crach" / "Crach_lotissement_BP_2022.xml",
    SAMPLES / "crach" / "Crach_lotissement_CA_2021.xml",
    SAMPLES / "montreuil" / "Montreuil_CA_2016.xml.gz",
)
# Tags whose value decides whether a beneficiary is a natural person: a mutation that set
# it to P1 would legitimately make the planted name public, so the privacy property
# leaves them alone (deleting one keeps the name sensitive: "no code" is blanked too).
PROTECTED_TAGS = frozenset({"CodNatJurBenefCA"})

FIRST_NAMES = ("Gérald", "Hélène", "Maëlle", "Noël", "Zoé", "Loïc", "Agnès", "Jérôme")


def sample_bytes(path: Path) -> bytes:
    raw = path.read_bytes()
    return gzip.decompress(raw) if path.suffix == ".gz" else raw


# Random values: XML metacharacters, accents, and the characters lxml refuses in XML 1.0
# (the serialiser must either escape them or the pipeline must reject them, never crash).
attribute_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["", " ", "<", "&", '"', "'", "]]>", "&amp;", "1e999", "NaN", "-0", "1,5", "9" * 40]
    ),
    st.text(alphabet="0123456789.-+eE ", max_size=30),
)

# "ZQ…" surnames cannot collide with words the anonymiser keeps (ASSOCIATION, COMMUNE...).
generated_names = st.builds(
    lambda surname, first: f"ZQ{surname} {first}",
    st.text(alphabet="ABCDEFGHIJKLMNOPRSTUVWY", min_size=4, max_size=10),
    st.sampled_from(FIRST_NAMES),
)
person_names = st.one_of(st.sampled_from(PLANTED_PERSON_NAMES), generated_names)


@dataclass(frozen=True)
class Mutation:
    kind: str  # delete | duplicate | swap | set_value
    index: int
    value: str = ""

    def __repr__(self) -> str:  # short, for hypothesis' falsifying example
        return f"{self.kind}@{self.index}" + (f"={self.value!r}" if self.value else "")


mutations = st.lists(
    st.builds(
        Mutation,
        kind=st.sampled_from(["delete", "duplicate", "swap", "set_value"]),
        index=st.integers(min_value=0, max_value=10**6),
        value=attribute_text,
    ),
    max_size=6,
)


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def apply_mutations(
    data: bytes, changes: list[Mutation], protected: frozenset[str] = frozenset()
) -> bytes:
    """``data`` with each change applied to the ``index % n``-th element; unparseable
    values (control characters) are skipped the way an editor would refuse them."""
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, huge_tree=True))
    encoding = root.getroottree().docinfo.encoding or "UTF-8"
    for change in changes:
        elements = [e for e in root.iter() if isinstance(e.tag, str) and e is not root]
        elements = [e for e in elements if _local(e) not in protected or change.kind == "delete"]
        if not elements:
            break
        target = elements[change.index % len(elements)]
        parent = target.getparent()
        if change.kind == "delete":
            parent.remove(target)
        elif change.kind == "duplicate":
            target.addnext(etree.fromstring(etree.tostring(target)))
        elif change.kind == "swap":
            sibling = target.getnext()
            if sibling is not None:
                parent.remove(sibling)
                target.addprevious(sibling)
        else:
            try:
                target.set("V", change.value)
            except ValueError:
                continue
    return etree.tostring(root, xml_declaration=True, encoding=encoding)


@st.composite
def mutated_samples(draw: st.DrawFn) -> bytes:
    """A real sample with a few structural and value mutations."""
    path = draw(st.sampled_from(SAMPLE_FILES))
    return apply_mutations(sample_bytes(path), draw(mutations))


@dataclass(frozen=True)
class PersonalDocument:
    data: bytes
    names: tuple[str, ...]
    """The names planted where anonymisation must blank them."""


@st.composite
def personal_documents(draw: st.DrawFn) -> PersonalDocument:
    """The privacy fixture with drawn names as P3 and no-code beneficiaries, mutated."""
    p3, nocode = draw(person_names), draw(person_names)
    data = make_document_with_personal_data(
        draw(st.sampled_from(["ISO-8859-1", "UTF-8"])),
        cfu=draw(st.booleans()),
        names={"concours_p3": p3, "concours_nocode": nocode},
    )
    data = apply_mutations(data, draw(mutations), protected=PROTECTED_TAGS)
    return PersonalDocument(data, (p3, nocode))


random_bytes = st.one_of(
    st.binary(max_size=2000),
    st.binary(max_size=500).map(lambda b: b'<?xml version="1.0"?>' + b),
    st.binary(max_size=500).map(gzip.compress),
)
