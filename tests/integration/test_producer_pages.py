"""What a data producer meets on the portal: the resource page that reloads itself while
its document is processed (no JavaScript), dates in the reader's language, and the
« Publier mon budget » guide with this portal's own limits and rules."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from ckan import model
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.budget.documents import jobs
from ckanext.budget.documents import model as db

from .budget_uploads import sample_bytes, upload_resource

pytestmark = pytest.mark.usefixtures("clean_db", "clean_queues")

SMALL = "crach/Crach_principal_DM2_2021.xml"
LARGE = "montreuil/Montreuil_CA_2018.xml.gz"  # 3.5 MB of XML: above a 1 MB threshold
REFRESH = re.compile(r'<meta http-equiv="refresh" content="(\d+)">')
MONTHS_FR = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]
MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
RULES = Path(__file__).parent.parent / "fixtures" / "rules"


@pytest.fixture
def dataset() -> dict[str, Any]:
    return factories.Dataset(type="budget", owner_org=factories.Organization()["id"])


def page(app: Any, url: str, **kwargs: Any) -> str:
    response = app.get(url, **kwargs)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def resource_url(dataset: dict[str, Any], resource: dict[str, Any], lang: str = "") -> str:
    prefix = f"/{lang}" if lang else ""
    return f"{prefix}/dataset/{dataset['name']}/resource/{resource['id']}"


@pytest.mark.ckan_config("ckanext.budget.async_threshold_mb", "1")
def test_a_pending_document_page_reloads_itself_until_it_is_done(
    app: Any, dataset: dict[str, Any]
) -> None:
    resource = upload_resource(dataset["id"], sample_bytes(LARGE), "ca2018.xml")
    assert db.get_document(resource["id"]).status == db.STATUS_PENDING

    html = page(app, resource_url(dataset, resource))
    refresh = REFRESH.search(html)
    assert refresh and 1 <= int(refresh.group(1)) <= 30
    assert refresh.start() < html.index("</head>")
    assert "This page updates itself every few seconds" in html

    jobs.process_resource_job(resource["id"])
    model.Session.expire_all()
    assert db.get_document(resource["id"]).status == db.STATUS_DONE
    html = page(app, resource_url(dataset, resource))
    assert not REFRESH.search(html)
    assert "Read the validation report" in html


def test_a_processed_or_plain_resource_page_does_not_reload(
    app: Any, dataset: dict[str, Any]
) -> None:
    done = upload_resource(dataset["id"], sample_bytes(SMALL), "dm2.xml")
    other = factories.Dataset(owner_org=dataset["owner_org"])
    plain = upload_resource(other["id"], b"a;b\n1;2\n", "table.csv")
    assert not REFRESH.search(page(app, resource_url(dataset, done)))
    assert not REFRESH.search(page(app, resource_url(other, plain)))


def test_the_processed_date_is_written_in_the_readers_language(
    app: Any, dataset: dict[str, Any]
) -> None:
    resource = upload_resource(dataset["id"], sample_bytes(SMALL), "dm2.xml")
    when = db.get_document(resource["id"]).processed
    french = page(app, resource_url(dataset, resource, "fr"))
    english = page(app, resource_url(dataset, resource, "en"))
    assert f"Traité le {when.day} {MONTHS_FR[when.month - 1]} {when.year}, " in french
    assert f"Processed on {when.day} {MONTHS_EN[when.month - 1]} {when.year}, " in english


def test_the_rules_history_dates_read_day_month_year(app: Any) -> None:
    editor = factories.UserWithToken()
    org = factories.Organization(
        name="montreuil", users=[{"name": editor["name"], "capacity": "editor"}]
    )
    call_action(
        "budget_ruleset_create",
        organization=org["name"],
        rules=(RULES / "montreuil.yaml").read_text(encoding="utf-8"),
    )
    created = call_action("budget_ruleset_history", organization=org["name"])[0]["created"]
    day, month, year = int(created[8:10]), int(created[5:7]), created[:4]
    auth = {"headers": {"Authorization": editor["token"]}}
    for lang, months in (("fr", MONTHS_FR), ("en", MONTHS_EN)):
        html = page(app, f"/{lang}/organization/montreuil/budget-rules/history", **auth)
        assert f"{day} {months[month - 1]} {year}, " in html, lang
        assert f"{months[month - 1]} {day}, {year}" not in html, lang


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "fr",
            (
                "Publier mon budget",
                "Jusqu’à 50 Mo par document une fois décompressé, et 200 Mo par fichier",
                "publié avec son rapport et un badge rouge « Erreurs »",
                "remplacées par « Occultation Article L311-7 CRPA »",
                "Exporter le document de votre logiciel financier",
                "Lire le bilan de l’anonymisation",
            ),
        ),
        (
            "en",
            (
                "Publish my budget",
                "Up to 50 MB per document once decompressed, and 200 MB per uploaded file",
                "published with its report and a red « Errors » badge",
                "Export the document from your finance software",
            ),
        ),
    ],
)
@pytest.mark.ckan_config("ckanext.budget.max_upload_mb", "50")
def test_the_guide_says_this_portals_limits(app: Any, lang: str, words: tuple[str]) -> None:
    html = page(app, f"/{lang}/budget-publish")
    for sentence in words:
        assert sentence in html, sentence
    assert "is refused" not in html and "est refusé" not in html


@pytest.mark.ckan_config("ckanext.budget.on_invalid", "reject")
@pytest.mark.ckan_config("ckanext.budget.anonymisation.strict", "true")
def test_the_guide_says_invalid_documents_are_refused_here(app: Any) -> None:
    html = page(app, "/fr/budget-publish")
    assert "comporte des erreurs de validation est refusé" in html
    assert "badge rouge" not in html
    assert "associations comprises" in html


def test_the_guide_is_linked_from_the_site_and_the_new_resource_form(
    app: Any, dataset: dict[str, Any]
) -> None:
    guide = 'href="/fr/budget-publish"'
    assert guide in page(app, "/fr/")  # the footer, for everyone
    sysadmin = factories.SysadminWithToken()
    form = page(
        app,
        f"/fr/dataset/{dataset['name']}/resource/new",
        headers={"Authorization": sysadmin["token"]},
    )
    assert guide in form and "Les étapes, et ce que ce portail accepte" in form
