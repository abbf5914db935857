"""Faster paths for the fields that make up the bulk of every list the API serves.

graphql-core resolves each field through the same machinery (resolve info, argument coercion, strawberry's
resolver wrapper, completion), about 10 µs per field here; a page of 100 registrations has more than a
thousand values. Two kinds of fields take a shorter way, with the same answers and the same errors:

- a plain leaf: a field that strawberry itself resolves by reading an attribute (no resolver, no extension,
  no permission), whose type is a scalar or an enum. Its answer is `serialize(getattr(source, name))`,
  computed here; a null or a failed serialisation goes the normal way, which raises the same errors as before.
- a computed leaf: a sync resolver that takes nothing but `self` (an edge's cursor, say) and returns a scalar
  or an enum: called directly, then serialised; a null or an error goes the normal way.
- an attached object: a plain field whose type is an object or a list, or a resolver field declared with
  `metadata=attached("<attribute>")`, whose resolver answers that attribute when a list attached it (a
  registration's session, say). When the attribute holds a value, it is completed as graphql-core would
  complete the resolver's answer, without calling the resolver; otherwise the resolver runs.

Below an attached object or list, and below the object an async resolver answers (a connection), when every
field asked is one of these (no arguments, no directives, fragments on the object's own type), the whole
subtree is answered by a plan built once per document (an ObjectPlan: one Step per response key), read by
one small recursive function, with no path, no resolve info and no graphql-core call per object. Anything
unusual on the way (a null where the schema forbids one, a value of another type, an attached relation
missing, a serialisation refused with a GraphQLError) drops the plan's answer and completes the subtree the
normal way, which gives the usual answer or the usual error: every step only reads.

A page read narrow goes one step further (a row plan): when every field asked of its edges is a plain field
of a type that declares its Fields (engine/rows.py: a registration, its session and its training, an edge's
cursor), the edges are answered from the page's rows and the rows joined to them, and no API object is built
for them (a Connection built by `of_rows` builds its edges only when something reads them: the normal way).
The Fields are the ones the types build their objects from, so both ways read the same values.

Any other exception in a shortcut is a bug of the shortcut (an attribute renamed, say): it still takes the
normal way, so the client gets the usual answer, but engine/fallbacks.py logs it once per place and, under
the tests, raises it.
"""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLError,
    GraphQLField,
    GraphQLID,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLString,
    InlineFragmentNode,
    SelectionSetNode,
    Undefined,
    get_nullable_type,
)
from graphql.execution.executor import to_nodes
from graphql.pyutils import Path, gather_with_cancel
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

from parcourspro_gql.engine.fallbacks import unexpected
from parcourspro_gql.engine.rows import NOT_JOINED, Fields, Nested, RowItems

# The marks set on a GraphQLField of the built schema by mark_fast_fields (attribute names on graphql-core's
# own objects, which have no slots): at most one of LEAF, COMPUTED, ATTACHED.
LEAF = "_parcourspro_leaf"  # a Leaf: a plain attribute of scalar or enum type
COMPUTED = "_parcourspro_computed"  # a Leaf: a sync resolver of `self` alone, of scalar or enum type
ATTACHED = "_parcourspro_attached"  # an Attached: an object or list that a list may have attached
# The strawberry field metadata key of `attached()`.
_METADATA_KEY = "parcourspro.attached"


def attached(attribute: str) -> dict[str, str]:
    """Field metadata: the resolver answers `self.<attribute>` whenever that is not None."""
    return {_METADATA_KEY: attribute}


@dataclass(frozen=True, slots=True)
class Leaf:
    """How a plain or computed leaf is answered: `serialize(read(source))`. `read` is the attribute's name
    for a plain leaf (read with getattr), the resolver's function for a computed one."""

    read: Any
    serialize: Callable[[Any], Any]
    computed: bool
    # A class whose instances `serialize` hands back unchanged (str for String and ID, bool for Boolean):
    # such a value is answered as it is, without the call. None for the other types.
    passthrough: type | None = None


@dataclass(frozen=True, slots=True)
class Attached:
    """A field whose value a list may have attached to its source: `attribute` holds it (None when not
    attached). `object_type` is the field's object type when it has one; `resolves_when_missing` when the
    field's resolver must load what was not attached (declared with `attached()`), rather than answer null."""

    attribute: str
    object_type: GraphQLObjectType | None
    resolves_when_missing: bool


