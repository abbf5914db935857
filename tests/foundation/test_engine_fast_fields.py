"""Which fields the engine answers without their resolver, and that none of them has a check or a resolver
that answering so would skip. And a shortcut that fails unexpectedly is logged once and raised in tests."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import strawberry
from strawberry.permission import BasePermission

from parcourspro_gql.engine import fallbacks
from parcourspro_gql.engine.execution import (
    ATTACHED,
    COMPUTED,
    LEAF,
    FastPathExecutionContext,
    attached,
    mark_fast_fields,
)
from parcourspro_gql.schema.schema import build_schema


def _fields(schema: Any) -> dict[str, Any]:
    """Every field of the object types, by `Type.graphqlName`, as strawberry declares it."""
    found = {}
    for type_name, graphql_type in schema._schema.type_map.items():
        definition = schema.get_type_by_name(type_name) if not type_name.startswith("__") else None
        for field in getattr(definition, "fields", ()) if hasattr(graphql_type, "fields") else ():
            found[f"{type_name}.{schema.config.name_converter.get_graphql_name(field)}"] = field
    return found


def test_the_fast_fields_are_the_expected_kinds():
    fast = build_schema(production=False).fast_fields
    # Plain attributes of scalar or enum type.
    assert {"Registration.status", "Registration.requestedAt", "Training.title", "Account.email"} <= set(
        fast.leaves
    )
    # Sync resolvers of `self` alone: the cursors, computed only when asked.
    assert {"RegistrationEdge.cursor", "PageInfo.endCursor"} <= set(fast.computed)
    # What a page attaches to its rows.
    assert {
        "Registration.session",
        "Registration.beneficiary",
        "Decision.by",
        "RegistrationEdge.node",
    } <= set(fast.attached)
    # Resolvers that read the request (the caller, loaders, settings) are never fast.
    everything = {*fast.leaves, *fast.computed, *fast.attached}
    assert not {"Registration.documents", "EmployerOverview.registrations", "Query.me"} & everything
    assert not [name for name in everything if name.startswith(("Query.", "Mutation."))]


def test_no_fast_field_skips_a_permission_an_extension_or_a_resolver():
    schema = build_schema(production=False)
    fast, fields = schema.fast_fields, _fields(schema)
    for name in (*fast.leaves, *fast.computed, *fast.attached):
        field = fields[name]
        assert not field.permission_classes, name
        assert not field.extensions, name
    for name in fast.leaves:
        assert fields[name].base_resolver is None, name
    for name in fast.computed:
        resolver = fields[name].base_resolver
        assert not resolver.is_async, name
        assert not resolver.arguments, name
    for name in fast.attached:
        # Either a plain attribute, or a resolver that declared it answers its attached attribute first.
        field = fields[name]
        assert field.base_resolver is None or (field.metadata or {}).get("parcourspro.attached"), name


class Deny(BasePermission):
    message = "non"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return False


@strawberry.type
class Item:
    name: str
    secret: str = strawberry.field(permission_classes=[Deny])

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()

    @strawberry.field
    def greeting(self, info: strawberry.Info) -> str:
        return f"bonjour {self.name}"

    @strawberry.field(metadata=attached("parent_obj"))
    def parent(self) -> Item | None:
        return None


@strawberry.type
class ItemQuery:
    @strawberry.field
    def item(self) -> Item:
        return Item(name="a", secret="s")


def test_a_field_with_a_permission_or_a_resolver_of_the_request_is_never_marked():
    schema = strawberry.Schema(query=ItemQuery, execution_context_class=FastPathExecutionContext)
    marked = mark_fast_fields(schema)
    item = schema._schema.type_map["Item"].fields
    assert set(marked.leaves) == {"Item.name"}
    assert set(marked.computed) == {"Item.shout"}
    assert set(marked.attached) == {"Item.parent"}
    assert not any(hasattr(item["secret"], mark) for mark in (LEAF, COMPUTED, ATTACHED))
    assert not any(hasattr(item["greeting"], mark) for mark in (LEAF, COMPUTED, ATTACHED))
    # And the permission still refuses, the fast fields beside it notwithstanding.
    result = schema.execute_sync("{ item { name shout secret } }")
    assert result.errors
    assert result.errors[0].message == "non"


class Broken:
    """A source whose attribute raises what no serialisation raises: a bug of the shortcut's kind."""

    @property
    def name(self) -> str:
        raise AttributeError("renamed")


@strawberry.type
class Named:
    name: str


@strawberry.type
class NamedQuery:
    @strawberry.field
    def named(self) -> Named:
        return Broken()  # type: ignore[return-value]


def test_an_unexpected_failure_raises_in_tests_and_is_logged_once_otherwise(caplog, monkeypatch):
    schema = strawberry.Schema(query=NamedQuery, execution_context_class=FastPathExecutionContext)
    mark_fast_fields(schema)
    result = schema.execute_sync("{ named { name } }")
    assert result.errors  # graphql-core turned the raise into an error of the answer...
    assert fallbacks.switch.failures == [
        "engine shortcut failed at leaf name: AttributeError('renamed')"
    ]  # ...and the suite fails the test that met it (tests/conftest.py)
    fallbacks.switch.failures.clear()

    monkeypatch.setattr(fallbacks.switch, "raise_in_tests", False)
    monkeypatch.setattr(fallbacks, "_LOGGED", set())
    caplog.set_level(logging.ERROR, logger="parcourspro_gql.engine")
    for _ in range(3):
        result = schema.execute_sync("{ named { name } }")
        # The normal way answers, as it would without the shortcut: the same error at the field.
        assert result.errors
        assert result.errors[0].path == ["named", "name"]
        assert "renamed" in result.errors[0].message
    assert [record.getMessage() for record in caplog.records if record.name == "parcourspro_gql.engine"] == [
        "engine shortcut failed, the normal way answers"
    ]
    assert fallbacks.switch.failures == []


@pytest.mark.parametrize("production", [True, False])
def test_the_api_schema_marks_fields_in_every_mode(production):
    assert build_schema(production=production).fast_fields.count > 100


def test_every_fast_leaf_serialises_as_its_type_does():
    """The engine's serialisers (an enum's as one dict lookup, strings and booleans passed as they are) answer
    what graphql-core and strawberry answer, and refuse what they refuse, for every member of every enum and
    for values of the wrong kind."""
    from graphql import GraphQLEnumType, get_nullable_type

    schema = build_schema(production=False)
    checked_enums = set()
    for graphql_type in schema._schema.type_map.values():
        for field in getattr(graphql_type, "fields", {}).values() if hasattr(graphql_type, "fields") else ():
            leaf = getattr(field, LEAF, None) or getattr(field, COMPUTED, None)
            if leaf is None:
                continue
            leaf_type = get_nullable_type(field.type)
            samples: list[Any] = ["text", "", True, False, 0, 7, 2**40, 1.5]
            if isinstance(leaf_type, GraphQLEnumType):
                checked_enums.add(leaf_type.name)
                samples += [*leaf_type.wrapped_cls, *(value.value for value in leaf_type.values.values())]
            for sample in samples:
                if leaf.passthrough is not None and sample.__class__ is leaf.passthrough:
                    assert leaf_type.serialize(sample) is sample, (leaf_type, sample)
                    continue
                try:
                    expected: Any = leaf_type.serialize(sample)
                except Exception as error:
                    with pytest.raises(type(error)):
                        leaf.serialize(sample)
                else:
                    assert leaf.serialize(sample) == expected, (leaf_type, sample)
    assert {"RegistrationStatus", "RegistrationCategory", "Role"} <= checked_enums
