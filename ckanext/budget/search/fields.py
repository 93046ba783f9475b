"""How index fields are searched: the one place to declare a new field's behaviour.

Any field of the index document (CKAN's core fields, ``extras_*`` and bare extras keys, scheming
fields, ``vocab_*`` tags, and whatever ``before_dataset_index`` plugins add) can already be used in
``fq``, ``facet.field`` and ``sort`` as an exact string, like a Solr ``string`` field. Declare a
field here only to give it another behaviour:

- ``FULL_TEXT_WEIGHTS``: fields whose words feed free-text search (``q``), with their weight
  (A highest … D lowest), like Solr's copyField into ``text`` plus the ``qf`` boosts;
- ``TOKENIZED_FIELDS``: fields matched word by word in ``field:value`` terms, like Solr ``text``
  fields, instead of as an exact value.
"""

from __future__ import annotations

FULL_TEXT_WEIGHTS: dict[str, str] = {
    "name": "A",
    "title": "A",
    "tags": "B",
    "groups": "B",
    "organization": "B",
    "notes": "C",
    "res_name": "C",
    "res_description": "D",
    "author": "D",
    "maintainer": "D",
}
# Field-name prefixes whose fields all feed free-text search, with their weight.
FULL_TEXT_PREFIX_WEIGHTS: dict[str, str] = {
    "extras_": "D",
    "vocab_": "B",
}

TOKENIZED_FIELDS: frozenset[str] = frozenset(
    {"title", "notes", "res_name", "res_description", "author", "maintainer"}
)

# Solr's catch-all field: ``text:word`` and bare words search the full-text vector.
TEXT_FIELD = "text"

# Fields with a column of their own, because every search filters or sorts on them: reading
# them must not unpack the ``terms`` document of every row. ``permission_labels`` has one too.
COLUMN_FIELDS: frozenset[str] = frozenset(
    {"site_id", "state", "capacity", "dataset_type", "metadata_modified"}
)

# Not copied into ``terms``: the stored JSON dicts, and long texts matched word by word from the
# document itself. A small ``terms`` keeps filters and facets fast.
NOT_IN_TERMS: frozenset[str] = frozenset(
    {"data_dict", "validated_data_dict", "notes", "res_description"}
)


def full_text_weight(field: str) -> str | None:
    """The weight of ``field`` in free-text search, or None if it does not feed it."""
    if field in FULL_TEXT_WEIGHTS:
        return FULL_TEXT_WEIGHTS[field]
    for prefix, weight in FULL_TEXT_PREFIX_WEIGHTS.items():
        if field.startswith(prefix):
            return weight
    return None
