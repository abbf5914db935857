"""Every private or undocumented internal of strawberry and graphql-core that the engine (and the view's short
path in app.py) relies on, named here with the signature or the attribute it must have. An upgrade of either
(pinned exactly in pyproject.toml) fails here first, with the name of what moved, rather than in a shortcut
that would quietly answer otherwise."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import pytest
import strawberry
from graphql import GraphQLResolveInfo, specified_rules
from graphql.execution import executor as graphql_executor
from graphql.execution.collect_fields import FieldDetails
from graphql.execution.values import get_argument_values, get_variable_values
from graphql.pyutils import Path, gather_with_cancel
from graphql.type.definition import GraphQLResolveInfoHelpers
from strawberry.execution import optimized_is_awaitable
from strawberry.extensions import SchemaExtension
from strawberry.extensions.max_aliases import create_validator as create_alias_rule
from strawberry.extensions.query_depth_limiter import create_validator as create_depth_rule
from strawberry.http.async_base_view import AsyncBaseHTTPView
from strawberry.schema.name_converter import NameConverter
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext, validate_document
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types import ExecutionContext
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField
from strawberry.types.fields.resolver import StrawberryResolver
from strawberry.types.graphql import OperationType
from strawberry.types.info import Info
from strawberry.utils.str_converters import to_camel_case

from parcourspro_gql.engine.execution import FastPathExecutionContext
from parcourspro_gql.schema.registrations.types import Registration
from parcourspro_gql.schema.relay import Edge
from parcourspro_gql.schema.schema import build_schema

# graphql-core's executor: the methods the engine overrides or calls, with their parameters (self first).
EXECUTOR_METHODS = {
    "execute_fields": [
        "self",
        "parent_type",
        "source_value",
        "path",
        "grouped_field_set",
        "position_context",
    ],
    "execute_field": ["self", "parent_type", "source", "field_details_list", "path", "position_context"],
    "complete_awaitable_value": [
        "self",
        "return_type",
        "field_details_list",
        "info",
        "path",
        "result",
        "position_context",
    ],
    "collect_and_execute_subfields": [
        "self",
        "return_type",
        "field_details_list",
        "path",
        "result",
        "position_context",
    ],
    "build_resolve_info": ["self", "field_def", "field_nodes", "parent_type", "path"],
    "complete_value": [
        "self",
        "return_type",
        "field_details_list",
        "info",
        "path",
        "result",
        "position_context",
    ],
    "handle_field_error": ["self", "raw_error", "return_type", "field_details_list", "path"],
    "settle_in_background": ["self", "awaitables"],
    "with_abort_signal": ["self", "awaitable"],
    "is_awaitable": ["value"],
}

# Functions, with their parameters.
FUNCTIONS: list[tuple[str, Any, list[str]]] = [
    ("graphql.execution.executor.to_nodes", graphql_executor.to_nodes, ["field_details_list"]),
    ("graphql.pyutils.gather_with_cancel", gather_with_cancel, ["awaitables"]),
    ("graphql.pyutils.Path", Path, ["prev", "key", "typename"]),
    (
        "strawberry.schema.schema.validate_document",
        validate_document,
        ["schema", "document", "validation_rules"],
    ),
    ("strawberry max_aliases.create_validator", create_alias_rule, ["max_alias_count"]),
    (
        "strawberry query_depth_limiter.create_validator",
        create_depth_rule,
        ["max_depth", "should_ignore", "callback"],
    ),
    ("strawberry.utils.str_converters.to_camel_case", to_camel_case, ["snake_str"]),
    ("NameConverter.apply_naming_config", NameConverter.apply_naming_config, ["self", "name"]),
    # The view's short path (app.py) runs these steps of strawberry's view itself.
    ("AsyncBaseHTTPView.get_sub_response", AsyncBaseHTTPView.get_sub_response, ["self", "request"]),
    (
        "AsyncBaseHTTPView.execute_single",
        AsyncBaseHTTPView.execute_single,
        ["self", "request", "request_adapter", "sub_response", "context", "root_value", "request_data"],
    ),
    ("AsyncBaseHTTPView.process_result", AsyncBaseHTTPView.process_result, ["self", "request", "result"]),
    (
        "AsyncBaseHTTPView._handle_errors",
        AsyncBaseHTTPView._handle_errors,
        ["self", "errors", "response_data"],
    ),
    (
        "AsyncBaseHTTPView.create_response",
        AsyncBaseHTTPView.create_response,
        ["self", "response_data", "sub_response"],
    ),
    ("AsyncBaseHTTPView.run", AsyncBaseHTTPView.run, ["self", "request", "context", "root_value"]),
    ("AsyncBaseHTTPView.get_context", AsyncBaseHTTPView.get_context, ["self", "request", "response"]),
    # The operation plans (engine/operations.py): ParcoursProSchema.execute overrides strawberry's, and a plan
    # coerces variables and arguments as graphql-core's executor does.
    (
        "strawberry.Schema.execute",
        strawberry.Schema.execute,
        [
            "self",
            "query",
            "variable_values",
            "context_value",
            "root_value",
            "operation_name",
            "allowed_operation_types",
            "operation_extensions",
        ],
    ),
    ("strawberry.execution.optimized_is_awaitable", optimized_is_awaitable, ["value"]),
    (
        "graphql.execution.values.get_variable_values",
        get_variable_values,
        ["schema", "var_def_nodes", "inputs", "max_errors", "hide_suggestions"],
    ),
    (
        "graphql.execution.values.get_argument_values",
        get_argument_values,
        ["type_def", "node", "variable_values", "fragment_variable_values", "hide_suggestions"],
    ),
]


def _parameters(function: Any) -> list[str]:
    return list(inspect.signature(function).parameters)


def test_the_engine_extends_strawberrys_execution_context_of_graphql_core():
    assert issubclass(FastPathExecutionContext, StrawberryGraphQLCoreExecutionContext)
    assert graphql_executor.Executor in StrawberryGraphQLCoreExecutionContext.__mro__


@pytest.mark.parametrize("name", sorted(EXECUTOR_METHODS))
def test_graphql_cores_executor_methods(name):
    method = getattr(graphql_executor.Executor, name)
    assert _parameters(method) == EXECUTOR_METHODS[name], f"graphql-core's Executor.{name} changed"
    overridden = FastPathExecutionContext.__dict__.get(name)
    if overridden is not None:  # our override takes exactly what graphql-core passes
        assert _parameters(overridden) == EXECUTOR_METHODS[name], name


@pytest.mark.parametrize(("name", "function", "parameters"), FUNCTIONS, ids=[row[0] for row in FUNCTIONS])
def test_functions(name, function, parameters):
    assert _parameters(function) == parameters, f"{name} changed"


def test_attributes_the_engine_reads():
    # FieldDetails (":meta private:"): a field node with its defer usage.
    assert FieldDetails._fields[:2] == ("node", "defer_usage")
    # The executor's fragments, read when planning.
    assert "fragment_definitions" in inspect.signature(graphql_executor.Executor.__init__).parameters or (
        "fragment_definitions" in getattr(graphql_executor.Executor, "__annotations__", {})
        or "fragment_definitions" in inspect.getsource(graphql_executor.Executor.__init__)
    )
    # strawberry's execution context: what the guards set before strawberry parses and validates.
    fields = {field.name for field in dataclasses.fields(ExecutionContext)}
    assert {
        "query",
        "graphql_document",
        "pre_execution_errors",
        "parse_options",
        "validation_rules",
    } <= fields
    assert {"variables", "result", "context", "schema"} <= fields
    assert isinstance(ExecutionContext.operation_name, property)
    # Fields and resolvers, as mark_fast_fields reads them.
    for attribute in ("is_basic_field", "permission_classes", "extensions", "base_resolver", "python_name"):
        assert hasattr(StrawberryField, attribute) or attribute in inspect.getsource(StrawberryField.__init__)
    for attribute in ("is_async", "arguments"):
        assert hasattr(StrawberryResolver, attribute), attribute
    assert (
        hasattr(StrawberryObjectDefinition, "fields")
        or "fields" in StrawberryObjectDefinition.__annotations__
    )
    # A schema extension's `resolve` hook: the fast paths stand down when one overrides it.
    assert "resolve" in SchemaExtension.__dict__
    # info._raw_info: graphql-core's resolve info behind strawberry's Info (registrations' asked fields).
    assert "_raw_info" in inspect.signature(Info.__init__).parameters or "_raw_info" in Info.__annotations__


@strawberry.type
class Probe:
    name: str

    @strawberry.field
    def computed(self) -> str:
        return self.name


@strawberry.type
class ProbeQuery:
    @strawberry.field
    def probe(self) -> Probe:
        return Probe(name="x")


def test_strawberry_marks_its_default_resolver_and_keeps_its_graphql_core_schema():
    schema = strawberry.Schema(query=ProbeQuery)
    fields = schema._schema.type_map["Probe"].fields
    # A plain field's resolver is strawberry's default one, marked so (what makes a leaf "plain").
    assert getattr(fields["name"].resolve, "_is_default", False) is True
    assert not getattr(fields["computed"].resolve, "_is_default", False)
    definition = schema.get_type_by_name("Probe")
    resolver = definition.fields[1].base_resolver
    assert (resolver.is_async, resolver.arguments) == (False, [])
    assert list(inspect.signature(resolver.wrapped_func).parameters) == ["self"]
    assert [field.python_name for field in definition.fields] == ["name", "computed"]
    assert schema.config.name_converter.get_graphql_name(definition.fields[0]) == "name"


def test_a_graphql_type_keeps_the_strawberry_definition_it_was_built_from():
    """Row plans find a type's Fields (ROW_FIELDS) on the class behind its definition, which strawberry keeps
    in the GraphQL type's extensions; a generic type's specialisation (an edge of registrations) inherits it."""
    schema = build_schema(production=False)
    key = GraphQLCoreConverter.DEFINITION_BACKREF
    for name, owner in (("Registration", Registration), ("RegistrationEdge", Edge)):
        definition = schema._schema.type_map[name].extensions[key]
        assert isinstance(definition, StrawberryObjectDefinition)
        assert issubclass(definition.origin, owner)
        assert getattr(definition.origin, "ROW_FIELDS", None) is owner.ROW_FIELDS


def test_an_object_types_is_type_of_reads_only_the_value():
    """The fast path calls is_type_of(value, None): strawberry's must not need the resolve info."""
    schema = build_schema(production=False)
    registration = schema._schema.type_map["Registration"]
    assert registration.is_type_of is not None
    assert registration.is_type_of(object(), None) is False
    # Its second parameter is unused (strawberry names it `_info`).
    assert list(inspect.signature(registration.is_type_of).parameters) == ["obj", "_info"]


def test_the_resolve_info_that_an_operation_plan_builds():
    """engine/operations.py builds graphql-core's resolve info by its fields' names, its helpers by position,
    and compares strawberry's own enum of operation types (not graphql-core's)."""
    assert GraphQLResolveInfo._fields == (
        "field_name",
        "field_nodes",
        "return_type",
        "parent_type",
        "path",
        "schema",
        "fragments",
        "root_value",
        "operation",
        "variable_values",
        "context",
        "is_awaitable",
        "abort_signal",
        "async_helpers",
    )
    assert GraphQLResolveInfoHelpers._fields == ("gather", "track")
    assert OperationType.QUERY.value == "query"


def test_strawberrys_default_validation_rules_are_graphql_cores():
    """passed_guards validates a planned query with graphql-core's specified rules, which RequestGuards finds
    as strawberry's default: the same rules, hence the same answer and one cache entry."""
    assert ExecutionContext(
        query="{ __typename }", schema=None, allowed_operations=()
    ).validation_rules == tuple(specified_rules)