# The kinds of Step, in the order _object tests them (leaves first: they are most of every page).
LEAF_STEP, COMPUTED_STEP, TYPENAME_STEP, OBJECT_STEP, LIST_STEP = range(5)


@dataclass(frozen=True, slots=True)
class Step:
    """One response key of a planned object. For a leaf (LEAF_STEP, COMPUTED_STEP) `read` is the attribute or
    the function and `serialize` its type's; for __typename `read` is the type's name; for an attached object
    or list (OBJECT_STEP, LIST_STEP) `read` is the attribute and `plan` the plan of its objects."""

    key: str
    kind: int
    read: Any
    non_null: bool
    serialize: Callable[[Any], Any] | None = None
    passthrough: type | None = None
    plan: ObjectPlan | None = None
    resolves_when_missing: bool = False
    items_non_null: bool = False
    # For a list whose item type declares its Fields, and every field asked below within them: the same plan
    # answering from the rows of the list's RowItems, when its source holds them (see answer_object).
    rows: RowPlan | None = None


@dataclass(frozen=True, slots=True)
class RowStep:
    """One response key of an object answered from its row. For a leaf `read` gives the value from the row
    (the type's Fields) and `serialize` serialises it; for __typename `read` is the type's name; for an
    attached object `read` finds its row (a Nested) and `plan` answers it."""

    key: str
    kind: int
    read: Any
    non_null: bool
    serialize: Callable[[Any], Any] | None = None
    passthrough: type | None = None
    plan: RowPlan | None = None
    resolves_when_missing: bool = False


@dataclass(frozen=True, slots=True)
class RowPlan:
    """An ObjectPlan read from rows: the steps of the fields asked of an object, from its type's Fields."""

    steps: tuple[RowStep, ...]


@dataclass(frozen=True, slots=True)
class ObjectPlan:
    """The steps that answer the fields asked of an object of `object_type`, in graphql-core's order."""

    object_type: GraphQLObjectType
    steps: tuple[Step, ...]


@dataclass(frozen=True, slots=True)
class FieldPlan:
    """The plan of an attached field: `step` answers it from its source (the key is the field's own)."""

    step: Step


@dataclass(frozen=True, slots=True)
class _CachedPlan:
    """A cache entry: the plan (None: the normal way) and what it was built for, which a hit must be. The
    nodes are weak references: a node's location holds its whole document (text and tokens), which this cache
    must not keep alive (the document cache, engine/parsing.py, bounds what is kept, in bytes)."""

    owner: Any
    nodes: tuple[weakref.ref[FieldNode], ...]
    plan: Any


_MISSING = object()


def _leaf(field_def: GraphQLField | None, source: Any) -> Any:
    """The serialised value of a plain or computed leaf, or _MISSING when the normal path must run (another
    kind of field, a null, a refused serialisation: the normal path then gives the same answer and error)."""
    leaf: Leaf | None = getattr(field_def, LEAF, None) or getattr(field_def, COMPUTED, None)
    if leaf is None:
        return _MISSING
    try:
        value = leaf.read(source) if leaf.computed else getattr(source, leaf.read)
        if value is not None:
            serialized = leaf.serialize(value)
            if serialized is not None and serialized is not Undefined:
                return serialized
    except GraphQLError:
        pass  # a value its type refuses: the normal way raises the same error at the field
    except Exception as error:
        unexpected(_place("leaf", leaf.read), error)
    return _MISSING


def _place(kind: str, what: Any) -> str:
    """Where a shortcut failed, for the log: the kind of shortcut and the attribute, function or type."""
    return f"{kind} {getattr(what, '__qualname__', None) or getattr(what, 'name', None) or what}"


class FastPathExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Any,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        """graphql-core's execute_fields, with leaves answered in the loop: no Path and no call per leaf.
        Everything else is graphql-core 3.3's code, including the gathering of awaitable fields."""
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        fields = parent_type.fields
        type_name = parent_type.name
        try:
            for response_name, field_details_list in grouped_field_set.items():
                field_def = fields.get(field_details_list[0].node.name.value)
                value = _leaf(field_def, source_value)
                if value is not _MISSING:
                    results[response_name] = value
                    continue
                result = self._execute_other(
                    field_def,
                    parent_type,
                    source_value,
                    field_details_list,
                    Path(path, response_name, type_name),
                    position_context,
                )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise
        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaitable_fields) == 1:
                field = awaitable_fields[0]
                results[field] = await results[field]
            else:
                awaited = await gather_with_cancel(*(results[field] for field in awaitable_fields))
                results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Any,
        position_context: Any,
    ) -> Any:
        """One field, from graphql-core's other callers (the serial execution of mutations, say)."""
        field_def = parent_type.fields.get(field_details_list[0].node.name.value)
        value = _leaf(field_def, source)
        if value is not _MISSING:
            return value
        return self._execute_other(field_def, parent_type, source, field_details_list, path, position_context)

    def _execute_other(
        self,
        field_def: GraphQLField | None,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Any,
        position_context: Any,
    ) -> Any:
        """A field that is not a leaf of the fast path: attached, or resolved the normal way."""
        mark: Attached | None = getattr(field_def, ATTACHED, None)
        if mark is not None and field_def is not None:
            value = getattr(source, mark.attribute, None)
            if value is not None:
                return self._complete_attached(
                    field_def, mark, parent_type, value, field_details_list, path, position_context
                )
        return super().execute_field(parent_type, source, field_details_list, path, position_context)

    def _complete_attached(
        self,
        field_def: GraphQLField,
        mark: Attached,
        parent_type: GraphQLObjectType,
        value: Any,
        field_details_list: Any,
        path: Any,
        position_context: Any,
    ) -> Any:
        """What graphql-core's execute_field does with a resolver's answer, minus the resolver. An object of
        the field's own (concrete) type goes straight to its sub-fields, as complete_value would send it."""
        return_type = field_def.type
        plan: FieldPlan | None = self._cached(
            field_def,
            field_details_list,
            lambda nodes: _plan_field(field_def, nodes, self.fragment_definitions),
        )
        if plan is not None:
            try:
                return _answer(plan.step, value)
            except Unplanned:
                pass  # the normal way, below, gives the answer or the error
            except GraphQLError:
                pass  # a value its type refuses: the normal way raises it at its field
            except Exception as error:
                unexpected(_place("attached plan", mark.attribute), error)
        try:
            object_type = mark.object_type
            if (
                object_type is not None
                and not isinstance(value, Exception)
                and is_type_of(object_type, value)
            ):
                completed = self.collect_and_execute_subfields(
                    object_type, field_details_list, path, value, position_context
                )
            else:
                info = self.build_resolve_info(field_def, to_nodes(field_details_list), parent_type, path)
                completed = self.complete_value(
                    return_type, field_details_list, info, path, value, position_context
                )
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None
        if not self.is_awaitable(completed):
            return completed

        async def await_completed() -> Any:
            try:
                return await completed
            except Exception as raw_error:
                self.handle_field_error(raw_error, return_type, field_details_list, path)
                return None

        return await_completed()

    def _cached(self, owner: Any, field_details_list: Any, build: Callable[[list[FieldNode]], Any]) -> Any:
        """The plan for `owner` (a field or a type of the schema) and these field nodes, from the cache or
        built. The entry keeps the owner and weak references to the nodes whose ids make its key: a hit must be
        those very objects, so neither a new schema nor a new document can meet an old plan at a reused
        address."""
        key = (id(owner), *(id(details.node) for details in field_details_list))
        found = _PLANS.get(key)
        if (
            found is not None
            and found.owner is owner
            and all(
                kept() is details.node for kept, details in zip(found.nodes, field_details_list, strict=True)
            )
        ):
            return found.plan
        nodes = [details.node for details in field_details_list]
        if any(details.defer_usage is not None or details.node.directives for details in field_details_list):
            return None
        try:
            plan = build(nodes)
        except NoPlan:
            plan = None
        if len(_PLANS) >= _MAX_PLANS:
            _PLANS.clear()
        _PLANS[key] = _CachedPlan(owner, tuple(weakref.ref(node) for node in nodes), plan)
        return plan

    async def complete_awaitable_value(
        self,
        return_type: Any,
        field_details_list: Any,
        info: Any,
        path: Any,
        result: Any,
        position_context: Any,
    ) -> Any:
        """graphql-core's, with a plan for the object that an async resolver answers (a connection, say) when
        everything below it can be planned; otherwise, or when the plan does not fit, graphql-core's way."""
        object_type = get_nullable_type(return_type)
        plan: ObjectPlan | None = None
        if isinstance(object_type, GraphQLObjectType):
            plan = self._cached(
                object_type,
                field_details_list,
                lambda nodes: plan_object(object_type, nodes, self.fragment_definitions),
            )
        try:
            resolved = await self.with_abort_signal(result)
            if plan is not None and resolved is not None and not isinstance(resolved, Exception):
                try:
                    return answer_object(plan, resolved)
                except Unplanned:
                    pass  # the normal way, below, gives the answer or the error
                except GraphQLError:
                    pass  # a value its type refuses: the normal way raises it at its field
                except Exception as error:
                    unexpected(_place("object plan", plan.object_type), error)
            completed = self.complete_value(
                return_type, field_details_list, info, path, resolved, position_context
            )
            if self.is_awaitable(completed):
                completed = await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            completed = None
        return completed


