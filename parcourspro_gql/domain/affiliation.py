"""Accounts in a structure (R1-R5): joining, confirmation by a referent, roles, referent hand-over."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from parcourspro_gql.auth.viewer import Viewer
from parcourspro_gql.clock import clock
from parcourspro_gql.domain import audit
from parcourspro_gql.domain.base import get_or_refuse, required_reason
from parcourspro_gql.domain.errors import DomainError, ErrorCode
from parcourspro_gql.domain.notifications import About, notify
from parcourspro_gql.mail.outbox import enqueue
from parcourspro_gql.models import (
    Account,
    AccountRole,
    AffiliationStatus,
    NotificationKind,
    Role,
    Structure,
    StructureStatus,
)

FORBIDDEN = DomainError(ErrorCode.FORBIDDEN, "Vous n'avez pas le droit d'agir sur ce compte.")


def _name(account: Account) -> str:
    return f"{account.first_name} {account.last_name}"


async def _roles(session: AsyncSession, account_id: int) -> set[Role]:
    return set(await session.scalars(select(AccountRole.role).where(AccountRole.account_id == account_id)))


async def _referents(session: AsyncSession, structure_id: int) -> list[Account]:
    return list(
        await session.scalars(
            select(Account)
            .join(AccountRole, AccountRole.account_id == Account.id)
            .where(
                Account.structure_id == structure_id,
                Account.affiliation_status == AffiliationStatus.ACTIVE,
                AccountRole.role == Role.REFERENT,
            )
            .order_by(Account.id)
        )
    )


def _acting_role(viewer: Viewer, structure_id: int | None, role: Role = Role.REFERENT) -> str:
    """The capacity in which the caller may decide for `structure_id`: its referent (or employer), or a manager
    in their place (R5). Raises FORBIDDEN otherwise."""
    if structure_id is not None and viewer.active_structure_id == structure_id and viewer.has_role(role):
        return role.value
    if viewer.is_manager:
        return Role.MANAGER.value
    raise FORBIDDEN


async def request_affiliation(session: AsyncSession, viewer: Viewer, structure_id: int) -> Account:
    """R1: the caller joins a validated structure: active REFERENT if he is its first account, else PENDING."""
    account = await session.get(Account, viewer.account_id, with_for_update=True)
    assert account is not None
    if account.email_verified_at is None:
        raise DomainError(ErrorCode.EMAIL_NOT_VERIFIED, "Confirmez d'abord votre adresse e-mail.")
    if account.affiliation_status in {AffiliationStatus.ACTIVE, AffiliationStatus.PENDING}:
        raise DomainError(
            ErrorCode.ALREADY_AFFILIATED, "Vous êtes déjà rattaché à une structure (ou en attente)."
        )
    structure = await get_or_refuse(
        session, Structure, structure_id, "structureId", "Structure introuvable.", for_update=True
    )
    if structure.status is not StructureStatus.VALIDATED:
        raise DomainError(
            ErrorCode.STRUCTURE_NOT_VALIDATED, "Cette structure n'est pas (encore) validée.", "structureId"
        )
    now = clock.now()
    active = await session.scalar(
        select(func.count())
        .select_from(Account)
        .where(Account.structure_id == structure.id, Account.affiliation_status == AffiliationStatus.ACTIVE)
    )
    previous = account.affiliation_status
    account.structure_id, account.affiliation_requested_at = structure.id, now
    account.affiliation_refusal_reason = None
    if not active:
        account.affiliation_status, account.affiliation_decided_at = AffiliationStatus.ACTIVE, now
        session.add(AccountRole(account_id=account.id, role=Role.REFERENT, granted_at=now))
        await audit.record(
            session,
            viewer,
            entity_type="Account",
            entity_id=account.id,
            action="affiliation.first_account",
            from_state=previous,
            to_state=AffiliationStatus.ACTIVE,
            data={"structure_id": structure.id, "role": "REFERENT"},
        )
        await notify(
            session,
            account,
            NotificationKind.AFFILIATION_DECIDED,
            template="affiliation_confirmed",
            context={"structure_name": structure.name},
            about=About(structure_id=structure.id),
        )
        return account
    account.affiliation_status, account.affiliation_decided_at = AffiliationStatus.PENDING, None
    await audit.record(
        session,
        viewer,
        entity_type="Account",
        entity_id=account.id,
        action="affiliation.request",
        from_state=previous,
        to_state=AffiliationStatus.PENDING,
        data={"structure_id": structure.id},
    )
    await enqueue(
        session,
        to=account.email,
        template="affiliation_pending",
        context={"first_name": account.first_name, "structure_name": structure.name},
    )
    for referent in await _referents(session, structure.id):
        await notify(
            session,
            referent,
            NotificationKind.AFFILIATION_TO_CONFIRM,
            template="affiliation_to_confirm",
            context={
                "structure_name": structure.name,
                "person_name": _name(account),
                "person_email": account.email,
            },
            about=About(structure_id=structure.id, account_id=account.id),
        )
    return account


async def _pending_account(session: AsyncSession, viewer: Viewer, account_id: int) -> tuple[Account, str]:
    account = await get_or_refuse(
        session, Account, account_id, "accountId", "Compte introuvable.", for_update=True
    )
    acting = _acting_role(viewer, account.structure_id)
    if account.affiliation_status is not AffiliationStatus.PENDING:
        raise DomainError(
            ErrorCode.INVALID_TRANSITION, "Ce compte n'attend pas de confirmation.", "accountId"
        )
    return account, acting


async def confirm_affiliation(session: AsyncSession, viewer: Viewer, account_id: int) -> Account:
    """R1: a referent of the structure (or a manager) confirms a pending account."""
    account, acting = await _pending_account(session, viewer, account_id)
    structure = await session.get(Structure, account.structure_id)
    assert structure is not None
    account.affiliation_status, account.affiliation_decided_at = AffiliationStatus.ACTIVE, clock.now()
    await audit.record(
        session,
        viewer,
        entity_type="Account",
        entity_id=account.id,
        action="affiliation.confirm",
        from_state=AffiliationStatus.PENDING,
        to_state=AffiliationStatus.ACTIVE,
        actor_role=acting,
        data={"structure_id": structure.id},
    )
    await notify(
        session,
        account,
        NotificationKind.AFFILIATION_DECIDED,
        template="affiliation_confirmed",
        context={"structure_name": structure.name},
        about=About(structure_id=structure.id),
    )
    return account


async def refuse_affiliation(
    session: AsyncSession, viewer: Viewer, account_id: int, reason: str | None
) -> Account:
    """R1: a referent of the structure (or a manager) refuses a pending account, with a reason."""
    account, acting = await _pending_account(session, viewer, account_id)
    reason = required_reason(reason)
    structure = await session.get(Structure, account.structure_id)
    assert structure is not None
    account.affiliation_status, account.affiliation_decided_at = AffiliationStatus.REFUSED, clock.now()
    account.affiliation_refusal_reason = reason
    await audit.record(
        session,
        viewer,
        entity_type="Account",
        entity_id=account.id,
        action="affiliation.refuse",
        from_state=AffiliationStatus.PENDING,
        to_state=AffiliationStatus.REFUSED,
        reason=reason,
        actor_role=acting,
        data={"structure_id": structure.id},
    )
    await notify(
        session,
        account,
        NotificationKind.AFFILIATION_DECIDED,
        template="affiliation_refused",
        context={"structure_name": structure.name, "reason": reason},
        about=About(structure_id=structure.id),
    )
    return account


async def _active_member(session: AsyncSession, account_id: int) -> Account:
    account = await get_or_refuse(
        session, Account, account_id, "accountId", "Compte introuvable.", for_update=True
    )
    return account


def _require_active(account: Account) -> None:
    if account.affiliation_status is not AffiliationStatus.ACTIVE:
        raise DomainError(
            ErrorCode.NOT_AFFILIATED, "Ce compte n'est pas rattaché activement à la structure.", "accountId"
        )


async def guard_last_referent(session: AsyncSession, account: Account) -> None:
    """R2, R2': refuses a change that would leave the account's structure without a referent (LAST_REFERENT),
    when the account is one of its active referents. The caller locks the structure row first where two such
    changes may race (anonymisation)."""
    if account.structure_id is None or account.affiliation_status is not AffiliationStatus.ACTIVE:
        return
    referents = await _referents(session, account.structure_id)
    if any(referent.id == account.id for referent in referents):
        await _guard_last_referent(session, account)


async def _guard_last_referent(session: AsyncSession, account: Account) -> None:
    """R2: a structure always keeps at least one referent."""
    others = [
        referent
        for referent in await _referents(session, account.structure_id or 0)
        if referent.id != account.id
    ]
    if not others:
        raise DomainError(
            ErrorCode.LAST_REFERENT, "La structure doit garder au moins un référent.", "accountId"
        )


async def grant_role(session: AsyncSession, viewer: Viewer, account_id: int, role: Role) -> Account:
    """R2, R3: EMPLOYER by a referent of the account's structure; PROVIDER, MANAGER, REFERENT by managers."""
    account = await _active_member(session, account_id)
    if role is Role.BENEFICIARY:
        raise DomainError(ErrorCode.INVALID_INPUT, "Tout compte est bénéficiaire.", "role")
    if role is Role.EMPLOYER:
        acting = _acting_role(viewer, account.structure_id)
        _require_active(account)
    elif viewer.is_manager:
        acting = Role.MANAGER.value
        if role is Role.REFERENT:
            _require_active(account)
    else:
        raise DomainError(
            ErrorCode.FORBIDDEN, "Ce rôle n'est attribué que par les gestionnaires de Cap Métiers."
        )
    if role in await _roles(session, account.id):
        return account
    session.add(
        AccountRole(account_id=account.id, role=role, granted_at=clock.now(), granted_by_id=viewer.account_id)
    )
    await audit.record(
        session,
        viewer,
        entity_type="Account",
        entity_id=account.id,
        action="role.grant",
        to_state=role.value,
        actor_role=acting,
    )
    return account


