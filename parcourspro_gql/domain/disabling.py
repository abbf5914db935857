"""V4: managers disable and enable accounts."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from parcourspro_gql.auth.viewer import Viewer
from parcourspro_gql.clock import clock
from parcourspro_gql.domain import audit
from parcourspro_gql.domain.auth import revoke_all
from parcourspro_gql.domain.base import get_or_refuse, require_manager, required_reason
from parcourspro_gql.domain.errors import DomainError, ErrorCode
from parcourspro_gql.models import Account, Role


async def disable(session: AsyncSession, viewer: Viewer, account_id: int, reason: str | None) -> Account:
    """V4: a manager disables an account, with a reason: login answers ACCOUNT_DISABLED from then on, every
    refresh token and access token ends at once, and (after commit) its open websockets close; audited."""
    require_manager(viewer)
    reason = required_reason(reason, "de la désactivation")
    account = await get_or_refuse(
        session, Account, account_id, "accountId", "Compte introuvable.", for_update=True
    )
    if account.id == viewer.account_id:
        # A manager locked out by his own hand would need the command line to come back.
        raise DomainError(
            ErrorCode.FORBIDDEN, "Vous ne pouvez pas désactiver votre propre compte.", "accountId"
        )
    if account.disabled_at is not None:
        raise DomainError(ErrorCode.INVALID_TRANSITION, "Ce compte est déjà désactivé.", "accountId")
    account.disabled_at = clock.now()
    await revoke_all(session, account)
    await audit.record(
        session,
        viewer,
        entity_type="Account",
        entity_id=account.id,
        action="account.disable",
        from_state="ENABLED",
        to_state="DISABLED",
        reason=reason,
        actor_role=Role.MANAGER.value,
    )
    return account


async def enable(session: AsyncSession, viewer: Viewer, account_id: int) -> Account:
    """V4: a manager enables a disabled account again; the person logs in anew (his old tokens stay revoked).
    An anonymised account stays disabled: it has no identity left to log in with."""
    require_manager(viewer)
    account = await get_or_refuse(
        session, Account, account_id, "accountId", "Compte introuvable.", for_update=True
    )
    if account.anonymised_at is not None:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION, "Un compte anonymisé ne peut pas être réactivé.", "accountId"
        )
    if account.disabled_at is None:
        raise DomainError(ErrorCode.INVALID_TRANSITION, "Ce compte n'est pas désactivé.", "accountId")
    account.disabled_at = None
    await audit.record(
        session,
        viewer,
        entity_type="Account",
        entity_id=account.id,
        action="account.enable",
        from_state="DISABLED",
        to_state="ENABLED",
        actor_role=Role.MANAGER.value,
    )
    return account
