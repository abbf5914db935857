"""Every type, field, argument and enum value of the public schema has a description (what a schema linter
counts), and every `first` says its default and its maximum."""

from __future__ import annotations

import re

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    build_schema,
)

from parcourspro_gql.schema.descriptions import BUILT_IN
from parcourspro_gql.schema.export import export_sdl


def undescribed() -> tuple[list[str], list[str]]:
    """(what has no description, the `first` arguments that do not say 20 and 100), as Type.field(argument)."""
    schema = build_schema(export_sdl())
    missing: list[str] = []
    first: list[str] = []
    for name, graphql_type in schema.type_map.items():
        if name.startswith("__") or name in BUILT_IN:
            continue
        if not graphql_type.description:
            missing.append(name)
        if isinstance(graphql_type, GraphQLEnumType):
            missing += [
                f"{name}.{value}" for value, item in graphql_type.values.items() if not item.description
            ]
        if not isinstance(graphql_type, GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType):
            continue
        for field_name, field in graphql_type.fields.items():
            if not field.description:
                missing.append(f"{name}.{field_name}")
            for argument_name, argument in getattr(field, "args", {}).items():
                where = f"{name}.{field_name}({argument_name})"
                if not argument.description:
                    missing.append(where)
                elif argument_name == "first" and not {"20", "100"} <= set(
                    re.findall(r"\d+", argument.description)
                ):
                    first.append(where)
    return missing, first


def test_every_part_of_the_schema_is_described():
    missing, _ = undescribed()
    assert missing == [], (
        f"{len(missing)} without a description (schema/descriptions.py or inline): {missing}"
    )


def test_every_first_argument_says_its_default_and_maximum():
    _, first = undescribed()
    assert first == []
