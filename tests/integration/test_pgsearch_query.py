"""package_search and friends answered by budget_pgsearch, through CKAN's actions."""

from __future__ import annotations

import pytest
from ckan import model
from ckan.lib import search
from ckan.tests import factories
from ckan.tests.helpers import call_action

pytestmark = [
    pytest.mark.integration,
    pytest.mark.usefixtures("with_plugins", "clean_db", "clean_index"),
]


def _names(result: dict) -> list[str]:
    return [dataset["name"] for dataset in result["results"]]


def _search(**params) -> dict:
    return call_action("package_search", **params)


@pytest.fixture(autouse=True)
def same_random_texts() -> None:
    """The factories' random titles and notes (English words, "budget" among them) are the
    same at every run: a query matching one of them would fail every time, not once in a
    while."""
    factories.fake.seed_instance(20261206)


@pytest.fixture
def org():
    return factories.Organization(name="gironde", title="Département de la Gironde")


class TestFreeText:
    def test_french_stemming_finds_singular_from_plural(self, org):
        factories.Dataset(name="bp-2024", title="Budget primitif 2024", owner_org=org["id"])
        factories.Dataset(name="other", title="Horaires des piscines", owner_org=org["id"])
        assert _names(_search(q="budgets primitifs")) == ["bp-2024"]

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("name", "compte-administratif"),
            ("title", "Compte administratif"),
            ("notes", "Compte administratif"),
        ],
    )
    def test_q_searches_core_fields(self, org, field, value):
        dataset = {"name": "some-dataset", "title": "Sans rapport", "notes": "Rien"}
        dataset[field] = value
        factories.Dataset(owner_org=org["id"], **dataset)
        factories.Dataset(name="unrelated", title="Horaires", owner_org=org["id"])
        assert _names(_search(q="administratif")) == [dataset["name"]]

    def test_q_searches_tags_and_extras(self, org):
        factories.Dataset(name="tagged", tags=[{"name": "fiscalité"}], owner_org=org["id"])
        factories.Dataset(
            name="with-extra",
            extras=[{"key": "source", "value": "Trésorerie municipale"}],
            owner_org=org["id"],
        )
        factories.Dataset(name="neither", owner_org=org["id"])
        assert _names(_search(q="fiscalité")) == ["tagged"]
        assert _names(_search(q="trésorerie")) == ["with-extra"]

    def test_all_words_are_required(self, org):
        factories.Dataset(name="both", title="Budget annexe eau", owner_org=org["id"])
        factories.Dataset(name="one", title="Budget annexe transports", owner_org=org["id"])
        assert _names(_search(q="budget eau")) == ["both"]

    def test_fielded_terms_and_match_all(self, org):
        factories.Dataset(
            name="eau", title="Budget eau", tags=[{"name": "eau"}], owner_org=org["id"]
        )
        factories.Dataset(name="transports", title="Budget transports", owner_org=org["id"])
        assert _names(_search(q="tags:eau")) == ["eau"]
        assert _names(_search(q="name:transports")) == ["transports"]
        assert _names(_search(q="title:transports")) == ["transports"]
        assert _names(_search(q="budget -tags:eau")) == ["transports"]
        assert sorted(_names(_search(q="*:*"))) == ["eau", "transports"]

    def test_prefixes_wildcards_and_ranges(self, org):
        factories.Dataset(
            name="with-csv",
            title="Budget eau",
            owner_org=org["id"],
            resources=[{"url": "http://example.org/a.csv", "format": "CSV"}],
        )
        factories.Dataset(name="no-resource", title="Horaires", owner_org=org["id"])
        assert _names(_search(q="budg*")) == ["with-csv"]
        assert _names(_search(q="res_format:*")) == ["with-csv"]
        assert _names(_search(q="name:with-*")) == ["with-csv"]
        assert len(_names(_search(q="metadata_modified:[2000-01-01T00:00:00Z TO NOW]"))) == 2
        assert _names(_search(q="metadata_modified:[* TO 2000-01-01T00:00:00Z]")) == []

    def test_relevance_puts_title_matches_first(self, org):
        factories.Dataset(
            name="in-notes", title="Annexe", notes="Parle de la dette", owner_org=org["id"]
        )
        factories.Dataset(name="in-title", title="Dette", notes="Encours", owner_org=org["id"])
        assert _names(_search(q="dette", sort="score desc")) == ["in-title", "in-notes"]


