"""The query limits, measured before anything else walks a document: depth, aliases and cost.

Cost: each field costs 1. The fields below a connection count once per item of the page it asks for: `first`
(20 when not given, at most 100, the page sizes the API serves), from the literal, or from the variable's value
in the request, or from its default in the operation (X2). Connections inside connections multiply, so a
catalogue with the sessions of each training and the registrations of each session is counted for what it
would read. Introspection fields cost 1 and are not descended into (GraphiQL's schema query stays cheap;
production refuses introspection anyway). Fragments count where they are spread; sibling fragments on
different types all count (an upper bound). A document above BUDGET is refused before anything runs, with
the code QUERY_TOO_COMPLEX; every answer carries its cost in `extensions.cost`.

Depth (graphql-depth-limit's count, as strawberry's QueryDepthLimiter: top-level fields are at 0,
introspection fields are not counted) and aliases (strawberry's MaxAliasesLimiter's count: every aliased field,
fragments counted where they are spread) replace strawberry's two rules, which walk a fragment again at each
of its spreads: `fragment Fi on Query { ...Fi+1 ...Fi+1 }` doubled their work per level (X1).

Here every walk is bounded by the document's size, whatever its shape: each fragment is measured once, after
the fragments it spreads (in an explicit dependency order, not by recursion along the chain of spreads), and
its spreads then read its measure. Within one fragment or operation, recursion follows the nesting of
selections, which the parser bounds (200 levels). Measures saturate at CAP, so that the numbers an attacker
can make grow (2^n spreads) stay small integers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    FieldNode,
    FloatValueNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    get_named_type,
)
from graphql.execution import ExecutionResult as GraphQLExecutionResult

from parcourspro_gql.engine.parsing import documents
from parcourspro_gql.loaders.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

BUDGET = 10_000
MAX_DEPTH = 10
MAX_ALIASES = 15
# Fields of one response key at one place, once fragments are merged, and fields in all: see _merged_error.
MAX_SAME_KEY = 10
MAX_FIELDS = 1_000
# Above every limit: a measure is never needed more precisely than "over the limit".
CAP = 10**9
# Costs cached per document, one per set of variables: a bound, since variables are the client's to vary.
MAX_COSTS_PER_DOCUMENT = 32


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }


def _spreads(selection_set: SelectionSetNode | None) -> list[str]:
    """The names of the fragments spread anywhere in `selection_set` (walked without recursion)."""
    names: list[str] = []
    pending = [selection_set] if selection_set is not None else []
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                names.append(selection.name.value)
            elif (
                isinstance(selection, FieldNode | InlineFragmentNode) and selection.selection_set is not None
            ):
                pending.append(selection.selection_set)
    return names


def dependency_order(fragments: Mapping[str, FragmentDefinitionNode]) -> list[str]:
    """The fragments' names, each after every fragment it spreads. A cycle (refused by shape_errors) is
    broken where it closes; spreads of unknown fragments are ignored."""
    return _order(fragments)[0]


def _order(fragments: Mapping[str, FragmentDefinitionNode]) -> tuple[list[str], str | None]:
    """(dependency order, the name of a fragment that spreads itself through others, if any)."""
    below = {name: _spreads(definition.selection_set) for name, definition in fragments.items()}
    order: list[str] = []
    seen: set[str] = set()
    cyclic: str | None = None
    for root in fragments:
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(below[root]))]
        on_path = {root}
        while stack:
            name, children = stack[-1]
            for child in children:
                if child in on_path and cyclic is None:
                    cyclic = child
                if child in fragments and child not in seen:
                    seen.add(child)
                    on_path.add(child)
                    stack.append((child, iter(below[child])))
                    break
            else:
                stack.pop()
                on_path.discard(name)
                order.append(name)
    return order, cyclic


def _each_fragment(
    fragments: Mapping[str, FragmentDefinitionNode],
    measure: Callable[[FragmentDefinitionNode, dict[str, int]], int],
    measured: dict[str, int] | None = None,
) -> dict[str, int]:
    """`measure` of every fragment, in dependency order, into `measured`, which `measure` is handed to read
    its spreads' values from (a spread of a fragment not measured yet, which only a cycle makes, counts 0)."""
    measured = {} if measured is None else measured
    for name in dependency_order(fragments):
        measured[name] = measure(fragments[name], measured)
    return measured


# Depth and aliases: of the document alone, cached with it.


