"""Aggregation rule sets through the API: versions with history and restore, documents
aggregated with the version that applies, Montreuil's published figures, the Gironde
import, and who may read and write."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import rq
import yaml
from ckan.lib import jobs
from ckan.plugins import toolkit as tk
from ckan.tests import factories
from ckan.tests.helpers import call_action

from ckanext.budget import settings
from ckanext.budget.docbudg import reader
from ckanext.budget.documents import model as db
from ckanext.budget.documents import storage
from ckanext.budget.rulesets import jobs as ruleset_jobs
from ckanext.budget.rulesets import service

from .budget_uploads import file_storage, sample_bytes, upload_resource

pytestmark = pytest.mark.usefixtures("clean_db")

RULES = Path(__file__).parent.parent / "fixtures" / "rules"
MONTREUIL_TOTALS = {
    "DF": Decimal("191602651.45"),
    "DI": Decimal("60181357.57"),
    "RF": Decimal("210345758.09"),
    "RI": Decimal("43108809.73"),
}


def montreuil_rules() -> dict[str, Any]:
    return yaml.safe_load((RULES / "montreuil.yaml").read_text(encoding="utf-8"))


def node(result: dict[str, Any], tree: str, node_id: str) -> dict[str, Any]:
    stack = list(next(t for t in result["arbres"] if t["id"] == tree)["categories"])
    while stack:
        item = stack.pop()
        if item["id"] == node_id:
            return item
        stack.extend(item.get("enfants") or [])
    raise KeyError(node_id)


@pytest.fixture
def montreuil() -> dict[str, Any]:
    """Montreuil's organisation, an editor, and its 2018 compte administratif uploaded."""
    editor = factories.User(name="finances-montreuil")
    org = factories.Organization(
        name="montreuil", users=[{"name": editor["name"], "capacity": "editor"}]
    )
    dataset = factories.Dataset(owner_org=org["id"])
    resource = upload_resource(
        dataset["id"], sample_bytes("montreuil/Montreuil_CA_2018.xml.gz"), "ca2018.xml.gz"
    )
    return {"org": org, "editor": editor, "dataset": dataset, "resource": resource}


def as_user(user: dict[str, Any] | None) -> dict[str, Any]:
    return {"user": user["name"] if user else "", "ignore_auth": False}


def test_montreuil_figures_through_the_portal(montreuil: dict[str, Any]) -> None:
    created = call_action(
        "budget_ruleset_create",
        as_user(montreuil["editor"]),
        organization="montreuil",
        rules=(RULES / "montreuil.yaml").read_text(encoding="utf-8"),
    )
    assert created["version"] == 1
    assert created["author"] == "finances-montreuil"
    out = call_action("budget_aggregate", id=montreuil["resource"]["id"])
    totals = {key: Decimal(node(out["result"], "rdfi", key)["montant"]) for key in MONTREUIL_TOTALS}
    assert totals == MONTREUIL_TOTALS
    assert out["ok"] is True
    assert out["ruleset"] == {"id": created["id"], "version": 1, "name": created["label"]}
    assert len(out["content_sha256"]) == 64

    csv_out = call_action(
        "budget_aggregate", id=montreuil["resource"]["id"], format="csv", tree="rdfi"
    )
    rows = {line.split(",")[1]: line.split(",")[6] for line in csv_out["csv"].splitlines()[1:]}
    assert Decimal(rows["DF"]) == MONTREUIL_TOTALS["DF"]


def test_documents_without_rules_use_the_default_trees(montreuil: dict[str, Any]) -> None:
    stored = service.stored(montreuil["resource"]["id"])
    assert stored is not None and stored.ruleset_id is None
    assert {t.id for t in service.result(stored).trees} == {"fonction", "chapitre"}
    out = call_action("budget_aggregate", package_id=montreuil["dataset"]["id"], tree="chapitre")
    (document,) = out["documents"]
    assert document["ruleset"]["version"] is None
    tree = document["result"]["arbres"][0]
    assert tree["controles"]["ok"] is True
    counted = {k: Decimal(v["arbre"]) for k, v in tree["controles"]["totaux"].items()}
    expected = {k: Decimal(v["document"]) for k, v in tree["controles"]["totaux"].items()}
    assert counted == expected


