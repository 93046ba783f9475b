"""Load the sample budget documents into a CKAN portal through its HTTP API.

It does what a data producer would do with an API token: create the authority's
organisation, one ``budget`` dataset per budget, then upload each document with a
multipart ``resource_create``. Everything that already exists is left alone, so running
it again adds nothing (``make demo`` runs it on every start).

Usage: python -m ckanext.budget.demo.loader --url URL --token-file FILE --samples DIR
"""

from __future__ import annotations

import argparse
import gzip
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ckanext.budget.docbudg.model import DocumentHeader, Stage
from ckanext.budget.docbudg.reader import read_document

Files = dict[str, tuple[str, bytes, str]]
Transport = Callable[[str, dict[str, Any], Files | None], Any]
"""Calls one API action: (action name, data, files to upload) -> the action's result."""


class ApiError(Exception):
    """An action answered ``success: false``."""

    def __init__(self, action: str, status: int, error: dict[str, Any]) -> None:
        super().__init__(f"{action} failed (HTTP {status}): {error}")
        self.status = status
        self.error = error

    @property
    def not_found(self) -> bool:
        return self.status == 404 or self.error.get("__type") == "Not Found Error"


@dataclass(frozen=True)
class Authority:
    name: str
    title: str


@dataclass(frozen=True)
class Budget:
    """One dataset: a budget of an authority, and which sample files belong to it."""

    name: str
    title: str
    authority: Authority
    pattern: str
    """Glob of its documents, relative to the samples folder."""


MONTREUIL = Authority("montreuil", "Montreuil")
CRACH = Authority("crach", "Crach")
SAINT_MALO = Authority("saint-malo-agglomeration", "Saint-Malo Agglomération")
MOHON = Authority("mohon", "Mohon")

CATALOGUE: tuple[Budget, ...] = (
    Budget(
        "montreuil-budget-principal",
        "Montreuil — budget principal",
        MONTREUIL,
        "montreuil/Montreuil_*.xml*",
    ),
    Budget(
        "crach-budget-principal",
        "Crach — budget principal",
        CRACH,
        "crach/Crach_principal_*.xml*",
    ),
    Budget(
        "crach-lotissement-le-boceno",
        "Crach — budget annexe lotissement Le Bocéno",
        CRACH,
        "crach/Crach_lotissement_*.xml*",
    ),
    Budget(
        "saint-malo-agglomeration-transport",
        "Saint-Malo Agglomération — budget annexe transport et mobilité",
        SAINT_MALO,
        "saint-malo/SaintMaloAgglo_transport_*.xml*",
    ),
    Budget("mohon-budget-principal", "Mohon — budget principal", MOHON, "mohon/Mohon_*.xml*"),
)


@dataclass
class Report:
    """What one run created; all empty on a second run."""

    organizations: list[str] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Document:
    path: Path
    header: DocumentHeader

    @property
    def resource_name(self) -> str:
        """``CA 2021``, ``DM2 2021``: stage, decision number, year."""
        stage = self.header.stage
        label = stage.name if stage else "Document"
        if stage is Stage.DM and self.header.num_dec:
            label += self.header.num_dec
        return f"{label} {self.header.exer}" if self.header.exer else label

    @property
    def upload_name(self) -> str:
        """The XML file name a producer would have (samples are stored gzipped)."""
        return self.path.name.removesuffix(".gz")

    def xml_bytes(self) -> bytes:
        data = self.path.read_bytes()
        return gzip.decompress(data) if self.path.suffix == ".gz" else data


def documents(samples: Path, budget: Budget) -> list[Document]:
    paths = sorted(samples.glob(budget.pattern))
    return [Document(path, read_document(path).header) for path in paths]


def _show(api: Transport, action: str, name: str) -> dict[str, Any] | None:
    try:
        return api(action, {"id": name}, None)
    except ApiError as exc:
        if exc.not_found:
            return None
        raise