_PLANS: dict[tuple[int, ...], _CachedPlan] = {}
_MAX_PLANS = 2_048


class NoPlan(Exception):
    """Some field of the subtree needs the normal way."""


class Unplanned(Exception):
    """The values met do not fit the plan: the normal way must answer."""


def _plan_field(field_def: GraphQLField, nodes: list[FieldNode], fragments: dict[str, Any]) -> FieldPlan:
    """The plan of an attached object or list field, with the plan of its objects."""
    mark: Attached | None = getattr(field_def, ATTACHED, None)
    if mark is None:
        raise NoPlan
    return FieldPlan(
        _attached_step(
            nodes[0].alias.value if nodes[0].alias else nodes[0].name.value, field_def, mark, nodes, fragments
        )
    )


def _attached_step(
    key: str, field_def: GraphQLField, mark: Attached, nodes: list[FieldNode], fragments: dict[str, Any]
) -> Step:
    if any(node.arguments for node in nodes):
        raise NoPlan
    returned = get_nullable_type(field_def.type)
    non_null = isinstance(field_def.type, GraphQLNonNull)
    if isinstance(returned, GraphQLObjectType):
        plan = plan_object(returned, nodes, fragments)
        return Step(
            key,
            OBJECT_STEP,
            mark.attribute,
            non_null,
            plan=plan,
            resolves_when_missing=mark.resolves_when_missing,
        )
    if isinstance(returned, GraphQLList) and not mark.resolves_when_missing:
        item_type = get_nullable_type(returned.of_type)
        if not isinstance(item_type, GraphQLObjectType):
            raise NoPlan
        plan = plan_object(item_type, nodes, fragments)
        return Step(
            key,
            LIST_STEP,
            mark.attribute,
            non_null,
            plan=plan,
            items_non_null=isinstance(returned.of_type, GraphQLNonNull),
            rows=row_plan_or_none(plan),
        )
    raise NoPlan


def plan_object(
    object_type: GraphQLObjectType, nodes: list[FieldNode], fragments: dict[str, Any]
) -> ObjectPlan:
    """The steps of the fields asked of an object of `object_type`, in graphql-core's order (the fields'
    directives were refused by `collect`)."""
    grouped: dict[str, list[FieldNode]] = {}
    for node in nodes:
        collect(object_type, node.selection_set, fragments, grouped, set())
    return ObjectPlan(
        object_type,
        tuple(plan_step(object_type, key, field_nodes, fragments) for key, field_nodes in grouped.items()),
    )


