"""A faster path for plain leaf fields, the bulk of every list the API serves.

graphql-core resolves each field through the same machinery (resolve info, argument coercion, the resolver,
completion), about 10 µs per field here; a page of 100 registrations has more than a thousand leaf values.
For a field that strawberry itself resolves by reading an attribute (no resolver, no extension, no
permission), and whose type is a scalar or an enum, the answer is `serialize(getattr(source, name))`: this
execution context computes exactly that and hands anything else — a null, a failed serialisation, every
other field — to the normal path, which raises the same errors as before.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLEnumType, GraphQLObjectType, GraphQLScalarType, Undefined, get_nullable_type
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

# Set on a GraphQLField that qualifies: (the Python attribute, the leaf type's serialize).
LEAF = "_parcourspro_leaf"


class LeafFastPathExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def execute_field(  # type: ignore[override]
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Any,
        position_context: Any,
    ) -> Any:
        field_def = parent_type.fields.get(field_details_list[0].node.name.value)
        leaf = getattr(field_def, LEAF, None)
        if leaf is not None:
            try:
                value = getattr(source, leaf[0])
                if value is not None:
                    serialized = leaf[1](value)
                    if serialized is not None and serialized is not Undefined:
                        return serialized
            except Exception:
                pass
        return super().execute_field(parent_type, source, field_details_list, path, position_context)


def mark_leaf_fields(schema: Any) -> int:
    """Marks the plain leaf fields of a built strawberry schema; returns how many. None when an extension has
    a `resolve` hook, which must then see every field."""
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
            if graphql_field is None or not field.is_basic_field:
                continue
            if not getattr(graphql_field.resolve, "_is_default", False):
                continue
            leaf_type = get_nullable_type(graphql_field.type)
            if isinstance(leaf_type, GraphQLScalarType | GraphQLEnumType):
                setattr(graphql_field, LEAF, (field.python_name, leaf_type.serialize))
                marked += 1
    return marked
