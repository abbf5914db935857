"""UserError and the ErrorCode enum: refusals returned as data in every payload."""

from __future__ import annotations

import strawberry

from parcourspro_gql.domain.errors import DomainError
from parcourspro_gql.domain.errors import ErrorCode as DomainErrorCode

ErrorCode = strawberry.enum(DomainErrorCode, name="ErrorCode")


@strawberry.type
class UserError:
    code: ErrorCode = strawberry.field(description="Stable, machine-readable reason.")
    message: str = strawberry.field(description="Human-readable explanation, in French.")
    field: str | None = strawberry.field(description="The input field at fault (camelCase), or null.")

    @classmethod
    def from_domain(cls, error: DomainError) -> UserError:
        return cls(code=error.code, message=error.message, field=error.field)
