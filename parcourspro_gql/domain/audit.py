"""The one function every state change calls to leave its audit row (R4, R5)."""

from __future__ import annotations

import enum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parcourspro_gql.auth.viewer import Viewer
from parcourspro_gql.clock import clock
from parcourspro_gql.logs import request_id_var
from parcourspro_gql.models import AuditEntry


def _state(value: enum.Enum | str | None) -> str | None:
    return value.value if isinstance(value, enum.Enum) else value


async def record(
    session: AsyncSession,
    actor: Viewer | None,
    *,
    entity_type: str,
    entity_id: int,
    action: str,
    from_state: enum.Enum | str | None = None,
    to_state: enum.Enum | str | None = None,
    reason: str | None = None,
    actor_role: str | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Adds an audit row in `session`'s transaction: who (None = the system), when, what, from, to, why.

    `actor_role` names the capacity in which the actor decided, e.g. "MANAGER" when a manager decides in
    place of a referent (R5).
    """
    entry = AuditEntry(
        at=clock.now(),
        actor_id=actor.account_id if actor else None,
        actor_role=actor_role,
        entity_type=entity_type,
        entity_id=entity_id,
        action=action,
        from_state=_state(from_state),
        to_state=_state(to_state),
        reason=reason,
        data=data,
        request_id=request_id_var.get(),
    )
    session.add(entry)
    return entry