def test_saving_twice_keeps_history_and_restore_makes_a_new_version(
    montreuil: dict[str, Any],
) -> None:
    context = as_user(montreuil["editor"])
    rules = montreuil_rules()
    first = call_action("budget_ruleset_create", context, organization="montreuil", rules=rules)
    # Version 2: one category renamed, DI split into two, a formula changed.
    changed = montreuil_rules()
    df, di = changed["trees"][0]["categories"][0], changed["trees"][0]["categories"][1]
    df["children"][0]["label"] = "Personnel"
    di.pop("formula")
    di["children"] = [
        {"id": "DI.equipement", "label": "Équipement", "formula": "sens:D & section:I & compte:2"},
        {"id": "DI.autres", "label": "Autres", "formula": "sens:D & section:I - compte:2"},
    ]
    df["children"][1]["formula"] = "DF - (Ch012 + Ch011)"
    second = call_action("budget_ruleset_update", context, id=first["id"], rules=changed)
    assert (second["version"], second["changed"]) == (2, True)
    assert "2 categories added" in second["summary"]
    assert "formula of DF.autres changed" in second["summary"]
    assert "DF.personnel renamed" in second["summary"]
    unchanged = call_action("budget_ruleset_update", context, id=first["id"], rules=changed)
    assert (unchanged["version"], unchanged["changed"]) == (2, False)

    history = call_action("budget_ruleset_history", id=first["id"])
    assert [v["version"] for v in history] == [2, 1]
    assert history[1]["summary"] == "Rule set created"
    assert {v["author"] for v in history} == {"finances-montreuil"}

    restored = call_action("budget_ruleset_restore", context, id=first["id"], version=1)
    assert restored["version"] == 3 and restored["restored_from"] == 1
    assert restored["summary"].startswith("Version 1 restored, 2 categories removed")
    shown = call_action("budget_ruleset_show", organization="montreuil")
    assert shown["rules"] == first["rules"]
    old = call_action("budget_ruleset_show", id=first["id"], version=2)
    assert old["rules"]["trees"][0]["categories"][1]["children"][0]["id"] == "DI.equipement"


@pytest.mark.ckan_config("ckan.locale_default", "fr")
@pytest.mark.usefixtures("with_request_context")
def test_the_change_summary_reads_in_french(montreuil: dict[str, Any]) -> None:
    first = call_action("budget_ruleset_create", organization="montreuil", rules=montreuil_rules())
    changed = montreuil_rules()
    changed["trees"][0]["categories"][0]["children"][1]["formula"] = "DF - (Ch012 + Ch011)"
    changed["trees"][0]["categories"][0]["children"].append(
        {"id": "DF.vide", "label": "Vide", "formula": "nature:999999"}
    )
    changed["trees"][0]["categories"][1]["label"] = "Investissement"
    result = call_action("budget_ruleset_update", id=first["id"], rules=changed)
    assert result["summary"] == ("1 catégorie ajoutée, DI renommée, formule de DF.autres modifiée")


def test_aggregation_records_the_version_and_follows_rule_changes(
    montreuil: dict[str, Any],
) -> None:
    resource_id = montreuil["resource"]["id"]
    first = call_action("budget_ruleset_create", organization="montreuil", rules=montreuil_rules())
    stored = service.stored(resource_id)
    assert (stored.ruleset_id, stored.ruleset_version) == (first["id"], 1)
    assert stored.ok is True
    # Dropping DI's formula leaves capital expenditure in no category: the stored checks,
    # recomputed by the change alone, say so.
    broken = montreuil_rules()
    broken["trees"][0]["categories"][1]["formula"] = "sens:D & section:I & compte:2"
    call_action("budget_ruleset_update", id=first["id"], rules=broken)
    stored = service.stored(resource_id)
    assert stored.ruleset_version == 2 and stored.ok is False
    checks = service.result(stored).trees[0].checks
    assert checks.unmatched
    assert {line.direction + line.section for line in checks.unmatched} == {"DI"}
    # Deleting the rules brings back the default trees.
    call_action("budget_ruleset_delete", id=first["id"])
    stored = service.stored(resource_id)
    assert (stored.ruleset_id, stored.ruleset_version) == (None, None)
    assert {t.id for t in service.result(stored).trees} == {"fonction", "chapitre"}


def test_a_rule_change_on_many_documents_is_recomputed_in_a_background_job(
    montreuil: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ruleset_jobs, "INLINE_DOCUMENTS", 0)
    resource_id = montreuil["resource"]["id"]
    queue = jobs.get_queue()
    queue.empty()
    # The upload was aggregated with the default trees as soon as it was processed.
    assert service.stored(resource_id).ruleset_id is None
    call_action("budget_ruleset_create", organization="montreuil", rules=montreuil_rules())
    assert service.stored(resource_id).ruleset_id is None  # until the job runs
    (job,) = [queue.fetch_job(job_id) for job_id in queue.job_ids]
    assert list(job.args) == [[resource_id]]
    job.perform()
    stored = service.stored(resource_id)
    assert stored is not None and stored.ruleset_version == 1


