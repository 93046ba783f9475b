"""A small portal for the security tests, built once per test module, and the
authorisation matrix as data.

The portal: organisation A with a member, an editor and an admin; organisation B with an
editor ("other_editor": the editor of *another* organisation); a logged-in user without
organisation; a sysadmin; in A, a public and a private ``budget`` dataset with a processed
document ("read" datasets: the tests never change their documents), two more ("work"
datasets) whose document the re-process rows queue again, A's rule set and one override
(a dataset's own rules) per read dataset.

The matrix: one :class:`Page` or :class:`Action` row per page or API action, with who may
use it as an :data:`Access` table (role × visibility). Adding a page is one line.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import ckan.plugins as plugins
import pytest
import sqlalchemy as sa
import yaml
from ckan import model
from ckan.tests import factories
from ckan.tests.helpers import _get_test_app, call_action

from ckanext.budget.documents import model as db
from ckanext.budget.rulesets import service

from .budget_uploads import file_storage, sample_bytes, upload_resource

ROLES = ("anonymous", "user", "member", "editor", "admin", "other_editor", "sysadmin")
VISIBILITIES = ("public", "private")
PASSWORD = "correct-horse-battery-staple"
DOCUMENT = "crach/Crach_principal_CA_2021.xml"
"""Read datasets: a compte administratif with annexes (subsidies, loans, staff)."""
WORK_DOCUMENT = "crach/Crach_lotissement_CA_2021.xml"
TOKEN_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')

BASELINE_RULES: dict[str, Any] = {
    "format": "budget-aggregation/1",
    "id": "secu-a",
    "label": "Règles de A",
    "trees": [
        {
            "id": "rdfi",
            "label": "Par section",
            "categories": [
                {"id": "F", "label": "Fonctionnement", "formula": "section:F"},
                {"id": "I", "label": "Investissement", "formula": "section:I"},
            ],
        }
    ],
}
OVERRIDE_LABEL = "Règles propres au jeu {visibility}"


# --- who may do what -----------------------------------------------------------------------

ALLOWED, REFUSED, HIDDEN = "allowed", "refused", "hidden"
"""Outcomes: allowed; refused (403: the user may see the object, not do this); hidden
(404: the user may not even know the object exists; the API says 403 like CKAN's)."""
_LETTERS = {"Y": ALLOWED, "N": REFUSED, "H": HIDDEN}

Access = dict[str, dict[str, str]]
"""{scope: {role: outcome}}; scope is a visibility, or "site" for rows that concern no
dataset (an organisation's rules, the check of a file)."""


def access(**scopes: str) -> Access:
    """``access(public="Y Y N …")``: one letter per role, in the order of :data:`ROLES`."""
    table = {}
    for scope, letters in scopes.items():
        codes = letters.split()
        assert len(codes) == len(ROLES), scope
        table[scope] = {role: _LETTERS[code] for role, code in zip(ROLES, codes, strict=True)}
    return table


#                       anon user memb edit admn othr sysa
READ = access(public=  "Y    Y    Y    Y    Y    Y    Y",
              private= "H    H    Y    Y    Y    H    Y")  # fmt: skip
EDIT = access(public=  "N    N    N    Y    Y    N    Y",
              private= "H    H    N    Y    Y    H    Y")  # fmt: skip
ORG_READ = access(site="Y    Y    Y    Y    Y    Y    Y")  # fmt: skip
ORG_EDIT = access(site="N    N    N    Y    Y    N    Y")  # fmt: skip
PUBLISH = access(site= "N    N    N    Y    Y    Y    Y")  # fmt: skip


# --- the portal -------------------------------------------------------------------------------


@dataclass
class Portal:
    app: Any
    org: dict[str, Any]
    users: dict[str, dict[str, Any]]
    datasets: dict[str, dict[str, Any]]
    resources: dict[str, dict[str, Any]]
    views: dict[str, dict[str, Any]]
    work_datasets: dict[str, dict[str, Any]]
    work_resources: dict[str, dict[str, Any]]

    def user_name(self, role: str) -> str:
        return "" if role == "anonymous" else self.users[role]["name"]

    def headers(self, role: str) -> dict[str, str]:
        return {} if role == "anonymous" else {"Authorization": self.users[role]["token"]}

    def values(self, scope: str) -> dict[str, str]:
        """What URL templates and request data may name, for a visibility (or "site")."""
        out = {"org": self.org["name"]}
        if scope in VISIBILITIES:
            out.update(
                dataset=self.datasets[scope]["name"],
                dataset_id=self.datasets[scope]["id"],
                resource=self.resources[scope]["id"],
                view=self.views[scope]["id"],
                work_dataset=self.work_datasets[scope]["name"],
                work_resource=self.work_resources[scope]["id"],
            )
        return out


def build_portal() -> Portal:
    roles = ("user", "member", "editor", "admin", "other_editor")
    users = {role: factories.UserWithToken(password=PASSWORD) for role in roles}
    users["sysadmin"] = factories.SysadminWithToken(password=PASSWORD)
    org = factories.Organization(
        name="secu-a",
        title="Sécurité A",
        users=[
            {"name": users[role]["name"], "capacity": role}
            for role in ("member", "editor", "admin")
        ],
    )
    factories.Organization(
        name="secu-b",
        title="Sécurité B",
        users=[{"name": users["other_editor"]["name"], "capacity": "editor"}],
    )
    datasets, resources, views, work_datasets, work_resources = {}, {}, {}, {}, {}
    for visibility in VISIBILITIES:
        private = visibility == "private"
        for kind, found, uploaded, document in (
            ("read", datasets, resources, DOCUMENT),
            ("work", work_datasets, work_resources, WORK_DOCUMENT),
        ):
            dataset = factories.Dataset(
                type="budget", name=f"{kind}-{visibility}", owner_org=org["id"], private=private
            )
            found[visibility] = dataset
            uploaded[visibility] = upload_resource(dataset["id"], sample_bytes(document), "ca.xml")
        views[visibility] = next(
            view
            for view in call_action("resource_view_list", id=resources[visibility]["id"])
            if view["view_type"] == "budget_view"
        )
        call_action(
            "budget_ruleset_create",
            package_id=datasets[visibility]["id"],
            rules={**BASELINE_RULES, "label": OVERRIDE_LABEL.format(visibility=visibility)},
        )
    portal = Portal(
        app=_get_test_app(),
        org=org,
        users=users,
        datasets=datasets,
        resources=resources,
        views=views,
        work_datasets=work_datasets,
        work_resources=work_resources,
    )
    reset_rules(portal)
    return portal


def module_portal(
    reset_db: Callable[[], None],
    migrate_db_for: Callable[[str], None],
    build: Callable[[], Any] | None = None,
) -> Iterator[Any]:
    """Body of a module-scoped fixture: an empty database, the plugins of ``test.ini``
    loaded for the whole module (not once per test: that alone would take longer than the
    tests), then what ``build`` makes (default: the portal of the matrix)."""
    plugins.load_all()
    reset_db()
    if not sa.inspect(model.Session.get_bind()).has_table("budget_document"):
        migrate_db_for("budget")
    try:
        yield (build or build_portal)()
    finally:
        model.Session.remove()
        getattr(plugins, "unload_non_system_plugins", plugins.unload_all)()


# --- state the POST rows start from, and what they change ---------------------------------


def _reset(owner: dict[str, str], record: Any, rules: dict[str, Any]) -> None:
    """Rules with the ``rules`` content and an earlier, different version to restore."""
    if record is None:
        changed = copy.deepcopy(rules)
        changed["trees"][0]["label"] = "Par section (v2)"
        call_action("budget_ruleset_create", **owner, rules=rules)
        call_action("budget_ruleset_update", **owner, rules=changed)
    call_action("budget_ruleset_update", **owner, rules=rules)


def reset_rules(portal: Portal) -> None:
    model.Session.expire_all()
    owner = {"organization": portal.org["id"]}
    _reset(owner, service.for_organization(portal.org["id"]), BASELINE_RULES)


def no_rules(portal: Portal) -> None:
    model.Session.expire_all()
    if service.for_organization(portal.org["id"]) is not None:
        call_action("budget_ruleset_delete", organization=portal.org["id"])


def rules_state(portal: Portal, scope: str) -> tuple[str, int] | None:
    model.Session.expire_all()
    record = service.for_organization(portal.org["id"])
    return None if record is None else (record.id, record.version)


def reset_override(portal: Portal, scope: str) -> None:
    model.Session.expire_all()
    package_id = portal.datasets[scope]["id"]
    rules = {**BASELINE_RULES, "label": OVERRIDE_LABEL.format(visibility=scope)}
    _reset({"package_id": package_id}, service.for_package(package_id), rules)


def no_override(portal: Portal, scope: str) -> None:
    model.Session.expire_all()
    if service.for_package(portal.datasets[scope]["id"]) is not None:
        call_action("budget_ruleset_delete", package_id=portal.datasets[scope]["id"])


def override_state(portal: Portal, scope: str) -> tuple[str, int] | None:
    model.Session.expire_all()
    record = service.for_package(portal.datasets[scope]["id"])
    return None if record is None else (record.id, record.version)


def deleted_rules(portal: Portal, scope: str) -> str:
    """The id of the rule set deleted last: the organisation's ("site"), else the
    dataset's of this visibility."""
    model.Session.expire_all()
    package_id = portal.datasets[scope]["id"] if scope in VISIBILITIES else None
    return service.deleted_in(portal.org["id"], package_id)[0].id


def restorable(record: Any) -> int:
    """A version of ``record`` whose content differs from the current one."""
    current = service.content(record)
    return next(
        saved.version
        for saved in service.history(record)
        if service.content(record, saved.version) != current
    )


def work_state(portal: Portal, scope: str) -> tuple[str, str | None]:
    """A re-processed document gets a new job id."""
    model.Session.expire_all()
    record = db.get_document(portal.work_resources[scope]["id"])
    return record.status, record.job_id


def stored_counts(portal: Portal, scope: str) -> tuple[int, ...]:
    """What a check of a file must leave untouched."""
    model.Session.expire_all()
    session = model.Session
    return tuple(
        session.query(table).count()
        for table in (db.BudgetDocumentRecord, db.BudgetLineRecord, model.Resource)
    )


def _draft(owner: dict[str, str]) -> None:
    """A draft on top of the published rules (what « Publier » publishes)."""
    changed = copy.deepcopy(BASELINE_RULES)
    changed["trees"][0]["label"] = "Par section (brouillon)"
    call_action("budget_ruleset_update", **owner, rules=changed, publish=False)


def draft_rules(portal: Portal) -> None:
    reset_rules(portal)
    _draft({"organization": portal.org["id"]})


def draft_override(portal: Portal, scope: str) -> None:
    reset_override(portal, scope)
    _draft({"package_id": portal.datasets[scope]["id"]})


def published_rules(portal: Portal, scope: str) -> tuple[str, int | None] | None:
    model.Session.expire_all()
    record = service.for_organization(portal.org["id"])
    return None if record is None else (record.id, record.published_version)


def published_override(portal: Portal, scope: str) -> tuple[str, int | None] | None:
    model.Session.expire_all()
    record = service.for_package(portal.datasets[scope]["id"])
    return None if record is None else (record.id, record.published_version)


def on_org(prepare: Callable[[Portal], None]) -> Callable[[Portal, str], None]:
    return lambda portal, scope: prepare(portal)


RULES_SET = on_org(reset_rules)


# --- the matrix -------------------------------------------------------------------------------

RESOURCE = "/dataset/{dataset}/resource/{resource}"
RULES = "/organization/{org}/budget-rules"
BUDGET_PAGE = "/budget/{dataset}/explorer"
COMPARE = "/budget/compare?doc={resource}"
DATASET_RULES = "/dataset/{dataset}/budget-rules"


def _native_rules_file(portal: Portal, scope: str) -> dict[str, Any]:
    rules = {**BASELINE_RULES, "label": "Règles importées"}
    return {"format": "native", "upload": file_storage(yaml.safe_dump(rules).encode(), "r.yaml")}


@dataclass(frozen=True)
class Page:
    """A page (or a form's target) of the extension, and who may use it.

    ``state`` reads what a POST may change, ``prepare`` sets the state it starts from;
    ``changes``: an allowed request changes that state (a refused one never does).
    """

    name: str
    method: str
    path: str
    endpoint: str
    who: Access
    ok: int = 200
    form: Callable[[Portal, str], dict[str, Any]] | dict[str, Any] = field(default_factory=dict)
    prepare: Callable[[Portal, str], None] | None = None
    state: Callable[[Portal, str], Any] | None = None
    changes: bool = False

    def scopes(self) -> list[str]:
        return list(self.who)

    def url(self, portal: Portal, scope: str) -> str:
        return self.path.format(**portal.values(scope))

    def data(self, portal: Portal, scope: str) -> dict[str, Any]:
        return self.form(portal, scope) if callable(self.form) else dict(self.form)


def _check_upload(*_: Any) -> dict[str, Any]:
    return {"upload": file_storage(sample_bytes(WORK_DOCUMENT), "check.xml")}


PAGES: tuple[Page, ...] = (
    # Pages of CKAN that show budget results (badges, the document panel, the view).
    Page("dataset page", "GET", "/dataset/{dataset}", "dataset.read", READ),
    Page("budget dataset page", "GET", "/budget/{dataset}", "budget.read", READ),
    Page("resource page", "GET", RESOURCE, "dataset_resource.read", READ),
    Page(
        "resource page by id",
        "GET",
        RESOURCE.replace("{dataset}", "{dataset_id}"),
        "dataset_resource.read",
        READ,
    ),
    Page("explorer view", "GET", RESOURCE + "?view_id={view}", "dataset_resource.read", READ),
    Page("explorer view alone", "GET", RESOURCE + "/view/{view}", "dataset_resource.view", READ),
    # budget_document
    Page("report", "GET", RESOURCE + "/budget/report", "budget_document.report", READ),
    Page(
        "report JSON", "GET", RESOURCE + "/budget/report.json", "budget_document.report_json", READ
    ),
    Page(
        "SCDL file",
        "GET",
        RESOURCE + "/budget/files/scdl-budget.csv",
        "budget_document.derived_file",
        READ,
    ),
    Page(
        "lines file",
        "GET",
        RESOURCE + "/budget/files/lines.json",
        "budget_document.derived_file",
        READ,
    ),
    Page(
        "stored file",
        "GET",
        "/budget/{dataset}/resource/{resource}/download/ca.xml",
        "budget_download.download",
        READ,
    ),
    Page(
        "re-process",
        "POST",
        "/dataset/{work_dataset}/resource/{work_resource}/budget/reprocess",
        "budget_document.reprocess",
        EDIT,
        ok=302,
        state=work_state,
        changes=True,
    ),
    # budget_explorer
    Page(
        "explorer embed", "GET", RESOURCE + "/budget/explorer/embed", "budget_explorer.embed", READ
    ),
    Page(
        "explorer CSV",
        "GET",
        RESOURCE + "/budget/explorer/data.csv?tree=rdfi",
        "budget_explorer.export_csv",
        READ,
    ),
    Page(
        "explorer JSON",
        "GET",
        RESOURCE + "/budget/explorer/data.json?tree=rdfi&node=F",
        "budget_explorer.export_json",
        READ,
    ),
    # budget_annexes
    Page("loans annex", "GET", RESOURCE + "/budget/annexes/emprunt", "budget_annexes.page", READ),
    Page(
        "loans annex embed",
        "GET",
        RESOURCE + "/budget/annexes/emprunt/embed",
        "budget_annexes.embed",
        READ,
    ),
    Page(
        "loans annex CSV",
        "GET",
        RESOURCE + "/budget/annexes/emprunt/data.csv",
        "budget_annexes.export_csv",
        READ,
    ),
    Page(
        "loans annex JSON",
        "GET",
        RESOURCE + "/budget/annexes/emprunt/data.json?q=credit",
        "budget_annexes.export_json",
        READ,
    ),
    # budget_page: a dataset's budget page, and the comparison of documents
    Page("budget page", "GET", BUDGET_PAGE, "budget_page.read", READ),
    Page("budget page embed", "GET", BUDGET_PAGE + "/embed", "budget_page.embed", READ),
    Page("budget page CSV", "GET", BUDGET_PAGE + "/data.csv", "budget_page.page_csv", READ),
    Page("budget page JSON", "GET", BUDGET_PAGE + "/data.json", "budget_page.page_json", READ),
    Page("financial analysis", "GET", BUDGET_PAGE + "/analysis", "budget_page.analysis", READ),
    Page(
        "financial analysis embed",
        "GET",
        BUDGET_PAGE + "/analysis/embed?unit=inhabitant",
        "budget_page.analysis_embed",
        READ,
    ),
    Page(
        "financial analysis CSV",
        "GET",
        BUDGET_PAGE + "/analysis/data.csv?unit=inhabitant",
        "budget_page.analysis_csv",
        READ,
    ),
    Page(
        "financial analysis JSON",
        "GET",
        BUDGET_PAGE + "/analysis/data.json",
        "budget_page.analysis_json",
        READ,
    ),
    Page("compare", "GET", COMPARE, "budget_page.compare_page", READ),
    Page(
        "compare embed", "GET", COMPARE.replace("?", "/embed?"), "budget_page.compare_embed", READ
    ),
    Page("compare CSV", "GET", COMPARE.replace("?", "/data.csv?"), "budget_page.compare_csv", READ),
    Page(
        "compare JSON", "GET", COMPARE.replace("?", "/data.json?"), "budget_page.compare_json", READ
    ),
    Page("subsidies search", "GET", BUDGET_PAGE + "/subsidies?q=a", "budget_page.subsidies", READ),
    Page(
        "subsidies embed",
        "GET",
        BUDGET_PAGE + "/subsidies/embed?q=a",
        "budget_page.subsidies_embed",
        READ,
    ),
    Page(
        "subsidies CSV",
        "GET",
        BUDGET_PAGE + "/subsidies/data.csv?year=2021",
        "budget_page.subsidies_csv",
        READ,
    ),
    Page(
        "subsidies JSON",
        "GET",
        BUDGET_PAGE + "/subsidies/data.json",
        "budget_page.subsidies_json",
        READ,
    ),
    # budget_check
    Page("check form", "GET", "/budget-check", "budget_check.check", PUBLISH),
    Page("publish guide", "GET", "/budget-publish", "budget_guide.publish", ORG_READ),
    Page(
        "check a file",
        "POST",
        "/budget-check",
        "budget_check.check",
        PUBLISH,
        form=_check_upload,
        state=stored_counts,
    ),
    # budget_rules: reading
    Page("rules", "GET", RULES, "budget_rules.index", ORG_READ, prepare=RULES_SET),
    Page(
        "rules history",
        "GET",
        RULES + "/history",
        "budget_rules.history",
        ORG_READ,
        prepare=RULES_SET,
    ),
    Page(
        "rules export",
        "GET",
        RULES + "/export.yaml",
        "budget_rules.export",
        ORG_READ,
        prepare=RULES_SET,
    ),
    Page("rules checks", "GET", RULES + "/checks", "budget_rules.checks", ORG_EDIT),
    Page("rules import form", "GET", RULES + "/import", "budget_rules.import_rules", ORG_EDIT),
    Page(
        "rules category",
        "GET",
        RULES + "/node/rdfi/F",
        "budget_rules.node",
        ORG_EDIT,
        prepare=RULES_SET,
    ),
    # budget_rules: changing
    Page(
        "rules create",
        "POST",
        RULES + "/create",
        "budget_rules.create",
        ORG_EDIT,
        ok=302,
        form={"source": "empty"},
        prepare=on_org(no_rules),
        state=rules_state,
        changes=True,
    ),
    Page(
        "rules delete",
        "POST",
        RULES + "/delete",
        "budget_rules.delete",
        ORG_EDIT,
        ok=302,
        prepare=RULES_SET,
        state=rules_state,
        changes=True,
    ),
    Page(
        "rules delete confirmation",
        "GET",
        RULES + "/delete",
        "budget_rules.delete",
        ORG_EDIT,
        prepare=RULES_SET,
        state=rules_state,
    ),
    Page(
        "rules undelete",
        "POST",
        RULES + "/undelete",
        "budget_rules.undelete",
        ORG_EDIT,
        ok=302,
        form=lambda p, s: {"ruleset": deleted_rules(p, s)},
        prepare=on_org(no_rules),
        state=rules_state,
        changes=True,
    ),
    Page(
        "rules publish review",
        "GET",
        RULES + "/publish",
        "budget_rules.publish",
        ORG_EDIT,
        prepare=on_org(draft_rules),
    ),
    Page(
        "rules publish",
        "POST",
        RULES + "/publish",
        "budget_rules.publish",
        ORG_EDIT,
        ok=302,
        form={"confirm": "yes"},
        prepare=on_org(draft_rules),
        state=published_rules,
        changes=True,
    ),
    Page(
        "rules compare versions",
        "GET",
        RULES + "/compare",
        "budget_rules.compare",
        ORG_READ,
        prepare=RULES_SET,
    ),
    Page(
        "rules add tree",
        "POST",
        RULES + "/tree",
        "budget_rules.add_tree",
        ORG_EDIT,
        ok=302,
        form={"tree_id": "extra", "label": "Autre"},
        prepare=RULES_SET,
        state=rules_state,
        changes=True,
    ),
    Page(
        "rules add category",
        "POST",
        RULES + "/node/add",
        "budget_rules.add_node",
        ORG_EDIT,
        ok=302,
        form={"tree": "rdfi", "label": "Nouvelle", "formula": "section:F"},
        prepare=RULES_SET,
        state=rules_state,
        changes=True,
    ),
    Page(
        "rules texts",
        "GET",
        RULES + "/texts",
        "budget_rules.texts",
        ORG_EDIT,
        prepare=RULES_SET,
    ),
    Page(
        "rules save texts",
        "POST",
        RULES + "/texts",
        "budget_rules.texts",
        ORG_EDIT,
        ok=302,
        form={"new_year": "2021", "new_fr": "Une année."},
        prepare=RULES_SET,
        state=rules_state,
        changes=True,
    ),
    Page(
        "rules rename category",
        "POST",
        RULES + "/node/rdfi/F",
        "budget_rules.node",
        ORG_EDIT,
        ok=302,
        form={"op": "rename", "label": "Renommée"},
        prepare=RULES_SET,
        state=rules_state,
        changes=True,
    ),
    Page(
        "rules preview formula",
        "POST",
        RULES + "/node/rdfi/F",
        "budget_rules.node",
        ORG_EDIT,
        form={"op": "preview", "formula": "section:I"},
        prepare=RULES_SET,
        state=rules_state,
    ),
    Page(
        "rules restore",
        "POST",
        RULES + "/restore",
        "budget_rules.restore",
        ORG_EDIT,
        ok=302,
        form=lambda p, s: {"version": restorable(service.for_organization(p.org["id"]))},
        prepare=RULES_SET,
        state=rules_state,
        changes=True,
    ),
    Page(
        "rules import",
        "POST",
        RULES + "/import",
        "budget_rules.import_rules",
        ORG_EDIT,
        ok=302,
        form=_native_rules_file,
        prepare=RULES_SET,
        state=rules_state,
        changes=True,
    ),
    Page(
        "rules live preview",
        "POST",
        RULES + "/node/rdfi/F/preview.json",
        "budget_rules.preview_json",
        ORG_EDIT,
        form={"formula": "section:I"},
        prepare=RULES_SET,
        state=rules_state,
    ),
    Page(
        "rules codes",
        "GET",
        RULES + "/codes?q=personnel",
        "budget_rules.codes",
        ORG_EDIT,
        prepare=RULES_SET,
    ),
    Page(
        "rules codes suggested",
        "GET",
        RULES + "/codes.json?q=chapitre%2001",
        "budget_rules.codes_json",
        ORG_EDIT,
        prepare=RULES_SET,
    ),
    # budget_dataset_rules (a dataset's own rules): reading
    Page(
        "dataset rules",
        "GET",
        DATASET_RULES,
        "budget_dataset_rules.index",
        READ,
        prepare=reset_override,
    ),
    Page(
        "dataset rules history",
        "GET",
        DATASET_RULES + "/history",
        "budget_dataset_rules.history",
        READ,
        prepare=reset_override,
    ),
    Page(
        "dataset rules export",
        "GET",
        DATASET_RULES + "/export.json",
        "budget_dataset_rules.export",
        READ,
        prepare=reset_override,
    ),
    Page(
        "dataset rules checks",
        "GET",
        DATASET_RULES + "/checks",
        "budget_dataset_rules.checks",
        EDIT,
    ),
    Page(
        "dataset rules import form",
        "GET",
        DATASET_RULES + "/import",
        "budget_dataset_rules.import_rules",
        EDIT,
    ),
    Page(
        "dataset rules category",
        "GET",
        DATASET_RULES + "/node/rdfi/F",
        "budget_dataset_rules.node",
        EDIT,
        prepare=reset_override,
    ),
    # budget_dataset_rules: changing
    Page(
        "dataset rules create",
        "POST",
        DATASET_RULES + "/create",
        "budget_dataset_rules.create",
        EDIT,
        ok=302,
        form={"source": "organization"},
        prepare=no_override,
        state=override_state,
        changes=True,
    ),
    Page(
        "dataset rules delete",
        "POST",
        DATASET_RULES + "/delete",
        "budget_dataset_rules.delete",
        EDIT,
        ok=302,
        prepare=reset_override,
        state=override_state,
        changes=True,
    ),
    Page(
        "dataset rules delete confirmation",
        "GET",
        DATASET_RULES + "/delete",
        "budget_dataset_rules.delete",
        EDIT,
        prepare=reset_override,
        state=override_state,
    ),
    Page(
        "dataset rules undelete",
        "POST",
        DATASET_RULES + "/undelete",
        "budget_dataset_rules.undelete",
        EDIT,
        ok=302,
        form=lambda p, s: {"ruleset": deleted_rules(p, s)},
        prepare=no_override,
        state=override_state,
        changes=True,
    ),
    Page(
        "dataset rules publish review",
        "GET",
        DATASET_RULES + "/publish",
        "budget_dataset_rules.publish",
        EDIT,
        prepare=draft_override,
    ),
    Page(
        "dataset rules publish",
        "POST",
        DATASET_RULES + "/publish",
        "budget_dataset_rules.publish",
        EDIT,
        ok=302,
        form={"confirm": "yes"},
        prepare=draft_override,
        state=published_override,
        changes=True,
    ),
    Page(
        "dataset rules compare versions",
        "GET",
        DATASET_RULES + "/compare",
        "budget_dataset_rules.compare",
        READ,
        prepare=reset_override,
    ),
    Page(
        "dataset rules add tree",
        "POST",
        DATASET_RULES + "/tree",
        "budget_dataset_rules.add_tree",
        EDIT,
        ok=302,
        form={"tree_id": "extra", "label": "Autre"},
        prepare=reset_override,
        state=override_state,
        changes=True,
    ),
    Page(
        "dataset rules add category",
        "POST",
        DATASET_RULES + "/node/add",
        "budget_dataset_rules.add_node",
        EDIT,
        ok=302,
        form={"tree": "rdfi", "label": "Nouvelle", "formula": "section:F"},
        prepare=reset_override,
        state=override_state,
        changes=True,
    ),
    Page(
        "dataset rules texts",
        "GET",
        DATASET_RULES + "/texts",
        "budget_dataset_rules.texts",
        EDIT,
        prepare=reset_override,
    ),
    Page(
        "dataset rules save texts",
        "POST",
        DATASET_RULES + "/texts",
        "budget_dataset_rules.texts",
        EDIT,
        ok=302,
        form={"new_year": "2021", "new_fr": "Une année."},
        prepare=reset_override,
        state=override_state,
        changes=True,
    ),
    Page(
        "dataset rules rename category",
        "POST",
        DATASET_RULES + "/node/rdfi/F",
        "budget_dataset_rules.node",
        EDIT,
        ok=302,
        form={"op": "rename", "label": "Renommée"},
        prepare=reset_override,
        state=override_state,
        changes=True,
    ),
    Page(
        "dataset rules live preview",
        "POST",
        DATASET_RULES + "/node/rdfi/F/preview.json",
        "budget_dataset_rules.preview_json",
        EDIT,
        form={"formula": "section:I"},
        prepare=reset_override,
        state=override_state,
    ),
    Page(
        "dataset rules codes",
        "GET",
        DATASET_RULES + "/codes?q=personnel",
        "budget_dataset_rules.codes",
        EDIT,
        prepare=reset_override,
    ),
    Page(
        "dataset rules codes suggested",
        "GET",
        DATASET_RULES + "/codes.json?q=compte%2065",
        "budget_dataset_rules.codes_json",
        EDIT,
        prepare=reset_override,
    ),
    Page(
        "dataset rules restore",
        "POST",
        DATASET_RULES + "/restore",
        "budget_dataset_rules.restore",
        EDIT,
        ok=302,
        form=lambda p, s: {"version": restorable(service.for_package(p.datasets[s]["id"]))},
        prepare=reset_override,
        state=override_state,
        changes=True,
    ),
    Page(
        "dataset rules import",
        "POST",
        DATASET_RULES + "/import",
        "budget_dataset_rules.import_rules",
        EDIT,
        ok=302,
        form=_native_rules_file,
        prepare=reset_override,
        state=override_state,
        changes=True,
    ),
)


@dataclass(frozen=True)
class Action:
    """An API action and who may call it; ``data`` builds its parameters."""

    name: str
    action: str
    who: Access
    data: Callable[[Portal, str], dict[str, Any]]
    prepare: Callable[[Portal, str], None] | None = None
    state: Callable[[Portal, str], Any] | None = None
    changes: bool = False

    def scopes(self) -> list[str]:
        return list(self.who)


def _resource(portal: Portal, scope: str) -> dict[str, Any]:
    return {"id": portal.resources[scope]["id"]}


def _dataset(portal: Portal, scope: str) -> dict[str, Any]:
    return {"package_id": portal.datasets[scope]["id"]}


def _org(portal: Portal, scope: str) -> dict[str, Any]:
    return {"organization": portal.org["name"]}


def _override_rules(portal: Portal, scope: str) -> dict[str, Any]:
    return {**_dataset(portal, scope), "rules": {**BASELINE_RULES, "label": "Changée"}}


ACTIONS: tuple[Action, ...] = (
    Action("document", "budget_document_show", READ, _resource),
    Action("validation report", "budget_validation_show", READ, _resource),
    Action("lines", "budget_lines", READ, _resource),
    Action("aggregate a document", "budget_aggregate", READ, _resource),
    Action("aggregate a dataset", "budget_aggregate", READ, _dataset),
    Action(
        "re-process a document",
        "budget_reprocess",
        EDIT,
        lambda p, s: {"id": p.work_resources[s]["id"]},
        state=work_state,
        changes=True,
    ),
    Action(
        "re-process a dataset",
        "budget_reprocess",
        EDIT,
        lambda p, s: {"package_id": p.work_datasets[s]["id"]},
        state=work_state,
        changes=True,
    ),
    Action(
        "check a file",
        "budget_validate",
        PUBLISH,
        _check_upload,
        state=stored_counts,
    ),
    Action("rule sets of an organisation", "budget_ruleset_list", ORG_READ, _org),
    Action("rules of an organisation", "budget_ruleset_show", ORG_READ, _org, RULES_SET),
    Action("history of an organisation", "budget_ruleset_history", ORG_READ, _org, RULES_SET),
    Action("rules of a dataset", "budget_ruleset_show", READ, _dataset, reset_override),
    Action("history of a dataset", "budget_ruleset_history", READ, _dataset, reset_override),
    Action(
        "create an organisation's rules",
        "budget_ruleset_create",
        ORG_EDIT,
        lambda p, s: {**_org(p, s), "rules": BASELINE_RULES},
        prepare=on_org(no_rules),
        state=rules_state,
        changes=True,
    ),
    Action(
        "update an organisation's rules",
        "budget_ruleset_update",
        ORG_EDIT,
        lambda p, s: {**_org(p, s), "rules": {**BASELINE_RULES, "label": "Changée"}},
        prepare=RULES_SET,
        state=rules_state,
        changes=True,
    ),
    Action(
        "restore an organisation's rules",
        "budget_ruleset_restore",
        ORG_EDIT,
        lambda p, s: {**_org(p, s), "version": restorable(service.for_organization(p.org["id"]))},
        prepare=RULES_SET,
        state=rules_state,
        changes=True,
    ),
    Action(
        "publish an organisation's draft",
        "budget_ruleset_publish",
        ORG_EDIT,
        lambda p, s: {**_org(p, s), "accept_failing_checks": True},
        prepare=on_org(draft_rules),
        state=published_rules,
        changes=True,
    ),
    Action(
        "delete an organisation's rules",
        "budget_ruleset_delete",
        ORG_EDIT,
        _org,
        prepare=RULES_SET,
        state=rules_state,
        changes=True,
    ),
    Action(
        "undelete an organisation's rules",
        "budget_ruleset_undelete",
        ORG_EDIT,
        lambda p, s: {"id": deleted_rules(p, s)},
        prepare=on_org(no_rules),
        state=rules_state,
        changes=True,
    ),
    Action(
        "create a dataset's rules",
        "budget_ruleset_create",
        EDIT,
        lambda p, s: {**_dataset(p, s), "rules": BASELINE_RULES},
        prepare=no_override,
        state=override_state,
        changes=True,
    ),
    Action(
        "update a dataset's rules",
        "budget_ruleset_update",
        EDIT,
        _override_rules,
        prepare=reset_override,
        state=override_state,
        changes=True,
    ),
    Action(
        "restore a dataset's rules",
        "budget_ruleset_restore",
        EDIT,
        lambda p, s: {
            **_dataset(p, s),
            "version": restorable(service.for_package(p.datasets[s]["id"])),
        },
        prepare=reset_override,
        state=override_state,
        changes=True,
    ),
    Action(
        "delete a dataset's rules",
        "budget_ruleset_delete",
        EDIT,
        _dataset,
        prepare=reset_override,
        state=override_state,
        changes=True,
    ),
    Action(
        "undelete a dataset's rules",
        "budget_ruleset_undelete",
        EDIT,
        lambda p, s: {"id": deleted_rules(p, s)},
        prepare=no_override,
        state=override_state,
        changes=True,
    ),
)


def cases(rows: tuple[Page, ...] | tuple[Action, ...]) -> list[Any]:
    """``pytest.param(row, scope, role)`` for every row, scope and role."""
    return [
        pytest.param(row, scope, role, id=f"{row.name}-{scope}-{role}")
        for row in rows
        for scope in row.scopes()
        for role in ROLES
    ]


# --- browser sessions (CSRF applies to them, not to API tokens) ---------------------------


def csrf_token(page: str) -> str:
    match = TOKEN_FIELD.search(page)
    assert match, "no CSRF token in the page"
    return match.group(1)


def logged_in(portal: Portal, role: str) -> Any:
    """A browser-like client with a session cookie, logged in through the login form."""
    client = portal.app.test_client()
    form = client.get("/user/login").get_data(as_text=True)
    response = client.post(
        "/user/login",
        data={
            "login": portal.users[role]["name"],
            "password": PASSWORD,
            "_csrf_token": csrf_token(form),
        },
    )
    assert response.status_code in (200, 302)
    return client