def plan_step(
    object_type: GraphQLObjectType, key: str, field_nodes: list[FieldNode], fragments: dict[str, Any]
) -> Step:
    """The step of one response key of an object of `object_type`: a leaf, __typename, or an attached object
    or list with its plan; NoPlan for anything else (a resolver, arguments)."""
    name = field_nodes[0].name.value
    if any(node.arguments for node in field_nodes):
        raise NoPlan
    if name == "__typename":
        return Step(key, TYPENAME_STEP, object_type.name, True)
    field_def = object_type.fields.get(name)
    if field_def is None:
        raise NoPlan
    non_null = isinstance(field_def.type, GraphQLNonNull)
    leaf: Leaf | None = getattr(field_def, LEAF, None) or getattr(field_def, COMPUTED, None)
    if leaf is not None:
        kind = COMPUTED_STEP if leaf.computed else LEAF_STEP
        return Step(key, kind, leaf.read, non_null, serialize=leaf.serialize, passthrough=leaf.passthrough)
    mark: Attached | None = getattr(field_def, ATTACHED, None)
    if mark is None:
        raise NoPlan
    return _attached_step(key, field_def, mark, field_nodes, fragments)


def collect(
    object_type: GraphQLObjectType,
    selection_set: SelectionSetNode | None,
    fragments: dict[str, Any],
    grouped: dict[str, list[FieldNode]],
    spread: set[str],
) -> None:
    """graphql-core's field collection for selections without directives and fragments on the object's own
    type (or on no type); anything else is left to graphql-core."""
    if selection_set is None:
        raise NoPlan
    for selection in selection_set.selections:
        if selection.directives:
            raise NoPlan
        if isinstance(selection, FieldNode):
            key = selection.alias.value if selection.alias else selection.name.value
            grouped.setdefault(key, []).append(selection)
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            if condition is not None and condition.name.value != object_type.name:
                raise NoPlan
            collect(object_type, selection.selection_set, fragments, grouped, spread)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in spread:
                continue
            spread.add(name)
            fragment = fragments.get(name)
            if (
                fragment is None
                or getattr(selection, "arguments", None)
                or fragment.type_condition.name.value != object_type.name
            ):
                raise NoPlan
            collect(object_type, fragment.selection_set, fragments, grouped, spread)
        else:
            raise NoPlan


def _answer(step: Step, value: Any) -> Any:
    """The completed value of an attached object (or list of objects) under its step's plan; Unplanned
    when the normal way must answer."""
    plan = step.plan
    assert plan is not None
    if step.kind == OBJECT_STEP:
        return answer_object(plan, value)
    if not isinstance(value, list | tuple):
        raise Unplanned
    answers: list[dict[str, Any] | None] = []
    for item in value:
        if item is None:
            if step.items_non_null:
                raise Unplanned
            answers.append(None)
        else:
            answers.append(answer_object(plan, item))
    return answers


def answer_object(plan: ObjectPlan, source: Any) -> dict[str, Any]:
    if not is_type_of(plan.object_type, source):
        raise Unplanned
    answer: dict[str, Any] = {}
    for step in plan.steps:
        kind = step.kind
        if kind <= COMPUTED_STEP:  # a leaf
            value = getattr(source, step.read) if kind == LEAF_STEP else step.read(source)
            if value is None:
                if step.non_null:
                    raise Unplanned
                answer[step.key] = None
                continue
            if value.__class__ is step.passthrough:
                answer[step.key] = value
                continue
            serialized = step.serialize(value)  # type: ignore[misc]
            if serialized is None or serialized is Undefined:
                raise Unplanned
            answer[step.key] = serialized
        elif kind == TYPENAME_STEP:
            answer[step.key] = step.read
        else:  # an attached object or list
            if step.rows is not None:
                # A list that its source can give as rows (a page's edges, before any is built).
                rows = getattr(source, "row_items", None)
                if rows is not None and rows.attribute == step.read:
                    try:
                        answer[step.key] = answer_rows(step.rows, rows)
                        continue
                    except Unplanned:
                        pass  # the objects, below, answer (or misfit as they would have)
            value = getattr(source, step.read, None)
            if value is None:
                # Null, unless the type forbids it or the field's resolver must load what was not attached.
                if step.non_null or step.resolves_when_missing:
                    raise Unplanned
                answer[step.key] = None
            else:
                answer[step.key] = _answer(step, value)
    return answer


def row_plan_or_none(plan: ObjectPlan) -> RowPlan | None:
    """The row plan of `plan`, or None when some field asked cannot be read from rows."""
    try:
        return row_plan(plan)
    except NoPlan:
        return None


