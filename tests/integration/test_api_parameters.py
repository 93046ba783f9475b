"""The API actions' parameters go through navl schemas (``documents/schema.py``,
``rulesets/schema.py``): converted, bounded, every problem reported at once with CKAN's
standard messages, in the reader's language."""

from __future__ import annotations

import io
from typing import Any

import pytest
from ckan.plugins import toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

from .budget_uploads import file_storage, sample_bytes, upload_resource

pytestmark = pytest.mark.usefixtures("clean_db", "clean_queues")


@pytest.fixture
def resource() -> dict[str, Any]:
    dataset = factories.Dataset(type="budget", owner_org=factories.Organization()["id"])
    return upload_resource(
        dataset["id"], sample_bytes("crach/Crach_principal_CA_2021.xml"), "ca.xml"
    )


def errors(action: str, **data_dict: Any) -> dict[str, Any]:
    with pytest.raises(tk.ValidationError) as info:
        call_action(action, **data_dict)
    return info.value.error_dict


def test_lines_parameters_are_converted_bounded_and_checked_together(
    resource: dict[str, Any],
) -> None:
    lines = dict(id=resource["id"])
    total = call_action("budget_lines", **lines, limit=0)["total"]
    page = call_action("budget_lines", **lines, limit="100000", offset="  ")
    assert (page["limit"], page["offset"], len(page["lines"])) == (5000, 0, min(total, 5000))
    assert call_action("budget_lines", resource_id=resource["id"], limit=" 3 ")["limit"] == 3
    # Aliases and both list forms give the same lines.
    receipts = call_action("budget_lines", **lines, cod_rd="R")["total"]
    assert call_action("budget_lines", **lines, CodRD=["R"])["total"] == receipts
    assert call_action("budget_lines", **lines, cod_rd=" R , D ")["total"] == total
    real = call_action("budget_lines", **lines, movement="reel")["total"]
    assert call_action("budget_lines", **lines, mouvement="Réel")["total"] == real
    assert 0 < real < total
    assert errors(
        "budget_lines", **lines, limit=-1, offset="x", movement="sideways", format="xml"
    ) == {
        "limit": ["Must be a natural number"],
        "offset": ["Invalid integer"],
        "movement": ["Value must be one of: reel, ordre"],
        "format": ["Value must be one of: json, csv"],
    }
    assert errors("budget_lines", limit=1) == {"id": ["Missing value"]}


def test_errors_over_http_in_the_readers_language(app: Any, resource: dict[str, Any]) -> None:
    query = {"id": resource["id"], "limit": "-1", "movement": "sideways", "lang": "de"}
    french = app.get("/fr/api/3/action/budget_lines", query_string=query, status=409)
    assert french.json["error"]["limit"] == ["Ce doit être un nombre naturel"]
    assert french.json["error"]["movement"] == [
        "La valeur doit être l'une des suivantes : reel, ordre"
    ]
    english = app.get("/api/3/action/budget_validation_show", query_string=query, status=409)
    assert english.json["error"]["lang"] == ["Value must be one of: fr, en"]


def test_dry_run_names_the_document_in_the_language_asked(app: Any) -> None:
    user = factories.UserWithToken()
    factories.Organization(users=[{"name": user["name"], "capacity": "editor"}])

    def name(lang: str, prefix: str = "") -> str:
        document = (io.BytesIO(sample_bytes("crach/Crach_principal_CA_2021.xml")), "ca.xml")
        response = app.post(
            f"{prefix}/api/3/action/budget_validate",
            data={"upload": document, "lang": lang},
            headers={"Authorization": user["token"]},
        )
        return response.json["result"]["name"]

    assert name("fr") == "Compte administratif 2021 — Budget principal"
    assert name("en", "/fr") == "Administrative account 2021 — Main budget"


def test_dry_run_refuses_text_in_place_of_a_file() -> None:
    assert errors("budget_validate", upload="<DocumentBudgetaire/>") == {
        "upload": ["Send the document as a file (multipart/form-data upload)."]
    }
    assert errors("budget_validate", upload=file_storage(b"", "")) == {"upload": ["Missing value"]}


def test_reprocess_takes_a_boolean_as_text_a_number_or_a_bool(resource: dict[str, Any]) -> None:
    for now in ("false", 0, False):
        done = call_action("budget_reprocess", id=resource["id"], background=now)
        assert [d["job_id"] for d in done["documents"]] == [None], now
    assert errors("budget_reprocess", background="false") == {"id": ["Missing value"]}


def test_rule_set_parameters() -> None:
    org = factories.Organization()
    assert errors(
        "budget_ruleset_create",
        organization=org["name"],
        format="csv",
        columns="{not json",
        exer="next year",
    ) == {
        "format": ["Value must be one of: native, gironde, mapping"],
        "columns": ["Give a JSON object or the form sens=Sens,nature=Nature"],
        "exer": ["Invalid integer"],
    }
    assert errors("budget_ruleset_create", rules={"trees": []}) == {
        "organization": ["Missing value"]
    }
    assert errors("budget_ruleset_create", organization=org["name"], upload={"a": 1}) == {
        "upload": ["Send a file (multipart/form-data upload) or its content as text."]
    }
    assert errors("budget_ruleset_show", id="any", version="two") == {
        "version": ["Invalid integer"]
    }
    assert errors("budget_ruleset_restore", id="any", version="  ") == {
        "version": ["Missing value"]
    }
    assert errors("budget_ruleset_history") == {"id": ["Missing value"]}
    assert errors("budget_ruleset_list", organization="") == {"organization": ["Missing value"]}
    assert errors("budget_aggregate", format="xml", lines="yes") == {
        "id": ["Missing value"],
        "format": ["Value must be one of: json, csv"],
    }
