"""Whole queries answered by a plan, without strawberry's operation pipeline nor graphql-core's executor.

A screen's query is a short spine of resolvers (`me`, then `registrations(first: 20)`) above a page that
engine/execution.py already answers by an ObjectPlan. Around those few resolvers, graphql-core and strawberry
spend most of a small request: an execution context, the extension runner's context managers, the field
collection of each level, the resolve info, the completion of each value, and a coroutine per layer. An
OperationPlan is built once per document and operation (in the document's cache entry, engine/parsing.py):

- a ResolverStep per field that has a resolver (or arguments): its resolver is called as graphql-core calls
  it, strawberry's wrapper included (permission classes, argument conversion, field extensions), with a
  graphql-core resolve info and the arguments coerced by graphql-core's own function;
- every other field is a Step of engine/execution.py (a leaf, __typename, an attached object or list);
- what a resolver answers is completed by the plan of its object (an ObjectPlan, or a SpinePlan when its
  fields have resolvers too); resolvers below a list are not planned (graphql-core runs them concurrently
  for every item, which the loaders batch): such a document takes the normal way.

The guards run first, with the same steps and caches as RequestGuards (engine/extensions.py): a document
that one of them would refuse takes the normal way, which refuses it.

A query only reads: when anything does not fit (a resolver raises, a null where the schema forbids one, a
value of another type, a variable or an argument that does not coerce), the plan's work is dropped and the
whole operation runs again the normal way, which gives the usual answer or the usual errors. Any other
exception is a bug of the plan: the operation still runs the normal way, and engine/fallbacks.py logs it once
and raises it under the tests.

But a resolver that meets a database unable to serve (db.database_unavailable: down, frozen past its time
limit, a dropped connection) does not run the query again, which would wait out the time limits twice and
hide the dropped connection from the view's one retry: its error is located at its field and nulls what the
normal way would null (the nearest nullable field on its path), as graphql-core does; the schema then treats
those errors as for the normal way (logging, masking), and the view answers its 503.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLScalarType,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    Undefined,
    get_nullable_type,
    get_operation_ast,
    located_error,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values
from graphql.pyutils import Path, gather_with_cancel
from graphql.type.definition import GraphQLResolveInfoHelpers
from strawberry.execution import optimized_is_awaitable
from strawberry.types import ExecutionResult

from parcourspro_gql.db import database_unavailable
from parcourspro_gql.engine.execution import (
    ATTACHED,
    Attached,
    NoPlan,
    ObjectPlan,
    Step,
    Unplanned,
    answer_object,
    collect,
    is_type_of,
    plan_object,
    plan_step,
    serializer_of,
)
from parcourspro_gql.engine.extensions import cost_report, masked, passed_guards
from parcourspro_gql.engine.fallbacks import unexpected
from parcourspro_gql.engine.parsing import documents

# What a ResolverStep's resolver answers, as the plan completes it.
OBJECT, LEAF, OBJECTS, LEAVES = range(4)


@dataclass(frozen=True, slots=True)
class ResolverStep:
    """A response key answered by its field's resolver. `arguments` are the coerced arguments when the
    operation has no variables (None: coerced at each request); `completes` says what the resolver answers
    (OBJECT, LEAF, OBJECTS or LEAVES), completed by `plan` (an object's ObjectPlan or SpinePlan) or by
    `serialize` (a leaf's)."""

    key: str
    field_def: GraphQLField
    parent_type: GraphQLObjectType
    nodes: list[FieldNode]
    arguments: dict[str, Any] | None
    completes: int
    non_null: bool
    items_non_null: bool = False
    plan: ObjectPlan | SpinePlan | None = None
    serialize: Callable[[Any], Any] | None = None
    passthrough: type | None = None


@dataclass(frozen=True, slots=True)
class SpinePlan:
    """An object some of whose fields have resolvers: `steps` answer its other fields (an ObjectPlan's steps,
    answered by answer_object), `resolvers` the fields with resolvers; `keys` is graphql-core's order of the
    response keys."""

    object_type: GraphQLObjectType
    steps: ObjectPlan
    resolvers: tuple[ResolverStep, ...]
    keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class OperationPlan:
    """A query's plan: the operation, the document's fragments, the plan of the root object."""

    operation: OperationDefinitionNode
    fragments: dict[str, FragmentDefinitionNode]
    root: SpinePlan


class _Again(Exception):
    """The normal way must run the operation (its answer or its errors)."""


class _Nulled(Exception):
    """A non-null field's error (recorded in the run's errors): its parent is null, or the parent's parent."""


async def answer_planned(
    schema: GraphQLSchema,
    query: str,
    variables: dict[str, Any] | None,
    context: Any,
    root: Any,
    operation_name: str | None,
    production: bool,
    report: Callable[[list[GraphQLError]], None],
) -> ExecutionResult | None:
    """The result of a query answered by its plan, as strawberry's execution would give it (`data`, the cost
    in `extensions`, and a database's errors reported by `report` then masked as RequestGuards masks them);
    None when the normal way must run it (a guard refuses it, no plan, a misfit)."""
    guarded = passed_guards(schema, query, operation_name, variables, production)
    if guarded is None:
        return None
    document, cost = guarded
    plan = operation_plan(schema, query, document, operation_name)
    if plan is None:
        return None
    answered = await run_plan(schema, plan, variables, context, root)
    if answered is None:
        return None
    data, errors = answered
    if errors:
        report(errors)
        request_id = getattr(context, "request_id", None)
        errors = [masked(error, request_id, production) for error in errors]
    return ExecutionResult(data=data, errors=errors or None, extensions=cost_report(cost))


def operation_plan(
    schema: GraphQLSchema, query: str, document: DocumentNode, operation_name: str | None
) -> OperationPlan | None:
    """The plan of the operation that a request runs (from the document's cache entry), or None."""
    return documents.derived(
        query,
        ("operation plan", schema, operation_name),
        lambda _: _build(schema, document, operation_name),
    )


def _build(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None) -> OperationPlan | None:
    operation = get_operation_ast(document, operation_name)
    root = schema.query_type
    if operation is None or operation.operation is not OperationType.QUERY or root is None:
        return None
    if operation.directives:
        return None
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    constant = not operation.variable_definitions
    try:
        plan = _spine(schema, root, [operation], fragments, constant)
    except NoPlan:
        return None
    except GraphQLError:  # an argument its type refuses: the normal way gives the error
        return None
    if not isinstance(plan, SpinePlan):
        return None
    return OperationPlan(operation, fragments, plan)


def _spine(
    schema: GraphQLSchema,
    object_type: GraphQLObjectType,
    nodes: Sequence[FieldNode | OperationDefinitionNode],
    fragments: dict[str, Any],
    constant: bool,
) -> ObjectPlan | SpinePlan:
    """The plan of an object reached through resolvers only (no list on the way): an ObjectPlan when none of
    its fields has a resolver, else a SpinePlan."""
    grouped: dict[str, list[FieldNode]] = {}
    for node in nodes:
        collect(object_type, node.selection_set, fragments, grouped, set())
    steps: list[Step] = []
    resolvers: list[ResolverStep] = []
    for key, field_nodes in grouped.items():
        field_def = object_type.fields.get(field_nodes[0].name.value)
        mark: Attached | None = getattr(field_def, ATTACHED, None)
        if field_def is None or mark is None or not mark.resolves_when_missing:
            try:
                steps.append(plan_step(object_type, key, field_nodes, fragments))
                continue
            except NoPlan:
                if field_def is None:
                    raise
        resolvers.append(
            _resolver_step(schema, object_type, key, field_def, field_nodes, fragments, constant)
        )
    plan = ObjectPlan(object_type, tuple(steps))
    if not resolvers:
        return plan
    return SpinePlan(object_type, plan, tuple(resolvers), tuple(grouped))


def _resolver_step(
    schema: GraphQLSchema,
    parent_type: GraphQLObjectType,
    key: str,
    field_def: GraphQLField,
    nodes: list[FieldNode],
    fragments: dict[str, Any],
    constant: bool,
) -> ResolverStep:
    if field_def.resolve is None or field_def.subscribe is not None:
        raise NoPlan
    # The first node's arguments, as graphql-core reads them (validation made merged fields' equal).
    arguments = get_argument_values(field_def, nodes[0], _no_variables(schema)) if constant else None
    returned = get_nullable_type(field_def.type)
    items_non_null = False
    plan: ObjectPlan | SpinePlan | None = None
    serialize: Callable[[Any], Any] | None = None
    passthrough: type | None = None
    if isinstance(returned, GraphQLObjectType):
        completes, plan = OBJECT, _spine(schema, returned, nodes, fragments, constant)
    elif isinstance(returned, GraphQLScalarType | GraphQLEnumType):
        completes = LEAF
        serialize, passthrough = serializer_of(returned)
    elif isinstance(returned, GraphQLList):
        item = get_nullable_type(returned.of_type)
        items_non_null = isinstance(returned.of_type, GraphQLNonNull)
        if isinstance(item, GraphQLObjectType):
            completes, plan = OBJECTS, plan_object(item, nodes, fragments)
        elif isinstance(item, GraphQLScalarType | GraphQLEnumType):
            completes = LEAVES
            serialize, passthrough = serializer_of(item)
        else:
            raise NoPlan  # a list of lists, of interfaces or unions
    else:
        raise NoPlan  # an interface or a union
    return ResolverStep(
        key=key,
        field_def=field_def,
        parent_type=parent_type,
        nodes=nodes,
        arguments=arguments,
        completes=completes,
        non_null=isinstance(field_def.type, GraphQLNonNull),
        items_non_null=items_non_null,
        plan=plan,
        serialize=serialize,
        passthrough=passthrough,
    )


def _no_variables(schema: GraphQLSchema) -> VariableValues:
    """The coerced values of an operation without variables."""
    values = get_variable_values(schema, [], {})
    assert isinstance(values, VariableValues)
    return values


async def run_plan(
    schema: GraphQLSchema, plan: OperationPlan, variables: dict[str, Any] | None, context: Any, root: Any
) -> tuple[dict[str, Any] | None, list[GraphQLError]] | None:
    """The operation's `data` and errors (only a database's) by its plan; None when the normal way must
    answer."""
    try:
        coerced = get_variable_values(schema, plan.operation.variable_definitions or (), variables or {})
        if not isinstance(coerced, VariableValues):
            return None  # the normal way answers the variables' errors
        run = _Run(schema, plan, coerced, context, root)
        try:
            answer: dict[str, Any] | None = await run.spine(plan.root, root, None)
        except _Nulled:
            answer = None
        await run.settle()
        return answer, run.errors
    except (_Again, Unplanned):
        return None
    except GraphQLError:
        return None  # a value its type refuses, an argument that does not coerce: the normal way's error
    except Exception as error:
        unexpected("operation plan", error)
        return None


class _Run:
    """One execution of an OperationPlan: what each resolve info holds."""

    __slots__ = (
        "context",
        "errors",
        "fragments",
        "helpers",
        "operation",
        "root",
        "schema",
        "tracked",
        "variables",
    )

    def __init__(
        self, schema: GraphQLSchema, plan: OperationPlan, variables: VariableValues, context: Any, root: Any
    ) -> None:
        self.schema = schema
        self.operation = plan.operation
        self.fragments = plan.fragments
        self.variables = variables
        self.context = context
        self.root = root
        self.tracked: list[Any] = []
        self.errors: list[GraphQLError] = []
        self.helpers = GraphQLResolveInfoHelpers(gather=self.gather, track=self.tracked.extend)

    @staticmethod
    def gather(values: Sequence[Awaitable[Any]]) -> Awaitable[list[Any]]:
        """graphql-core's `gather_async_work`: the values awaited together, the others cancelled when one
        fails."""
        return gather_with_cancel(*values)

    async def settle(self) -> None:
        """What resolvers asked to track (graphql-core settles it before the result)."""
        for value in self.tracked:
            if optimized_is_awaitable(value):
                await value

    async def spine(self, plan: SpinePlan, source: Any, path: Path | None) -> dict[str, Any]:
        if not is_type_of(plan.object_type, source):
            raise Unplanned
        answer = answer_object(plan.steps, source)
        resolvers = plan.resolvers
        if len(resolvers) == 1:
            step = resolvers[0]
            answer[step.key] = await self.resolve(step, source, path)
        else:
            values = await gather_with_cancel(*(self.resolve(step, source, path) for step in resolvers))
            answer.update(zip((step.key for step in resolvers), values, strict=True))
        if len(answer) > 1 and plan.steps.steps:  # the resolvers' keys came last: graphql-core's order
            answer = {key: answer[key] for key in plan.keys}
        return answer

    async def resolve(self, step: ResolverStep, source: Any, parent: Path | None) -> Any:
        path = Path(parent, step.key, step.parent_type.name)
        arguments = step.arguments
        arguments = (
            dict(arguments)
            if arguments is not None
            else get_argument_values(step.field_def, step.nodes[0], self.variables)
        )
        info = GraphQLResolveInfo(
            field_name=step.nodes[0].name.value,
            field_nodes=step.nodes,
            return_type=step.field_def.type,
            parent_type=step.parent_type,
            path=path,
            schema=self.schema,
            fragments=self.fragments,
            root_value=self.root,
            operation=self.operation,
            variable_values=self.variables,
            context=self.context,
            is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]  # strawberry's, typed as bool
            abort_signal=None,
            async_helpers=self.helpers,
        )
        resolve = step.field_def.resolve
        assert resolve is not None
        try:
            value = resolve(source, info, **arguments)
            if optimized_is_awaitable(value):
                value = await value
        except Exception as error:
            if not database_unavailable(error):
                raise _Again from error  # the resolver's error: the normal way raises it at its field
            self.errors.append(located_error(error, step.nodes, path.as_list()))
            return _null(step)
        try:
            return await self.complete(step, value, path)
        except _Nulled:
            return _null(step)

    async def complete(self, step: ResolverStep, value: Any, path: Path) -> Any:
        if value is None:
            if step.non_null:
                raise _Again
            return None
        if isinstance(value, Exception):
            raise _Again
        completes = step.completes
        if completes == OBJECT:
            plan = step.plan
            if isinstance(plan, SpinePlan):
                return await self.spine(plan, value, path)
            assert plan is not None
            return answer_object(plan, value)
        if completes == LEAF:
            return _leaf(step, value)
        if not isinstance(value, list | tuple):
            raise _Again
        items: list[Any] = []
        for item in value:
            if item is None:
                if step.items_non_null:
                    raise _Again
                items.append(None)
            elif completes == OBJECTS:
                assert isinstance(step.plan, ObjectPlan)
                items.append(answer_object(step.plan, item))
            else:
                items.append(_leaf(step, item))
        return items


def _null(step: ResolverStep) -> None:
    """The null of a field whose error was recorded; for a non-null field, its parent's (graphql-core's
    propagation to the nearest nullable field)."""
    if step.non_null:
        raise _Nulled
    return None


def _leaf(step: ResolverStep, value: Any) -> Any:
    if value.__class__ is step.passthrough:
        return value
    assert step.serialize is not None
    serialized = step.serialize(value)
    if serialized is None or serialized is Undefined:
        raise _Again
    return serialized
