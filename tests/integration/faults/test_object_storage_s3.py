"""A portal whose resources live in S3-compatible object storage, as a portal running on
several machines is set up: two web servers and a ``ckan jobs worker`` sharing the
database, Redis and a bucket of a private moto server (``s3_portal``), the files kept by
ckanext-s3filestore (listed after ``budget``) or, on CKAN 2.12, by CKAN's own file storages.

- A document above ``async_threshold_mb``, uploaded on web server 1, is stored anonymised
  in the bucket (never as it was sent, never on a local disk) and processed by the
  worker, which reads the object back through the portal's uploader; web server 2 shows
  its page, its derived files and, to visitors, its download (the stored object).
- A small document uploaded on web server 2 is processed in the request; web server 1
  serves it.
- The file of a private dataset is downloaded by its editors, not by visitors.
- An object still holding values the policy occults (stored before the policy did), run
  again, is replaced by the worker through the portal's uploader: the bucket no longer
  holds them, and the document's results describe the new object.
"""

from __future__ import annotations

import gzip
import hashlib
from typing import Any

import requests

from ckanext.budget.docbudg import pipeline

from ...fixtures.privacy import PLANTED, make_document_with_personal_data
from ..budget_uploads import SAMPLES, sample_bytes
from ..test_upload_privacy import leaks
from .conftest import S3_BUCKET, ObjectStoragePortal, Portal
from .services import wait_until

PERSON = PLANTED["concours_p3"]
LARGE = sample_bytes("montreuil/Montreuil_CA_2017.xml.gz").replace(  # 3 MB: above 1 MB
    b"</DATA_CONCOURS>",
    f'<CONCOURS><CodNatJurBenefCA V="P3"/><LibOrgaBenef V="{PERSON}"/><MtSubv V="150.00"/>'
    "</CONCOURS></DATA_CONCOURS>".encode(),
)
SMALL = make_document_with_personal_data("UTF-8")
CLEAN = (SAMPLES / "crach" / "Crach_lotissement_BP_2022.xml").read_bytes()
ORGANISATION = "s3"


def budget_dataset(portal: Portal, name: str, private: bool = False) -> dict[str, Any]:
    if portal.post("organization_show", id=ORGANISATION).status_code != 200:
        portal.result("organization_create", name=ORGANISATION)
    return portal.result(
        "package_create", name=name, type="budget", owner_org=ORGANISATION, private=private
    )


def upload(portal: Portal, dataset: dict[str, Any], data: bytes, filename: str) -> dict[str, Any]:
    response = portal.upload("resource_create", data, filename, package_id=dataset["id"])
    assert response.status_code == 200, response.text
    return response.json()["result"]


def document(portal: Portal, resource_id: str) -> dict[str, Any]:
    return portal.result("budget_document_show", id=resource_id)


def processed(portal: Portal, resource_id: str, what: str) -> dict[str, Any]:
    """The document once its processing has ended (done or failed)."""

    def ended() -> dict[str, Any] | None:
        shown = document(portal, resource_id)
        return shown if shown["status"] in ("done", "failed") else None

    return wait_until(ended, 45, what)


def keys_of(portal: ObjectStoragePortal, resource_id: str) -> list[str]:
    """The keys of the resource's objects (``…/<id>/<name>``, or ``…/<id>`` cut in three
    as CKAN's storages put it)."""
    return [key for key in portal.bucket() if resource_id in key.replace("/", "")]


def stored_object(portal: ObjectStoragePortal, resource_id: str) -> bytes:
    """The resource's object in the bucket, the only one under its id."""
    objects = {key: portal.bucket()[key] for key in keys_of(portal, resource_id)}
    assert len(objects) == 1, sorted(objects)
    return next(iter(objects.values()))


def only_anonymised_objects(portal: ObjectStoragePortal, *originals: bytes) -> None:
    """The bucket holds no original upload, only documents the policy leaves as they are,
    and no synthetic name appears anywhere (bucket, logs, database, Redis, responses)."""
    for key, data in portal.bucket().items():
        assert data not in originals, key
        assert not pipeline.process(data, complete=False).anonymisation.changed, key
    assert portal.personal_data_found() == {}
    for web in portal.web:
        assert not web.resource_files()  # nothing written on a local disk