async def revoke_role(session: AsyncSession, viewer: Viewer, account_id: int, role: Role) -> Account:
    """R2, R3: the same people take back what they may give; never the last referent of a structure."""
    account = await _active_member(session, account_id)
    if role is Role.BENEFICIARY:
        raise DomainError(ErrorCode.INVALID_INPUT, "Tout compte reste bénéficiaire.", "role")
    if role is Role.EMPLOYER:
        acting = _acting_role(viewer, account.structure_id)
    elif viewer.is_manager:
        acting = Role.MANAGER.value
    else:
        raise DomainError(
            ErrorCode.FORBIDDEN, "Ce rôle n'est retiré que par les gestionnaires de Cap Métiers."
        )
    row = await session.get(AccountRole, (account.id, role))
    if row is None:
        return account
    if role is Role.REFERENT:
        await _guard_last_referent(session, account)
    if role is Role.MANAGER and account.id == viewer.account_id:
        raise DomainError(
            ErrorCode.INVALID_INPUT, "Un gestionnaire ne retire pas son propre rôle.", "accountId"
        )
    await session.delete(row)
    await audit.record(
        session,
        viewer,
        entity_type="Account",
        entity_id=account.id,
        action="role.revoke",
        from_state=role.value,
        actor_role=acting,
    )
    return account


