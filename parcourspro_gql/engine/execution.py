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
subtree is answered by a plan built once per document: a tuple of steps per object, read by one small
recursive function, with no path, no resolve info and no graphql-core call per object. Anything unusual on
the way (a null where the schema forbids one, a value of another type, an attached relation missing, a
failed serialisation) drops the plan's answer and completes the subtree the normal way, which gives the
usual answer or the usual error: every step only reads.
"""

from __future__ import annotations

import inspect
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    InlineFragmentNode,
    SelectionSetNode,
    Undefined,
    get_nullable_type,
)
from graphql.execution.executor import to_nodes
from graphql.pyutils import Path, gather_with_cancel
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

# Set on a GraphQLField that qualifies: (the Python attribute, the leaf type's serialize).
LEAF = "_parcourspro_leaf"
# Set on a GraphQLField computed by a resolver of `self` alone: (the function, the leaf type's serialize).
COMPUTED = "_parcourspro_computed"
# Set on a GraphQLField whose value may already be attached: the Python attribute that holds it.
ATTACHED = "_parcourspro_attached"
# Set on such a field when its type, nullable or not, is an object type: that type.
OBJECT = "_parcourspro_object"
# Set on a field declared with `attached()`: its resolver must run when the attribute is None.
RESOLVED_WHEN_MISSING = "_parcourspro_resolved_when_missing"
# The strawberry field metadata key of `attached()`.
_METADATA_KEY = "parcourspro.attached"


def attached(attribute: str) -> dict[str, str]:
    """Field metadata: the resolver answers `self.<attribute>` whenever that is not None."""
    return {_METADATA_KEY: attribute}


_MISSING = object()


def _leaf(field_def: GraphQLField | None, source: Any) -> Any:
    """The serialised value of a plain or computed leaf, or _MISSING when the normal path must run (another
    kind of field, a null, an error: the normal path then gives the same answer and the same error)."""
    leaf = getattr(field_def, LEAF, None)
    try:
        if leaf is not None:
            value = getattr(source, leaf[0])
        else:
            leaf = getattr(field_def, COMPUTED, None)
            if leaf is None:
                return _MISSING
            value = leaf[0](source)
        if value is not None:
            serialized = leaf[1](value)
            if serialized is not None and serialized is not Undefined:
                return serialized
    except Exception:
        pass
    return _MISSING


class FastPathExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def execute_fields(  # type: ignore[override]
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

    def execute_field(  # type: ignore[override]
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
        attribute = getattr(field_def, ATTACHED, None)
        if attribute is not None:
            value = getattr(source, attribute, None)
            if value is not None:
                return self._complete_attached(
                    field_def, parent_type, value, field_details_list, path, position_context
                )
        return super().execute_field(parent_type, source, field_details_list, path, position_context)

    def _complete_attached(
        self,
        field_def: Any,
        parent_type: GraphQLObjectType,
        value: Any,
        field_details_list: Any,
        path: Any,
        position_context: Any,
    ) -> Any:
        """What graphql-core's execute_field does with a resolver's answer, minus the resolver. An object of
        the field's own (concrete) type goes straight to its sub-fields, as complete_value would send it."""
        return_type = field_def.type
        object_type = getattr(field_def, OBJECT, None)
        plan = self._plan(field_def, field_details_list)
        if plan is not None:
            try:
                return _answer(plan[0], plan[2], plan[4], value)
            except Exception:  # the normal way, below, gives the answer or the error
                pass
        try:
            if (
                object_type is not None
                and not isinstance(value, Exception)
                and _is_type_of(object_type, value)
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

    def _plan(self, field_def: GraphQLField, field_details_list: Any) -> _Field | None:
        """The plan of an attached field's subtree for these field nodes, built on first use; None when some
        field of the subtree needs the normal way."""
        return self._cached(
            "attached",
            field_def,
            field_details_list,
            lambda nodes: _plan_field(field_def, nodes, self.fragment_definitions),
        )

    def _cached(self, kind: str, owner: Any, field_details_list: Any, build: Any) -> Any:
        """The plan of `kind` for `owner` (a field or a type of the schema) and these field nodes, from the
        cache or built. The entry keeps the owner and the nodes whose ids make its key: a hit must be those
        very objects, so neither a new schema nor a new document can meet an old plan at a reused address."""
        key = (kind, id(owner), *(id(details.node) for details in field_details_list))
        found = _PLANS.get(key)
        if (
            found is not None
            and found[0] is owner
            and all(kept is details.node for kept, details in zip(found[1], field_details_list, strict=True))
        ):
            return found[2]
        nodes = [details.node for details in field_details_list]
        if any(details.defer_usage is not None or details.node.directives for details in field_details_list):
            return None
        try:
            plan = build(nodes)
        except _NoPlan:
            plan = None
        if len(_PLANS) >= _MAX_PLANS:
            _PLANS.clear()
        _PLANS[key] = (owner, nodes, plan)
        return plan

    async def complete_awaitable_value(  # type: ignore[override]
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
        plan = None
        if isinstance(object_type, GraphQLObjectType):
            plan = self._cached(
                "resolved",
                object_type,
                field_details_list,
                lambda nodes: _plan_object(object_type, nodes, self.fragment_definitions),
            )
        try:
            resolved = await self.with_abort_signal(result)
            if plan is not None and resolved is not None and not isinstance(resolved, Exception):
                try:
                    return _object(plan, object_type, resolved)
                except Exception:  # the normal way, below, gives the answer or the error
                    pass
            completed = self.complete_value(
                return_type, field_details_list, info, path, resolved, position_context
            )
            if self.is_awaitable(completed):
                completed = await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            completed = None
        return completed


# A field's plan: (kind, getter, inner, non-null, extra). A leaf's getter is its attribute or its function and
# inner its type's serialize; an attached field's getter is its attribute, inner the steps of its objects and
# extra (object type, resolver must run when missing) or, for a list, (item type, items non-null).
# __typename's getter is the type's name. An object's steps are its fields' plans, each after its response key.
_Field = tuple[int, Any, Any, bool, Any]
_LEAF, _COMPUTED, _TYPENAME, _OBJECT, _LIST = range(5)
_PLANS: dict[tuple[Any, ...], tuple[Any, list[Any], Any]] = {}
_MAX_PLANS = 2_048


class _NoPlan(Exception):
    """Some field of the subtree needs the normal way."""


class _Unplanned(Exception):
    """The values met do not fit the plan: the normal way must answer."""


def _plan_field(field_def: GraphQLField, nodes: list[FieldNode], fragments: dict[str, Any]) -> _Field:
    """The plan of an attached object or list field, with the steps of its selections."""
    attribute = getattr(field_def, ATTACHED, None)
    if attribute is None or any(node.arguments for node in nodes):
        raise _NoPlan
    returned = get_nullable_type(field_def.type)
    loads_when_missing = hasattr(field_def, RESOLVED_WHEN_MISSING)
    if isinstance(returned, GraphQLObjectType):
        kind, object_type, extra = _OBJECT, returned, (returned, loads_when_missing)
    elif isinstance(returned, GraphQLList) and not loads_when_missing:
        kind, object_type = _LIST, get_nullable_type(returned.of_type)
        extra = (object_type, isinstance(returned.of_type, GraphQLNonNull))
    else:
        raise _NoPlan
    if not isinstance(object_type, GraphQLObjectType):
        raise _NoPlan
    steps = _plan_object(object_type, nodes, fragments)
    return (kind, attribute, steps, isinstance(field_def.type, GraphQLNonNull), extra)


def _plan_object(object_type: GraphQLObjectType, nodes: list[FieldNode], fragments: dict[str, Any]) -> tuple:
    """The steps of the fields asked of an object of `object_type`, in graphql-core's order (the fields'
    directives were refused by `_collect`)."""
    grouped: dict[str, list[FieldNode]] = {}
    for node in nodes:
        _collect(object_type, node.selection_set, fragments, grouped, set())
    steps: list[tuple[Any, ...]] = []
    for key, field_nodes in grouped.items():
        name = field_nodes[0].name.value
        if any(node.arguments for node in field_nodes):
            raise _NoPlan
        if name == "__typename":
            steps.append((key, _TYPENAME, object_type.name, None, True, None))
            continue
        field_def = object_type.fields.get(name)
        if field_def is None:
            raise _NoPlan
        non_null = isinstance(field_def.type, GraphQLNonNull)
        leaf = getattr(field_def, LEAF, None)
        if leaf is not None:
            steps.append((key, _LEAF, leaf[0], leaf[1], non_null, None))
            continue
        computed = getattr(field_def, COMPUTED, None)
        if computed is not None:
            steps.append((key, _COMPUTED, computed[0], computed[1], non_null, None))
            continue
        steps.append((key, *_plan_field(field_def, field_nodes, fragments)))
    return tuple(steps)


def _collect(
    object_type: GraphQLObjectType,
    selection_set: SelectionSetNode | None,
    fragments: dict[str, Any],
    grouped: dict[str, list[FieldNode]],
    spread: set[str],
) -> None:
    """graphql-core's field collection for selections without directives and fragments on the object's own
    type (or on no type); anything else is left to graphql-core."""
    if selection_set is None:
        raise _NoPlan
    for selection in selection_set.selections:
        if selection.directives:
            raise _NoPlan
        if isinstance(selection, FieldNode):
            key = selection.alias.value if selection.alias else selection.name.value
            grouped.setdefault(key, []).append(selection)
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            if condition is not None and condition.name.value != object_type.name:
                raise _NoPlan
            _collect(object_type, selection.selection_set, fragments, grouped, spread)
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
                raise _NoPlan
            _collect(object_type, fragment.selection_set, fragments, grouped, spread)
        else:
            raise _NoPlan


def _answer(kind: int, plan: tuple, extra: tuple, value: Any) -> Any:
    """The completed value of an attached object (or list of objects) under its plan; _Unplanned when the
    normal way must answer."""
    if kind == _OBJECT:
        return _object(plan, extra[0], value)
    item_type, items_non_null = extra
    if not isinstance(value, list | tuple):
        raise _Unplanned
    answers = []
    for item in value:
        if item is None:
            if items_non_null:
                raise _Unplanned
            answers.append(None)
        else:
            answers.append(_object(plan, item_type, item))
    return answers


def _object(steps: tuple, object_type: GraphQLObjectType, source: Any) -> dict[str, Any]:
    if not _is_type_of(object_type, source):
        raise _Unplanned
    answer: dict[str, Any] = {}
    for key, kind, getter, inner, non_null, extra in steps:
        if kind <= _COMPUTED:  # a leaf: inner is its type's serialize
            value = getattr(source, getter) if kind == _LEAF else getter(source)
            if value is None:
                if non_null:
                    raise _Unplanned
                answer[key] = None
                continue
            serialized = inner(value)
            if serialized is None or serialized is Undefined:
                raise _Unplanned
            answer[key] = serialized
        elif kind == _TYPENAME:
            answer[key] = getter
        else:  # an attached object or list: inner is its plan
            value = getattr(source, getter, None)
            if value is None:
                # Null, unless the type forbids it or the field's resolver must load what was not attached.
                if non_null or (kind == _OBJECT and extra[1]):
                    raise _Unplanned
                answer[key] = None
            else:
                answer[key] = _answer(kind, inner, extra, value)
    return answer


def mark_fast_fields(schema: Any) -> int:
    """Marks the plain leaf fields and the attached object fields of a built strawberry schema; returns how
    many. None when an extension has a `resolve` hook, which must then see every field."""
    built = [extension() if callable(extension) else extension for extension in schema.extensions]
    if any(type(extension).resolve is not SchemaExtension.resolve for extension in built):
        return 0
    marked = 0
    for type_name, graphql_type in schema._schema.type_map.items():
        if not isinstance(graphql_type, GraphQLObjectType) or type_name.startswith("__"):
            continue
        definition = schema.get_type_by_name(type_name)
        for field in getattr(definition, "fields", ()):
            graphql_field = graphql_type.fields.get(schema.config.name_converter.get_graphql_name(field))
            if graphql_field is None or field.permission_classes or field.extensions:
                continue
            plain = field.is_basic_field and getattr(graphql_field.resolve, "_is_default", False)
            leaf_type = get_nullable_type(graphql_field.type)
            is_leaf = isinstance(leaf_type, GraphQLScalarType | GraphQLEnumType)
            resolver = field.base_resolver
            if plain and is_leaf:
                setattr(graphql_field, LEAF, (field.python_name, leaf_type.serialize))
            elif is_leaf and resolver is not None and _of_self_alone(resolver):
                setattr(graphql_field, COMPUTED, (resolver.wrapped_func, leaf_type.serialize))
            elif plain:
                setattr(graphql_field, ATTACHED, field.python_name)
            elif (field.metadata or {}).get(_METADATA_KEY):
                setattr(graphql_field, ATTACHED, field.metadata[_METADATA_KEY])
                setattr(graphql_field, RESOLVED_WHEN_MISSING, True)
            else:
                continue
            if isinstance(leaf_type, GraphQLObjectType):
                setattr(graphql_field, OBJECT, leaf_type)
            marked += 1
    return marked


def _is_type_of(object_type: GraphQLObjectType, value: Any) -> bool:
    """complete_object_value's check. strawberry's `is_type_of` reads only the value (never the resolve info,
    which the fast path does not build); anything but True sends the value the normal way, which raises the
    usual error."""
    return object_type.is_type_of is None or object_type.is_type_of(value, None) is True


def _of_self_alone(resolver: Any) -> bool:
    """A plain sync method whose only parameter is `self` (no info, no arguments)."""
    if resolver.is_async or resolver.arguments:
        return False
    parameters = list(inspect.signature(resolver.wrapped_func).parameters)
    return parameters == ["self"]