def visit(portal: Portal, path: str, token: str = "") -> requests.Response:
    """``path`` (or a URL of the portal) as an anonymous visitor sees it, or the owner of
    ``token`` (sent to the portal only, not where it redirects)."""
    url = path.replace("http://test.ckan.net", "")
    session = requests.Session()
    response = session.get(
        f"{portal.server.url}{url}",
        headers={"Authorization": token} if token else {},
        allow_redirects=False,
        timeout=30,
    )
    if response.is_redirect:
        return session.get(response.headers["Location"], timeout=30)
    return response


def test_a_document_uploaded_on_one_server_is_processed_by_the_worker_and_served_by_the_other(
    s3_portal: ObjectStoragePortal,
) -> None:
    first, second = s3_portal.web
    dataset = budget_dataset(first, "s3-worker")
    resource = upload(first, dataset, gzip.compress(LARGE, 1), "Montreuil_CA_2017.xml.gz")

    shown = processed(second, resource["id"], "the worker processing the document")
    assert shown["status"] == "done", shown["status_reason"]
    assert f"starts job budget-{resource['id']}-" in s3_portal.worker_log.read_text()
    stored = stored_object(s3_portal, resource["id"])
    assert hashlib.sha256(stored).hexdigest() == shown["content_sha256"]
    assert shown["anonymisation"]["natural_persons"] == 1

    page = visit(second, f"/budget/{dataset['name']}/resource/{resource['id']}")
    assert page.status_code == 200
    assert 'data-budget-status="' in page.text and shown["collectivite"] in page.text
    assert shown["exports"]
    files = f"/dataset/{dataset['name']}/resource/{resource['id']}/budget/files"
    for name in shown["exports"]:
        derived = visit(second, f"{files}/{name}")
        assert derived.status_code == 200, name
        assert derived.content and not leaks(derived.content), name
    download = visit(second, second.result("resource_show", id=resource["id"])["url"])
    assert download.status_code == 200 and download.content == stored

    only_anonymised_objects(s3_portal, LARGE)


def test_a_small_document_is_processed_in_the_request_and_served_by_the_other_server(
    s3_portal: ObjectStoragePortal,
) -> None:
    first, second = s3_portal.web
    dataset = budget_dataset(second, "s3-request")
    resource = upload(second, dataset, SMALL, "petit.xml")

    shown = document(first, resource["id"])
    assert shown["status"] == "done", shown["status_reason"]
    assert f"job budget-{resource['id']}-" not in s3_portal.worker_log.read_text()
    stored = stored_object(s3_portal, resource["id"])
    assert hashlib.sha256(stored).hexdigest() == shown["content_sha256"]
    assert shown["anonymisation"]["total_occulted"] > 0
    download = visit(first, first.result("resource_show", id=resource["id"])["url"])
    assert download.status_code == 200 and download.content == stored

    only_anonymised_objects(s3_portal, SMALL)


def test_the_file_of_a_private_dataset_is_downloaded_by_its_editors_only(
    s3_portal: ObjectStoragePortal,
) -> None:
    first, second = s3_portal.web
    dataset = budget_dataset(first, "s3-private", private=True)
    resource = upload(first, dataset, CLEAN, "prive.xml")
    url = second.result("resource_show", id=resource["id"])["url"]

    assert visit(second, url).status_code == 404  # hidden, as the extension's pages
    download = visit(second, url, token=second.token)
    assert download.status_code == 200
    assert download.content == stored_object(s3_portal, resource["id"])


def test_an_object_holding_values_the_policy_occults_is_replaced_through_the_uploader(
    s3_portal: ObjectStoragePortal,
) -> None:
    first, second = s3_portal.web
    dataset = budget_dataset(first, "s3-replaced")
    resource = upload(first, dataset, CLEAN, "Crach_lotissement_BP_2022.xml")
    (key,) = keys_of(s3_portal, resource["id"])
    # As an object stored before the policy occulted these values would be.
    s3_portal.s3.client().put_object(Bucket=S3_BUCKET, Key=key, Body=SMALL)
    assert leaks(stored_object(s3_portal, resource["id"]))

    assert second.result("budget_reprocess", id=resource["id"])
    wait_until(
        lambda: not leaks(stored_object(s3_portal, resource["id"])), 45, "the object replaced"
    )
    shown = processed(second, resource["id"], "the replaced object processed")
    assert shown["status"] == "done", shown["status_reason"]
    stored = stored_object(s3_portal, resource["id"])
    assert hashlib.sha256(stored).hexdigest() == shown["content_sha256"]
    download = visit(first, first.result("resource_show", id=resource["id"])["url"])
    assert download.content == stored

    only_anonymised_objects(s3_portal, SMALL)