def _depth(selection_set: SelectionSetNode, fragments: Mapping[str, int]) -> int:
    deepest = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.selection_set is None or selection.name.value.startswith("__"):
                continue
            depth = 1 + _depth(selection.selection_set, fragments)
        elif isinstance(selection, InlineFragmentNode):
            depth = _depth(selection.selection_set, fragments)
        elif isinstance(selection, FragmentSpreadNode):
            depth = fragments.get(selection.name.value, 0)
        else:
            continue
        deepest = max(deepest, depth)
    return deepest


def _aliases(selection_set: SelectionSetNode, fragments: Mapping[str, int]) -> int:
    count = 0
    for selection in selection_set.selections:
        if isinstance(selection, FragmentSpreadNode):
            count += fragments.get(selection.name.value, 0)
            continue
        if isinstance(selection, FieldNode) and selection.alias is not None:
            count += 1
        if isinstance(selection, FieldNode | InlineFragmentNode) and selection.selection_set is not None:
            count += _aliases(selection.selection_set, fragments)
    return min(count, CAP)


def _too_complex(message: str, node: Any = None) -> GraphQLError:
    return GraphQLError(message, node, extensions={"code": "QUERY_TOO_COMPLEX"})


def _merged_error(
    operation: OperationDefinitionNode, fragments: Mapping[str, FragmentDefinitionNode]
) -> GraphQLError | None:
    """Walks the operation's fields as execution merges them (the fields of one response key, at one place,
    with those of the fragments and inline fragments there), and refuses more than MAX_SAME_KEY fields under
    one key at one place: graphql-core's OverlappingFieldsCanBeMerged compares them pair by pair, and their
    sub-selections too (300 `me { ... }` side by side took 0.8 s). The walk stops past MAX_FIELDS fields, a
    refusal too: fragments must not make a document larger than its text could be without them."""
    fields = 0
    pending: list[list[SelectionSetNode]] = [[operation.selection_set]]
    while pending:
        by_key: dict[str, list[SelectionSetNode | None]] = {}
        spread: set[str] = set()  # a fragment spread twice at one place is collected once
        stack = pending.pop()
        while stack:
            for selection in stack.pop().selections:
                if isinstance(selection, FieldNode):
                    key = (selection.alias or selection.name).value
                    by_key.setdefault(key, []).append(selection.selection_set)
                    fields += 1
                elif isinstance(selection, InlineFragmentNode):
                    stack.append(selection.selection_set)
                elif (
                    isinstance(selection, FragmentSpreadNode)
                    and selection.name.value not in spread
                    and selection.name.value in fragments
                ):
                    spread.add(selection.name.value)
                    stack.append(fragments[selection.name.value].selection_set)
        if fields > MAX_FIELDS:
            return _too_complex(
                f"Requête trop grande : plus de {MAX_FIELDS} champs une fois les fragments dépliés.",
                operation,
            )
        for key, selection_sets in by_key.items():
            if len(selection_sets) > MAX_SAME_KEY:
                return _too_complex(
                    f"Le champ « {key} » est demandé {len(selection_sets)} fois au même endroit "
                    f"({MAX_SAME_KEY} au plus).",
                    operation,
                )
            below = [selection_set for selection_set in selection_sets if selection_set is not None]
            if below:
                pending.append(below)
    return None


def shape_errors(document: DocumentNode) -> list[GraphQLError]:
    """The document's operations deeper than MAX_DEPTH, and its aliases when more than MAX_ALIASES (the
    messages of strawberry's rules, which these replace); a fragment cycle (graphql-core's message: its
    rules would meet it in the same pass as the others); fields merged beyond MAX_SAME_KEY or MAX_FIELDS."""
    fragments = _fragments(document)
    order, cyclic = _order(fragments)
    if cyclic is not None:
        return [GraphQLError(f"Cannot spread fragment '{cyclic}' within itself.", fragments[cyclic])]
    depths: dict[str, int] = {}
    aliases: dict[str, int] = {}
    for name in order:
        depths[name] = _depth(fragments[name].selection_set, depths)
        aliases[name] = _aliases(fragments[name].selection_set, aliases)
    errors: list[GraphQLError] = []
    total_aliases = 0
    for operation in _operations(document):
        name = operation.name.value if operation.name else "anonymous"
        if _depth(operation.selection_set, depths) > MAX_DEPTH:
            errors.append(
                GraphQLError(f"'{name}' exceeds maximum operation depth of {MAX_DEPTH}", [operation])
            )
        total_aliases = min(total_aliases + _aliases(operation.selection_set, aliases), CAP)
    if total_aliases > MAX_ALIASES:
        errors.append(GraphQLError(f"{total_aliases} aliases found. Allowed: {MAX_ALIASES}"))
    if not errors:
        errors = [
            error
            for error in (_merged_error(operation, fragments) for operation in _operations(document))
            if error is not None
        ][:1]
    return errors


