"""The query cost limit: what a document may ask for, counted before it runs.

Each field costs 1. The fields below a connection count once per item of the page it asks for: `first`
(20 when not given, at most 100, the page sizes the API serves). Connections inside connections multiply, so a
catalogue with the sessions of each training and the registrations of each session is counted for what it
would read. Introspection fields cost 1 and are not descended into (GraphiQL's schema query stays cheap;
production refuses introspection anyway). Fragments count where they are spread; sibling fragments on
different types all count (an upper bound). A document above BUDGET is refused before anything runs, with
the code QUERY_TOO_COMPLEX; every answer carries its cost in `extensions.cost`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import orjson
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    get_operation_ast,
)
from graphql.execution import ExecutionResult as GraphQLExecutionResult

from parcourspro_gql.engine.parsing import MAX_TOKENS, parse_document
from parcourspro_gql.loaders.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

BUDGET = 10_000


def _page(field: FieldNode, variables: Mapping[str, Any]) -> int:
    for argument in field.arguments or ():
        if argument.name.value != "first":
            continue
        value: Any = None
        if isinstance(argument.value, IntValueNode):
            value = int(argument.value.value)
        elif isinstance(argument.value, VariableNode):
            value = variables.get(argument.value.name.value)
        if isinstance(value, int):
            return max(0, min(value, MAX_PAGE_SIZE))
    return DEFAULT_PAGE_SIZE


def _french(number: int) -> str:
    """40 401: thousands separated by a space."""
    return f"{number:,}".replace(",", " ")


def _is_connection(type_: Any) -> bool:
    return (
        isinstance(type_, GraphQLObjectType) and type_.name.endswith("Connection") and "edges" in type_.fields
    )


class Coster:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables

    def of(
        self, selection_set: SelectionSetNode | None, parent: Any, seen: frozenset[str] = frozenset()
    ) -> int:
        if selection_set is None:
            return 0
        return sum(self._selection(selection, parent, seen) for selection in selection_set.selections or ())

    def _selection(self, selection: Any, parent: Any, seen: frozenset[str]) -> int:
        if isinstance(selection, FieldNode):
            return self._field(selection, parent, seen)
        if isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            target = self.schema.get_type(condition.name.value) if condition else parent
            return self.of(selection.selection_set, target, seen)
        if isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = self.fragments.get(name)
            if fragment is None or name in seen:  # validation refuses both; never loop
                return 0
            target = self.schema.get_type(fragment.type_condition.name.value)
            return self.of(fragment.selection_set, target, seen | {name})
        return 0

    def _field(self, field: FieldNode, parent: Any, seen: frozenset[str]) -> int:
        name = field.name.value
        if name.startswith("__") or not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return 1
        definition = parent.fields.get(name)
        if definition is None:
            return 1
        returned = get_named_type(definition.type)
        below = self.of(field.selection_set, returned, seen)
        return 1 + (_page(field, self.variables) * below if _is_connection(returned) else below)


def operation_cost(
    schema: GraphQLSchema, document: Any, operation_name: str | None, variables: Mapping[str, Any] | None
) -> int:
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return 0
    root = schema.get_root_type(operation.operation)
    fragments = {
        definition.name.value: definition
        for definition in document.definitions or ()
        if isinstance(definition, FragmentDefinitionNode)
    }
    return Coster(schema, fragments, variables or {}).of(operation.selection_set, root)


@lru_cache(maxsize=1024)
def _cached_cost(schema: GraphQLSchema, document: str, operation_name: str | None, variables: bytes) -> int:
    """Costs by document, operation and variables (as JSON): the same screens send the same queries again."""
    parsed = parse_document(document, max_tokens=MAX_TOKENS)  # the request's own parse, from its cache
    return operation_cost(schema, parsed, operation_name, orjson.loads(variables))


def _cost_of(context: Any) -> int:
    try:
        variables = orjson.dumps(context.variables or {}, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # variables JSON cannot hold (an upload): computed each time
        return operation_cost(
            context.schema._schema, context.graphql_document, context.operation_name, context.variables
        )
    return _cached_cost(context.schema._schema, context.query, context.operation_name, variables)


def limit_cost(context: Any) -> int:
    """The cost of the (parsed, valid) document that `context` is about to execute; above BUDGET, its result
    is set to the refusal, so that nothing runs."""
    cost = _cost_of(context)
    if cost > BUDGET:
        context.result = GraphQLExecutionResult(
            data=None,
            errors=[
                GraphQLError(
                    f"Requête trop coûteuse : {_french(cost)} pour un budget de {_french(BUDGET)}. "
                    "Demandez moins d'éléments par page (first) ou moins de listes imbriquées.",
                    extensions={"code": "QUERY_TOO_COMPLEX", "cost": cost, "budget": BUDGET},
                )
            ],
        )
    return cost


def cost_report(cost: int | None) -> dict[str, Any]:
    """What every answer carries in `extensions`."""
    return {} if cost is None else {"cost": {"requested": cost, "budget": BUDGET}}
