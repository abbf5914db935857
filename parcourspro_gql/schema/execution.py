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
"""

from __future__ import annotations

import inspect
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLObjectType,
    GraphQLScalarType,
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