class TestFilters:
    def test_fq_on_each_facet_field(self, org):
        other_org = factories.Organization(name="montreuil")
        group = factories.Group(name="finances")
        factories.Dataset(
            name="aa",
            owner_org=org["id"],
            tags=[{"name": "dette"}],
            license_id="odc-odbl",
            groups=[{"name": group["name"]}],
            resources=[{"url": "http://example.org/a.xml", "format": "XML"}],
        )
        factories.Dataset(
            name="bb",
            owner_org=other_org["id"],
            tags=[{"name": "eau"}],
            license_id="cc-by",
            resources=[{"url": "http://example.org/b.csv", "format": "CSV"}],
        )
        assert _names(_search(fq='organization:"gironde"')) == ["aa"]
        assert _names(_search(fq=f'owner_org:"{other_org["id"]}"')) == ["bb"]
        assert _names(_search(fq='groups:"finances"')) == ["aa"]
        assert _names(_search(fq='tags:"eau"')) == ["bb"]
        assert _names(_search(fq='res_format:"CSV"')) == ["bb"]
        assert _names(_search(fq='license_id:"odc-odbl"')) == ["aa"]
        assert _names(_search(fq='+dataset_type:dataset +tags:"dette"')) == ["aa"]
        assert _names(_search(fq_list=['organization:"gironde"', 'tags:"eau"'])) == []
        assert sorted(_names(_search(fq="tags:(eau OR dette)"))) == ["aa", "bb"]

    def test_dataset_type_and_scheming_fields(self, org):
        factories.Dataset(
            name="budget-montreuil",
            type="budget",
            owner_org=org["id"],
            collectivite="Commune de Montreuil",
            nomenclature="M57-M57",
        )
        factories.Dataset(name="plain-dataset", owner_org=org["id"])
        assert _names(_search(fq="+dataset_type:budget")) == ["budget-montreuil"]
        assert _names(_search(fq='collectivite:"Commune de Montreuil"')) == ["budget-montreuil"]
        assert _names(_search(q="nomenclature:M57-M57")) == ["budget-montreuil"]
        facets = _search(**{"facet.field": ["nomenclature"]})["facets"]
        assert facets == {"nomenclature": {"M57-M57": 1}}

    def test_deleted_and_draft_datasets_are_hidden(self, org):
        factories.Dataset(name="active", owner_org=org["id"])
        deleted = factories.Dataset(name="deleted", owner_org=org["id"])
        call_action("package_delete", id=deleted["id"])
        factories.Dataset(name="draft", state="draft", owner_org=org["id"])
        assert _names(_search()) == ["active"]
        assert sorted(_names(_search(include_drafts=True))) == ["active", "draft"]

    def test_invalid_filter_is_a_query_error(self, org):
        with pytest.raises(search.SearchQueryError):
            _search(fq="tags:(eau")


class TestPermissionLabels:
    @pytest.fixture
    def private_dataset(self, org):
        factories.Dataset(name="public-one", owner_org=org["id"])
        return factories.Dataset(name="private-one", private=True, owner_org=org["id"])

    def _visible_to(self, user) -> list[str]:
        context = {"user": user["name"] if user else "", "ignore_auth": False}
        if user:
            context["auth_user_obj"] = model.User.get(user["name"])
        result = call_action("package_search", context=context, include_private=True)
        return sorted(_names(result))

    def test_anonymous_and_non_member_do_not_see_private_datasets(self, private_dataset):
        assert self._visible_to(None) == ["public-one"]
        assert self._visible_to(factories.User()) == ["public-one"]

    def test_member_and_sysadmin_see_private_datasets(self, org, private_dataset):
        member = factories.User()
        call_action(
            "organization_member_create", id=org["id"], username=member["name"], role="member"
        )
        assert self._visible_to(member) == ["private-one", "public-one"]
        assert self._visible_to(factories.Sysadmin()) == ["private-one", "public-one"]

    def test_private_datasets_need_include_private(self, private_dataset):
        assert _names(_search()) == ["public-one"]


class TestFacets:
    def test_counts_limit_and_mincount(self, org):
        for index, tags in enumerate([["eau", "dette"], ["eau"], ["eau", "voirie"]]):
            factories.Dataset(
                name=f"d{index}",
                owner_org=org["id"],
                tags=[{"name": tag} for tag in tags],
                resources=[
                    {"url": "http://x.org/1.csv", "format": "CSV"},
                    {"url": "http://x.org/2.csv", "format": "CSV"},
                ],
            )
        result = _search(**{"facet.field": ["tags", "res_format", "organization"]})
        assert result["facets"]["tags"] == {"eau": 3, "dette": 1, "voirie": 1}
        # a dataset with two CSV resources counts once
        assert result["facets"]["res_format"] == {"CSV": 3}
        assert result["facets"]["organization"] == {"gironde": 3}
        items = {i["name"]: i for i in result["search_facets"]["organization"]["items"]}
        assert items["gironde"]["display_name"] == "Département de la Gironde"

        limited = _search(**{"facet.field": ["tags"], "facet.limit": 1})
        assert limited["facets"]["tags"] == {"eau": 3}
        frequent = _search(**{"facet.field": ["tags"], "facet.mincount": 2})
        assert frequent["facets"]["tags"] == {"eau": 3}

    def test_facets_follow_the_query(self, org):
        # Fixed notes: the factory's random English text sometimes holds "budget".
        factories.Dataset(
            name="aa", title="Budget", notes="", tags=[{"name": "eau"}], owner_org=org["id"]
        )
        factories.Dataset(
            name="bb", title="Horaires", notes="", tags=[{"name": "sport"}], owner_org=org["id"]
        )
        result = _search(q="budget", **{"facet.field": ["tags"]})
        assert result["facets"] == {"tags": {"eau": 1}}