def row_plan(plan: ObjectPlan) -> RowPlan:
    """`plan` answered from rows: each leaf by its type's Fields, each attached object by its Nested and the
    row plan of its own type; NoPlan when a type declares no Fields or a field asked is not in them (a
    computed leaf is named by its resolver's function), or for a list within the rows."""
    fields = fields_of(plan.object_type)
    if fields is None:
        raise NoPlan
    steps: list[RowStep] = []
    for step in plan.steps:
        if step.kind == TYPENAME_STEP:
            steps.append(RowStep(step.key, TYPENAME_STEP, step.read, True))
        elif step.kind in (LEAF_STEP, COMPUTED_STEP):
            name = step.read if step.kind == LEAF_STEP else step.read.__name__
            read = fields.leaves.get(name)
            if read is None:
                raise NoPlan
            steps.append(RowStep(step.key, LEAF_STEP, read, step.non_null, step.serialize, step.passthrough))
        elif step.kind == OBJECT_STEP:
            nested: Nested | None = fields.nested.get(step.read)
            if nested is None or step.plan is None:
                raise NoPlan
            steps.append(
                RowStep(
                    step.key,
                    OBJECT_STEP,
                    nested,
                    step.non_null,
                    plan=row_plan(step.plan),
                    resolves_when_missing=step.resolves_when_missing,
                )
            )
        else:
            raise NoPlan
    return RowPlan(tuple(steps))


def fields_of(object_type: GraphQLObjectType) -> Fields | None:
    """The Fields that the strawberry type behind `object_type` declares (ROW_FIELDS), if any."""
    definition = object_type.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
    fields = getattr(getattr(definition, "origin", None), "ROW_FIELDS", None)
    return fields if isinstance(fields, Fields) else None


def answer_rows(plan: RowPlan, rows: RowItems) -> list[dict[str, Any]]:
    """A list's answer from its rows, as answer_object would give it from the objects built from them."""
    related = rows.related
    return [answer_row(plan, item, related) for item in rows.items]


def answer_row(plan: RowPlan, values: Any, related: Any) -> dict[str, Any]:
    """answer_object's loop over a row (its leaf branch is answer_object's, kept inline as there: a call per
    leaf would cost a page of a hundred rows more than the rest of the loop)."""
    answer: dict[str, Any] = {}
    for step in plan.steps:
        kind = step.kind
        if kind == LEAF_STEP:
            value = step.read(values)
            if value is None:
                if step.non_null:
                    raise Unplanned
                answer[step.key] = None
                continue
            if value.__class__ is step.passthrough:
                answer[step.key] = value
                continue
            serialized = step.serialize(value)  # type: ignore[misc]
            if serialized is None or serialized is Undefined:
                raise Unplanned
            answer[step.key] = serialized
        elif kind == TYPENAME_STEP:
            answer[step.key] = step.read
        else:  # an attached object
            row = step.read(values, related)
            if row is NOT_JOINED:
                raise Unplanned
            if row is None:
                if step.non_null or step.resolves_when_missing:
                    raise Unplanned
                answer[step.key] = None
            else:
                assert step.plan is not None
                answer[step.key] = answer_row(step.plan, row, related)
    return answer


@dataclass(frozen=True)
class FastFields:
    """What mark_fast_fields marked, as `Type.field` names; empty when an extension's `resolve` hook (which
    must see every field) forbids the fast paths."""

    leaves: tuple[str, ...] = ()
    computed: tuple[str, ...] = ()
    attached: tuple[str, ...] = ()

    @property
    def count(self) -> int:
        return len(self.leaves) + len(self.computed) + len(self.attached)