def _operations(document: DocumentNode) -> Iterable[OperationDefinitionNode]:
    return (d for d in document.definitions if isinstance(d, OperationDefinitionNode))


# Cost: of the document, its operation and the request's variables.


def _as_int(value: Any) -> int | None:
    """An Int as GraphQL coerces one (an integral float too; never a boolean)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _defaults(operation: OperationDefinitionNode) -> dict[str, Any]:
    """The operation's variables' defaults that can be a page size (integer literals)."""
    defaults: dict[str, Any] = {}
    for definition in operation.variable_definitions or ():
        default = definition.default_value
        if isinstance(default, IntValueNode | FloatValueNode):
            defaults[definition.variable.name.value] = float(default.value)
    return defaults


def _french(number: int) -> str:
    """40 401: thousands separated by a space."""
    return f"{number:,}".replace(",", " ")


def _is_connection(type_: Any) -> bool:
    return (
        isinstance(type_, GraphQLObjectType) and type_.name.endswith("Connection") and "edges" in type_.fields
    )


class Coster:
    """Prices one operation with given variables; each fragment once (see the module's docstring)."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
    ) -> None:
        self.schema = schema
        self.variables = variables
        self.costs: dict[str, int] = {}
        _each_fragment(
            fragments,
            lambda fragment, _: self.of(
                fragment.selection_set, schema.get_type(fragment.type_condition.name.value)
            ),
            self.costs,
        )

    def page(self, field: FieldNode) -> int:
        for argument in field.arguments or ():
            if argument.name.value != "first":
                continue
            value: Any = None
            if isinstance(argument.value, IntValueNode):
                value = int(argument.value.value)
            elif isinstance(argument.value, VariableNode):
                value = _as_int(self.variables.get(argument.value.name.value))
            if isinstance(value, int):
                return max(0, min(value, MAX_PAGE_SIZE))
        return DEFAULT_PAGE_SIZE

    def of(self, selection_set: SelectionSetNode | None, parent: Any) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.schema.get_type(condition.name.value) if condition else parent
                total += self.of(selection.selection_set, target)
            elif isinstance(selection, FragmentSpreadNode):
                # Measured once, before (0 for an unknown fragment or a cycle, both refused).
                total += self.costs.get(selection.name.value, 0)
        return min(total, CAP)

    def _field(self, field: FieldNode, parent: Any) -> int:
        name = field.name.value
        if name.startswith("__") or not isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            return 1
        definition = parent.fields.get(name)
        if definition is None:
            return 1
        returned = get_named_type(definition.type)
        below = self.of(field.selection_set, returned)
        return min(1 + (self.page(field) * below if _is_connection(returned) else below), CAP)


def _operation(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode | None:
    """graphql-core's get_operation_ast: the named operation, or the only one."""
    operations = list(_operations(document))
    if operation_name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name and o.name.value == operation_name), None)


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
) -> int:
    """The cost of the operation that the request runs, with its variables' values, or else defaults."""
    operation = _operation(document, operation_name)
    if operation is None:
        return 0
    root = schema.get_root_type(operation.operation)
    values = {**_defaults(operation), **(variables or {})}
    return Coster(schema, _fragments(document), values).of(operation.selection_set, root)


def _cost_of(context: Any) -> int:
    return document_cost(
        context.schema._schema,
        context.query,
        context.graphql_document,
        context.operation_name,
        context.variables,
    )


def document_cost(
    schema: GraphQLSchema, query: str, document: DocumentNode, operation_name: str | None, variables: Any
) -> int:
    """The cost of the operation of `query` (parsed as `document`) with `variables`: from the document's cache
    entry for the first variable sets it meets; computed each time beyond."""
    variables = variables if isinstance(variables, dict) else {}

    def compute(document: DocumentNode) -> int:
        return operation_cost(schema, document, operation_name, variables)

    try:
        digest = hashlib.blake2b(orjson.dumps(variables, option=orjson.OPT_SORT_KEYS), digest_size=16)
    except TypeError:  # a value that is not JSON (an upload): computed each time
        return compute(document)
    key = (schema, operation_name, digest.digest())
    costs: dict[tuple[Any, ...], int] = documents.derived(query, "costs", lambda _: {})
    if key not in costs:
        if len(costs) >= MAX_COSTS_PER_DOCUMENT:
            return compute(document)
        costs[key] = compute(document)
    return costs[key]


def limit_cost(context: Any) -> int:
    """The cost of the (parsed) document that `context` is about to execute; above BUDGET, its result is set
    to the refusal, so that nothing runs."""
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