class TestSortingAndPaging:
    @pytest.fixture
    def datasets(self, org):
        # created in this order, so metadata_created/modified increase
        return [
            factories.Dataset(name=name, title=title, owner_org=org["id"])
            for name, title in [("bravo", "charlie"), ("alpha", "Bravo"), ("charlie", "alpha")]
        ]

    @pytest.mark.parametrize(
        ("sort", "expected"),
        [
            ("name asc", ["alpha", "bravo", "charlie"]),
            ("name desc", ["charlie", "bravo", "alpha"]),
            ("title_string asc", ["charlie", "alpha", "bravo"]),
            ("title_string desc", ["bravo", "alpha", "charlie"]),
            ("metadata_modified desc", ["charlie", "alpha", "bravo"]),
            ("metadata_modified asc", ["bravo", "alpha", "charlie"]),
            ("metadata_created desc", ["charlie", "alpha", "bravo"]),
            ("score desc, metadata_modified desc", ["charlie", "alpha", "bravo"]),
        ],
    )
    def test_sort(self, datasets, sort, expected):
        assert _names(_search(sort=sort)) == expected

    def test_invalid_sort_is_a_query_error(self, datasets):
        with pytest.raises(search.SearchQueryError):
            _search(sort="name sideways")

    def test_paging(self, datasets):
        first = _search(sort="name asc", rows=2, start=0)
        second = _search(sort="name asc", rows=2, start=2)
        assert (first["count"], second["count"]) == (3, 3)
        assert _names(first) == ["alpha", "bravo"]
        assert _names(second) == ["charlie"]

    def test_rows_zero_counts_without_results(self, datasets):
        result = _search(rows=0, **{"facet.field": ["organization"]})
        assert result["count"] == 3
        assert result["results"] == []
        assert result["facets"] == {"organization": {"gironde": 3}}

    def test_fl_returns_requested_fields(self, datasets):
        result = _search(fl=["name", "title"], sort="name asc", rows=1)
        assert result["results"] == [{"name": "alpha", "title": "Bravo"}]


class TestCountsAndOtherCallers:
    def test_organization_and_group_dataset_counts(self, org):
        group = factories.Group(name="finances")
        factories.Dataset(name="aa", owner_org=org["id"], groups=[{"name": group["name"]}])
        factories.Dataset(name="bb", owner_org=org["id"])
        orgs = call_action("organization_list", all_fields=True)
        assert {o["name"]: o["package_count"] for o in orgs} == {"gironde": 2}
        groups = call_action("group_list", all_fields=True)
        assert {g["name"]: g["package_count"] for g in groups} == {"finances": 1}

    def test_package_show_reads_the_database(self, org):
        dataset = factories.Dataset(name="aa", title="Before", owner_org=org["id"])
        call_action("package_patch", id=dataset["id"], title="After")
        assert call_action("package_show", id="aa")["title"] == "After"
        assert _names(_search(q="after")) == ["aa"]
        assert _names(_search(q="before")) == []

    def test_tag_show_lists_its_datasets(self, org):
        factories.Dataset(name="aa", owner_org=org["id"], tags=[{"name": "eau"}])
        tag = call_action("tag_show", id="eau", include_datasets=True)
        assert [d["name"] for d in tag["packages"]] == ["aa"]

    def test_rebuild_clear_and_commit(self, org):
        factories.Dataset(name="aa", owner_org=org["id"])
        search.clear_all()
        assert _search()["count"] == 0
        search.rebuild()
        search.commit()
        assert _names(_search()) == ["aa"]
        assert search.show("aa")["name"] == "aa"

    def test_purged_dataset_leaves_the_index(self, org):
        dataset = factories.Dataset(name="aa", owner_org=org["id"])
        call_action("dataset_purge", id=dataset["id"])
        assert _search()["count"] == 0

    def test_organization_bulk_actions_reindex(self, org):
        dataset = factories.Dataset(name="aa", owner_org=org["id"])
        call_action("bulk_update_private", datasets=[dataset["id"]], org_id=org["id"])
        assert _search()["count"] == 0
        assert _names(_search(include_private=True)) == ["aa"]
        call_action("bulk_update_delete", datasets=[dataset["id"]], org_id=org["id"])
        assert _search(include_private=True)["count"] == 0