async def transfer_referent(session: AsyncSession, viewer: Viewer, account_id: int) -> Account:
    """R2: a referent hands REFERENT to another active account of his structure (a manager may do it for him,
    in which case the current referents keep the role)."""
    account = await _active_member(session, account_id)
    acting = _acting_role(viewer, account.structure_id)
    _require_active(account)
    if account.id == viewer.account_id:
        raise DomainError(ErrorCode.INVALID_INPUT, "Choisissez un autre compte de la structure.", "accountId")
    now = clock.now()
    if Role.REFERENT not in await _roles(session, account.id):
        session.add(
            AccountRole(
                account_id=account.id, role=Role.REFERENT, granted_at=now, granted_by_id=viewer.account_id
            )
        )
    if acting == Role.REFERENT.value:
        own = await session.get(AccountRole, (viewer.account_id, Role.REFERENT))
        if own is not None:
            await session.delete(own)
    await audit.record(
        session,
        viewer,
        entity_type="Account",
        entity_id=account.id,
        action="referent.transfer",
        to_state=Role.REFERENT.value,
        actor_role=acting,
        data={"from_account_id": viewer.account_id},
    )
    return account


def pending_affiliations(structure_id: int | None) -> Select[Any]:
    """Accounts waiting for a referent's confirmation: of one structure, or all of them (managers)."""
    statement = select(Account).where(Account.affiliation_status == AffiliationStatus.PENDING)
    return statement if structure_id is None else statement.where(Account.structure_id == structure_id)


def structure_accounts(structure_id: int, status: AffiliationStatus | None) -> Select[Any]:
    statement = select(Account).where(Account.structure_id == structure_id)
    return statement if status is None else statement.where(Account.affiliation_status == status)


def may_list_pending(viewer: Viewer) -> bool:
    """Query.pendingAffiliations: a referent (those of his structure) or a manager (all of them)."""
    if viewer.is_manager:
        return True
    return viewer.active_structure_id is not None and viewer.has_role(Role.REFERENT)


def can_list_accounts(viewer: Viewer, structure_id: int) -> bool:
    """Structure.accounts: its referents, employers and managers only."""
    if viewer.is_manager:
        return True
    return viewer.active_structure_id == structure_id and (
        viewer.has_role(Role.REFERENT) or viewer.has_role(Role.EMPLOYER)
    )