def mark_fast_fields(schema: Any) -> FastFields:
    """Marks the plain and computed leaf fields and the attached fields of a built strawberry schema. A field
    with a permission class or a field extension is never marked (its checks must run), nor a resolver that
    takes more than `self`, unless it is declared `attached()` (it then runs whenever nothing is attached)."""
    built = [extension() if callable(extension) else extension for extension in schema.extensions]
    if any(type(extension).resolve is not SchemaExtension.resolve for extension in built):
        return FastFields()
    leaves: list[str] = []
    computed: list[str] = []
    attached_fields: list[str] = []
    for type_name, graphql_type in schema._schema.type_map.items():
        if not isinstance(graphql_type, GraphQLObjectType) or type_name.startswith("__"):
            continue
        definition = schema.get_type_by_name(type_name)
        for field in getattr(definition, "fields", ()):
            graphql_name = schema.config.name_converter.get_graphql_name(field)
            graphql_field = graphql_type.fields.get(graphql_name)
            if graphql_field is None or field.permission_classes or field.extensions:
                continue
            plain = field.is_basic_field and getattr(graphql_field.resolve, "_is_default", False)
            leaf_type = get_nullable_type(graphql_field.type)
            is_leaf = isinstance(leaf_type, GraphQLScalarType | GraphQLEnumType)
            resolver = field.base_resolver
            name = f"{type_name}.{graphql_name}"
            object_type = leaf_type if isinstance(leaf_type, GraphQLObjectType) else None
            if plain and is_leaf:
                setattr(graphql_field, LEAF, _leaf_of(field.python_name, leaf_type, computed=False))
                leaves.append(name)
            elif is_leaf and resolver is not None and _of_self_alone(resolver):
                setattr(graphql_field, COMPUTED, _leaf_of(resolver.wrapped_func, leaf_type, computed=True))
                computed.append(name)
            elif plain:
                setattr(graphql_field, ATTACHED, Attached(field.python_name, object_type, False))
                attached_fields.append(name)
            elif (field.metadata or {}).get(_METADATA_KEY):
                setattr(graphql_field, ATTACHED, Attached(field.metadata[_METADATA_KEY], object_type, True))
                attached_fields.append(name)
    return FastFields(tuple(leaves), tuple(computed), tuple(attached_fields))


# graphql-core's serialisers that give back a value of this exact class unchanged (serialize_string,
# serialize_id, serialize_boolean): the first thing each of them checks.
_PASSTHROUGH: dict[GraphQLScalarType, type] = {GraphQLString: str, GraphQLID: str, GraphQLBoolean: bool}


def _leaf_of(read: Any, leaf_type: GraphQLScalarType | GraphQLEnumType, computed: bool) -> Leaf:
    """How a leaf of `leaf_type` is answered: its type's serialiser, or one giving the same answers faster."""
    serialize, passthrough = serializer_of(leaf_type)
    return Leaf(read, serialize, computed, passthrough)


def serializer_of(
    leaf_type: GraphQLScalarType | GraphQLEnumType,
) -> tuple[Callable[[Any], Any], type | None]:
    """A leaf type's serialiser (or one giving the same answers faster), and the class whose instances it
    hands back unchanged (None when there is none)."""
    passthrough = _PASSTHROUGH.get(leaf_type) if isinstance(leaf_type, GraphQLScalarType) else None
    return _enum_serializer(leaf_type) or leaf_type.serialize, passthrough


def _enum_serializer(leaf_type: GraphQLScalarType | GraphQLEnumType) -> Callable[[Any], Any] | None:
    """For a strawberry enum, its serialiser as one dict lookup: strawberry's compares the member's value with
    each of the enum's values in turn and answers the first matching name, which the dict holds; anything
    but a member of the enum's class goes to that serialiser. None for other types."""
    wrapped = getattr(leaf_type, "wrapped_cls", None)
    if not isinstance(leaf_type, GraphQLEnumType) or wrapped is None:
        return None
    names: dict[Any, str] = {}
    for member in wrapped:
        for name, value in leaf_type.values.items():
            if member.value == value.value:
                names[member] = name
                break
    serialize = leaf_type.serialize

    def serialize_member(value: Any) -> Any:
        if value.__class__ is wrapped:
            name = names.get(value)
            if name is not None:
                return name
        return serialize(value)

    return serialize_member


def is_type_of(object_type: GraphQLObjectType, value: Any) -> bool:
    """complete_object_value's check. strawberry's `is_type_of` reads only the value (never the resolve info,
    which the fast path does not build); anything but True sends the value the normal way, which raises the
    usual error."""
    return object_type.is_type_of is None or object_type.is_type_of(value, None) is True  # type: ignore[arg-type]


def _of_self_alone(resolver: Any) -> bool:
    """A plain sync method whose only parameter is `self` (no info, no arguments)."""
    if resolver.is_async or resolver.arguments:
        return False
    parameters = list(inspect.signature(resolver.wrapped_func).parameters)
    return parameters == ["self"]
