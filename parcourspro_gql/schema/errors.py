"""UserError and the ErrorCode enum: refusals returned as data in every payload."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from parcourspro_gql.domain.errors import DomainError
from parcourspro_gql.domain.errors import ErrorCode as DomainErrorCode

# Marked in place (see schema/enums.py): the domain's enum is the API's.
strawberry.enum(DomainErrorCode, name="ErrorCode")
ErrorCode = DomainErrorCode


@strawberry.type
class UserError:
    code: ErrorCode = strawberry.field(description="Stable, machine-readable reason.")
    message: str = strawberry.field(description="Human-readable explanation, in French.")
    field: str | None = strawberry.field(description="The input field at fault (camelCase), or null.")

    @classmethod
    def from_domain(cls, error: DomainError) -> UserError:
        return cls(code=error.code, message=error.message, field=error.field)


T = TypeVar("T")


async def attempt(call: Callable[[], Awaitable[T]]) -> tuple[T | None, list[UserError]]:
    """Runs a use case; a refusal becomes `errors` (its transaction was rolled back by then)."""
    try:
        return await call(), []
    except DomainError as error:
        return None, [UserError.from_domain(error)]


async def transact(
    info: Any, use_case: Callable[[AsyncSession], Awaitable[T]]
) -> tuple[T | None, list[UserError]]:
    """Runs a use case in the request's write transaction (run again whole after a deadlock or a serialization
    failure); a refusal rolls it back and becomes `errors`."""
    return await attempt(lambda: info.context.transact(use_case))


@strawberry.type
class OkPayload:
    ok: bool
    errors: list[UserError]