def ensure_organization(api: Transport, authority: Authority, report: Report) -> None:
    if _show(api, "organization_show", authority.name) is None:
        api("organization_create", {"name": authority.name, "title": authority.title}, None)
        report.organizations.append(authority.name)


def ensure_dataset(
    api: Transport, budget: Budget, docs: list[Document], report: Report
) -> dict[str, Any]:
    dataset = _show(api, "package_show", budget.name)
    if dataset is not None:
        return dataset
    header = docs[0].header
    dataset = api(
        "package_create",
        {
            "type": "budget",
            "name": budget.name,
            "title": budget.title,
            "owner_org": budget.authority.name,
            "notes": f"Documents budgétaires de {header.libelle_coll} ({header.libelle_etab}).",
            # The authority, SIRET, budget and nomenclature are left for the portal to
            # fill from the first uploaded document.
            "tag_string": "budget",
        },
        None,
    )
    report.datasets.append(budget.name)
    return dataset


def ensure_resources(
    api: Transport, dataset: dict[str, Any], docs: Iterable[Document], report: Report
) -> None:
    existing = {resource["name"] for resource in dataset.get("resources", [])}
    for doc in docs:
        if doc.resource_name in existing:
            continue
        api(
            "resource_create",
            {"package_id": dataset["id"], "name": doc.resource_name, "format": "XML"},
            {"upload": (doc.upload_name, doc.xml_bytes(), "application/xml")},
        )
        existing.add(doc.resource_name)
        report.resources.append(f"{dataset['name']}/{doc.resource_name}")


def load(api: Transport, samples: Path, catalogue: Iterable[Budget] = CATALOGUE) -> Report:
    """Create what is missing of ``catalogue`` on the portal behind ``api``."""
    report = Report()
    for budget in catalogue:
        docs = documents(samples, budget)
        if not docs:
            raise FileNotFoundError(f"no document matches {samples / budget.pattern}")
        ensure_organization(api, budget.authority, report)
        dataset = ensure_dataset(api, budget, docs, report)
        ensure_resources(api, dataset, docs, report)
    return report


def http_transport(base_url: str, token: str, timeout: float = 300) -> Transport:
    """A transport over CKAN's HTTP API, authenticated with an API token."""
    import requests  # CKAN's own dependency: present wherever the portal runs

    session = requests.Session()
    session.headers["Authorization"] = token

    def call(action: str, data: dict[str, Any], files: Files | None) -> Any:
        url = f"{base_url.rstrip('/')}/api/3/action/{action}"
        if files:
            response = session.post(url, data=data, files=files, timeout=timeout)
        else:
            response = session.post(url, json=data, timeout=timeout)
        try:
            body = response.json()
        except ValueError:
            body = {"success": False, "error": {"message": response.text[:500]}}
        if not body.get("success"):
            raise ApiError(action, response.status_code, body.get("error") or {})
        return body["result"]

    return call


def token_works(api: Transport, user: str) -> bool:
    """Whether the token still belongs to ``user`` (a re-created database voids it)."""
    try:
        api("api_token_list", {"user_id": user}, None)
    except ApiError as exc:
        if exc.status in (401, 403) or exc.not_found:
            return False
        raise
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="portal root, e.g. http://127.0.0.1:5000")
    parser.add_argument("--token-file", required=True, type=Path)
    parser.add_argument("--samples", type=Path, help="folder of the sample documents")
    parser.add_argument(
        "--check-token", metavar="USER", help="only check the token belongs to USER"
    )
    args = parser.parse_args(argv)
    api = http_transport(args.url, args.token_file.read_text().strip())
    if args.check_token:
        return 0 if token_works(api, args.check_token) else 1
    if args.samples is None:
        parser.error("--samples is required")
    report = load(api, args.samples)
    print(
        f"Created {len(report.organizations)} organisations, {len(report.datasets)} datasets, "
        f"{len(report.resources)} resources (existing ones kept)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
