"""Accounts: creation and the rules on emails and passwords (A1, A2)."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from parcourspro_gql.auth.passwords import hash_password
from parcourspro_gql.auth.viewer import Viewer
from parcourspro_gql.clock import clock
from parcourspro_gql.domain import audit
from parcourspro_gql.domain.base import settings_of
from parcourspro_gql.domain.errors import DomainError, ErrorCode
from parcourspro_gql.models import Account, AccountRole, AffiliationStatus, Role

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD, MAX_PASSWORD = 12, 128


def normalize_email(email: str) -> str:
    """A1: trimmed and case-folded; the form that is unique and compared at login."""
    return email.strip().lower()


def check_email(email: str) -> str:
    email = email.strip()
    if len(email) > 254 or not _EMAIL.match(email):
        raise DomainError(ErrorCode.INVALID_INPUT, "Adresse e-mail invalide.", "email")
    return email


def check_password(password: str, email: str) -> None:
    """A2: 12 to 128 characters, not the email."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise DomainError(
            ErrorCode.WEAK_PASSWORD,
            f"Le mot de passe doit compter entre {MIN_PASSWORD} et {MAX_PASSWORD} caractères.",
            "password",
        )
    if password.strip().lower() == normalize_email(email):
        raise DomainError(
            ErrorCode.WEAK_PASSWORD, "Le mot de passe ne peut pas être votre e-mail.", "password"
        )


async def create_manager(
    session: AsyncSession, *, email: str, password: str, first_name: str, last_name: str
) -> Account:
    """R3: the first manager comes from the command line: a verified account holding MANAGER."""
    email = check_email(email)
    check_password(password, email)
    if await session.scalar(select(Account.id).where(Account.email_normalized == normalize_email(email))):
        raise DomainError(ErrorCode.EMAIL_ALREADY_USED, "Cette adresse e-mail est déjà utilisée.", "email")
    now = clock.now()
    account = Account(
        email=email,
        email_normalized=normalize_email(email),
        password_hash=await hash_password(password, settings_of(session).password_hash_profile),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        email_verified_at=now,
        affiliation_status=AffiliationStatus.NONE,
        created_at=now,
    )
    session.add(account)
    await session.flush()
    session.add(AccountRole(account_id=account.id, role=Role.MANAGER, granted_at=now))
    await audit.record(
        session,
        None,
        entity_type="Account",
        entity_id=account.id,
        action="role.grant",
        to_state=Role.MANAGER.value,
        reason="created from the command line",
    )
    return account


def can_view(viewer: Viewer, account: Account) -> bool:
    """An account is seen by itself, managers, and the referents and employers of its structure."""
    if viewer.account_id is None:
        return False
    if viewer.account_id == account.id or viewer.is_manager:
        return True
    return (
        account.structure_id is not None
        and account.structure_id == viewer.active_structure_id
        and (viewer.has_role(Role.REFERENT) or viewer.has_role(Role.EMPLOYER))
    )
