"""The GraphQL schema as the descriptors make it, without a database."""

from ulid import ULID

from mdm.api.graphql import make_schema
from mdm.domains import DOMAINS


def test_every_domain_field_is_resolved_by_our_plain_resolver_not_strawberrys_wrapper():
    """bench/graphql_reads.py's figures rest on this: a strawberry upgrade that stops
    exposing its field back-references would fall back to its wrappers, slower, silently."""
    schema = make_schema()._schema
    for domain in DOMAINS:
        fields = schema.type_map[domain.label].fields  # type: ignore[union-attr]
        for f in domain.fields:
            name = "".join(p.title() if i else p for i, p in enumerate(f.name.split("_")))
            if f.kind == "ref":
                name = name.removesuffix("Id")
            resolve = fields[name].resolve
            assert resolve is not None
            assert resolve.__module__ == "mdm.api.graphql.schema", (domain.name, name, resolve)
        assert fields["crosswalks"].resolve.__module__ == "mdm.api.graphql.schema"


def test_long_query_texts_are_not_kept_in_the_prepared_cache():
    """The cache of prepared queries holds at most QUERY_CACHE texts of CACHED_CHARS each, so
    no run of distinct long queries makes a worker hold more than that."""
    from mdm.api import graphql as layer

    schema = make_schema()._schema
    short = f"{{ __typename }} # {ULID()}"  # a text no other test sent
    long = "{" + " " * layer.CACHED_CHARS + "__typename }"
    before = layer._prepared.cache_info().currsize
    assert not layer.prepared(schema, long).errors
    assert layer._prepared.cache_info().currsize == before
    assert layer.prepared(schema, short) is layer.prepared(schema, short)  # a short one is kept
    assert layer._prepared.cache_info().currsize == before + 1