@pytest.mark.usefixtures("clean_queues")
def test_a_document_is_aggregated_in_the_pass_that_processes_it(
    montreuil: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The processing's parsed document is aggregated, in the request (small documents)
    or in the job: the stored file is not read, nor parsed, again for it. A rule change
    reads each stored file once."""
    reads: list[str] = []
    parses: list[int] = []
    stored_bytes, read_document = storage.stored_bytes, reader.read_document
    monkeypatch.setattr(storage, "stored_bytes", lambda rid: reads.append(rid) or stored_bytes(rid))
    monkeypatch.setattr(
        reader, "read_document", lambda *a, **k: parses.append(1) or read_document(*a, **k)
    )
    data = sample_bytes("montreuil/Montreuil_CA_2019.xml.gz")
    small = upload_resource(montreuil["dataset"]["id"], data, "ca2019.xml")
    assert (reads, parses) == ([], [])
    record = db.get_document(small["id"])
    assert service.current(record).content_sha256 == record.content_sha256

    monkeypatch.setattr(settings, "async_threshold_bytes", lambda: 0)
    large = upload_resource(montreuil["dataset"]["id"], data, "ca2019-bis.xml")
    assert service.stored(large["id"]) is None  # processed by its job
    queue = jobs.get_queue()
    rq.SimpleWorker([queue], connection=queue.connection).work(burst=True)
    service.model.Session.expire_all()
    record = db.get_document(large["id"])
    assert record.status == db.STATUS_DONE and parses == []
    assert service.current(record).content_sha256 == record.content_sha256
    processing_reads = len(reads)

    call_action("budget_ruleset_create", organization="montreuil", rules=montreuil_rules())
    documents = {montreuil["resource"]["id"], small["id"], large["id"]}
    assert sorted(reads[processing_reads:]) == sorted(documents)  # each file once
    assert len(parses) == len(documents)


@pytest.mark.usefixtures("clean_queues")
def test_a_stale_aggregation_is_not_computed_by_a_read_but_queued(
    montreuil: dict[str, Any],
) -> None:
    resource_id = montreuil["resource"]["id"]
    first = call_action("budget_ruleset_create", organization="montreuil", rules=montreuil_rules())
    stored = service.stored(resource_id)
    stored.ruleset_version = 0  # as if a job had not run yet
    service.model.Session.commit()
    for _ in range(3):
        out = call_action("budget_aggregate", id=resource_id, lines=True)
        assert out["current"] is False and "result" not in out
        assert "being computed" in out["message"]["en"] and "en cours" in out["message"]["fr"]
    assert service.stored(resource_id).ruleset_version == 0  # the read computed nothing
    queue = jobs.get_queue()
    assert queue.job_ids == [out["job_id"]]  # one job, however many reads
    queue.fetch_job(out["job_id"]).perform()
    out = call_action("budget_aggregate", id=resource_id, lines=True)
    assert out["current"] is True
    assert out["ruleset"] == {"id": first["id"], "version": 1, "name": first["label"]}
    assert node(out["result"], "rdfi", "DF.personnel")["lignes"]


def test_a_dataset_override_wins_over_the_organisation_rules(montreuil: dict[str, Any]) -> None:
    call_action("budget_ruleset_create", organization="montreuil", rules=montreuil_rules())
    override = montreuil_rules()
    override["label"] = "Règles propres au jeu de données"
    created = call_action(
        "budget_ruleset_create", package_id=montreuil["dataset"]["id"], rules=override
    )
    out = call_action("budget_aggregate", id=montreuil["resource"]["id"])
    assert out["ruleset"]["id"] == created["id"]
    listed = call_action("budget_ruleset_list", organization="montreuil")
    assert [r["package_id"] for r in listed] == [None, montreuil["dataset"]["id"]]


def test_gironde_import_through_the_action(montreuil: dict[str, Any]) -> None:
    created = call_action(
        "budget_ruleset_create",
        organization="montreuil",
        format="gironde",
        upload=file_storage(
            (RULES / "gironde-description-agregation.json").read_bytes(), "gironde.json"
        ),
        corrections=file_storage(
            (RULES / "gironde-corrections-agregation.csv").read_bytes(), "corrections.csv"
        ),
    )
    rules = created["rules"]
    # "par prestations" and "par publics": two presentations, each a tree of its own
    assert [t["id"] for t in rules["trees"]] == ["gironde", "gironde-publics"]
    assert len(rules["corrections"]) > 400
    notes = " ".join(n["en"] for n in created["notes"])
    assert "DF.3.6.3" in notes and "empty formula" in notes and "gironde-publics" in notes
    # The imported rules are applied: Gironde's trees on a Montreuil document, and the
    # two breakdowns of solidarity spending are no longer counted twice.
    out = call_action("budget_aggregate", id=montreuil["resource"]["id"])
    # The authority's presentations first, the default ones kept beside them.
    assert [t["id"] for t in out["result"]["arbres"]] == [
        "gironde",
        "gironde-publics",
        "fonction",
        "chapitre",
    ]
    for tree in out["result"]["arbres"]:
        for line in tree["controles"]["comptees_plusieurs_fois"]:
            leaves = line["categories"]
            assert not (
                any(x.startswith("DF.1.") for x in leaves)
                and any(x.startswith("DF.2.") for x in leaves)
            )


def test_an_invalid_formula_is_refused_with_its_position(montreuil: dict[str, Any]) -> None:
    rules = montreuil_rules()
    rules["trees"][0]["categories"][1]["formula"] = "sens:D & secton:I"
    with pytest.raises(tk.ValidationError) as info:
        call_action("budget_ruleset_create", organization="montreuil", rules=rules)
    message = info.value.error_dict["rules"][0]
    assert "position 9" in message and "section" in message


def test_spreadsheet_mapping_import(montreuil: dict[str, Any]) -> None:
    table = (
        "Sens;Section;Chapitre;Niveau 1;Niveau 2\n"
        "D;F;012;Fonctionnement;Personnel\n"
        "D;F;011;Fonctionnement;Charges générales\n"
        "D;I;20;Investissement;Études\n"
    ).encode()
    created = call_action(
        "budget_ruleset_create",
        organization="montreuil",
        format="mapping",
        upload=file_storage(table, "correspondance.csv"),
        columns={"sens": "Sens", "section": "Section", "chapitre": "Chapitre"},
        hierarchies={"services": ["Niveau 1", "Niveau 2"]},
    )
    tree = created["rules"]["trees"][0]
    assert tree["id"] == "services"
    assert [c["label"] for c in tree["categories"]] == ["Fonctionnement", "Investissement"]


ROLES = ["anonymous", "member", "editor", "admin", "other_editor", "sysadmin"]


@pytest.fixture
def people() -> dict[str, Any]:
    users = {role: factories.User() for role in ROLES if role != "anonymous"}
    users["sysadmin"] = factories.Sysadmin()
    users["anonymous"] = None
    org = factories.Organization(
        users=[
            {"name": users[role]["name"], "capacity": role}
            for role in ("member", "editor", "admin")
        ]
    )
    factories.Organization(users=[{"name": users["other_editor"]["name"], "capacity": "editor"}])
    private = factories.Dataset(owner_org=org["id"], private=True)
    resource = upload_resource(
        private["id"], sample_bytes("crach/Crach_principal_CA_2021.xml"), "ca.xml"
    )
    ruleset = call_action("budget_ruleset_create", organization=org["id"], rules=montreuil_rules())
    return {"users": users, "org": org, "resource": resource, "ruleset": ruleset}


def allowed(action: str, user: dict[str, Any] | None, **data: Any) -> bool:
    try:
        call_action(action, as_user(user), **data)
    except tk.NotAuthorized:
        return False
    return True


@pytest.mark.parametrize(
    ("role", "write", "read_private"),
    [
        ("anonymous", False, False),
        ("member", False, True),
        ("editor", True, True),
        ("admin", True, True),
        ("other_editor", False, False),
        ("sysadmin", True, True),
    ],
)
def test_permissions(people: dict[str, Any], role: str, write: bool, read_private: bool) -> None:
    user = people["users"][role]
    ruleset_id = people["ruleset"]["id"]
    changed = montreuil_rules()
    changed["label"] = f"par {role}"
    assert allowed("budget_ruleset_update", user, id=ruleset_id, rules=changed) is write
    assert allowed("budget_ruleset_restore", user, id=ruleset_id, version=1) is write
    # Reading the rules of an organisation is open to whoever can see it.
    assert allowed("budget_ruleset_show", user, id=ruleset_id) is True
    assert allowed("budget_ruleset_history", user, id=ruleset_id) is True
    assert allowed("budget_ruleset_list", user, organization=people["org"]["name"]) is True
    # Aggregations follow the (private) dataset's visibility.
    assert allowed("budget_aggregate", user, id=people["resource"]["id"]) is read_private
    assert allowed("budget_ruleset_delete", user, id=ruleset_id) is write


@pytest.mark.parametrize("role", ["anonymous", "member", "other_editor"])
def test_who_may_not_create_rules(people: dict[str, Any], role: str) -> None:
    call_action("budget_ruleset_delete", id=people["ruleset"]["id"])
    user = people["users"][role]
    assert not allowed(
        "budget_ruleset_create", user, organization=people["org"]["id"], rules=montreuil_rules()
    )
