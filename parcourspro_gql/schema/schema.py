"""Assembles the areas into one strawberry schema, with its guards."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.name_converter import NameConverter
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.utils.str_converters import to_camel_case

from parcourspro_gql.db import database_unavailable
from parcourspro_gql.engine.execution import FastFields, FastPathExecutionContext, mark_fast_fields
from parcourspro_gql.engine.extensions import RequestGuards, is_expected
from parcourspro_gql.engine.operations import answer_planned
from parcourspro_gql.schema.accounts.affiliation import AffiliationMutations
from parcourspro_gql.schema.accounts.mutations import AccountMutations
from parcourspro_gql.schema.accounts.queries import AccountQueries
from parcourspro_gql.schema.catalogue.mutations import CatalogueMutations
from parcourspro_gql.schema.catalogue.queries import CatalogueQueries
from parcourspro_gql.schema.catalogue.sessions import SessionMutations
from parcourspro_gql.schema.context import Info
from parcourspro_gql.schema.descriptions import describe
from parcourspro_gql.schema.enums import STANDALONE_ENUMS
from parcourspro_gql.schema.errors import UserError
from parcourspro_gql.schema.notifications.mutations import NotificationMutations
from parcourspro_gql.schema.notifications.subscriptions import Subscription
from parcourspro_gql.schema.registrations.attendance import AttendanceMutations
from parcourspro_gql.schema.registrations.evaluations import EvaluationMutations
from parcourspro_gql.schema.registrations.mutations import RegistrationMutations
from parcourspro_gql.schema.registrations.queries import RegistrationQueries
from parcourspro_gql.schema.relay import Node, resolve_node
from parcourspro_gql.schema.reporting.queries import ReportingQueries
from parcourspro_gql.schema.structures.mutations import StructureChangeMutations, StructureMutations
from parcourspro_gql.schema.structures.queries import StructureQueries

log = logging.getLogger("parcourspro_gql.graphql")


@strawberry.type
class Query(AccountQueries, StructureQueries, CatalogueQueries, RegistrationQueries, ReportingQueries):
    @strawberry.field(description="Fetches an object by its global id; null when absent or not visible.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await resolve_node(info, id)


@strawberry.type
class Mutation(
    AccountMutations,
    StructureMutations,
    StructureChangeMutations,
    AffiliationMutations,
    CatalogueMutations,
    SessionMutations,
    AttendanceMutations,
    RegistrationMutations,
    EvaluationMutations,
    NotificationMutations,
):
    pass


_camel_case = lru_cache(maxsize=4096)(to_camel_case)


class CachedNameConverter(NameConverter):
    """strawberry converts the Python name of every argument to its GraphQL name each time a resolver is
    called (`convert_arguments`); the conversion is pure, so it is cached by name."""

    def apply_naming_config(self, name: str) -> str:
        return _camel_case(name) if self.auto_camel_case else name


class ParcoursProSchema(strawberry.Schema):
    # The fields the engine answers without their resolver (none with the fast paths off).
    fast_fields = FastFields()
    production = False

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        """strawberry's execution; with the fast paths, a query that passes the guards and has an operation
        plan is answered by it (engine/operations.py), and anything else, or anything that does not fit the
        plan, takes strawberry's way."""
        if (
            self.fast_fields.count
            and isinstance(query, str)
            and query
            and isinstance(variable_values, dict | None)
            and isinstance(operation_name, str | None)
            and (allowed_operation_types is None or OperationType.QUERY in allowed_operation_types)
        ):
            answered = await answer_planned(
                self._schema,
                query,
                variable_values,
                context_value,
                root_value,
                operation_name,
                self.production,
                self.process_errors,
            )
            if answered is not None:
                return answered
        return await super().execute(
            query,
            variable_values,
            context_value,
            root_value,
            operation_name,
            allowed_operation_types,
            operation_extensions,
        )

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        """Logs unexpected errors with their trace; expected ones are the client's business."""
        for error in errors:
            # A database that cannot serve is not a bug: the view logs it in one line, without a trace.
            if not is_expected(error) and not database_unavailable(error.original_error):
                original = error.original_error
                log.error(
                    "unexpected error in GraphQL execution",
                    exc_info=(type(original), original, original.__traceback__) if original else None,
                    extra={"path": error.path},
                )


def build_schema(production: bool, fast_paths: bool = True) -> ParcoursProSchema:
    """The schema with its guards; production also refuses introspection. Without `fast_paths`, execution is
    strawberry's and graphql-core's own (no plan, no leaf fast path, no cached name conversion)."""
    extensions: list[Any] = [lambda: RequestGuards(production)]
    built = ParcoursProSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[UserError, *STANDALONE_ENUMS],
        extensions=extensions,
        config=StrawberryConfig(
            disable_field_suggestions=True,
            name_converter=CachedNameConverter() if fast_paths else NameConverter(),
        ),
        execution_context_class=FastPathExecutionContext if fast_paths else None,
    )
    built.production = production
    if fast_paths:
        built.fast_fields = mark_fast_fields(built)
        if not built.fast_fields.count:
            log.warning(
                "fast paths on, but a schema extension's resolve hook keeps every field on the normal way"
            )
    describe(built._schema)
    return built


# The schema as clients see it in development (what `export-schema` writes).
schema = build_schema(production=False)
