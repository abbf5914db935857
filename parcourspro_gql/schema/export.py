"""The exported SDL: types and fields sorted, so that diffs of schema.graphql stay readable."""

from __future__ import annotations

from graphql import lexicographic_sort_schema, print_schema

from parcourspro_gql.schema.schema import schema


def export_sdl() -> str:
    return print_schema(lexicographic_sort_schema(schema._schema)) + "\n"
