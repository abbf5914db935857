"""GDPR: a person's export of his data, the erasure of his identity by a manager, and retention periods.

Erasure keeps the legal evidence (registrations, attendance, the documents that name the person) and removes
the identity everywhere else: the account keeps its id (the anchor of the registrations and of the audit
trail) but loses its names, email, password, roles, structure, favourites, sessions, links and emails. The
documents that name the person are rendered once more and archived as PDFs first, so that his employer, the
provider and managers can still download them as they were.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from parcourspro_gql.auth.viewer import Viewer
from parcourspro_gql.clock import clock
from parcourspro_gql.db import Database, rows_changed
from parcourspro_gql.documents.render import render_pdf
from parcourspro_gql.domain import affiliation, audit, documents
from parcourspro_gql.domain.base import get_or_refuse, require_manager, required_reason
from parcourspro_gql.domain.documents import DocumentKind, DocumentRef
from parcourspro_gql.domain.errors import DomainError, ErrorCode
from parcourspro_gql.models import (
    Account,
    AccountRole,
    AffiliationStatus,
    ArchivedDocument,
    AuditEntry,
    Favourite,
    LoginAttempt,
    Notification,
    OneTimeToken,
    OutboxMessage,
    OutboxStatus,
    RateLimitHit,
    RefreshToken,
    Registration,
    Structure,
    Training,
    TrainingSession,
)
from parcourspro_gql.models import RegistrationStatus as S

IN_PROGRESS = (S.PENDING_EMPLOYER, S.PENDING_PROVIDER, S.WAITLISTED, S.ACCEPTED)
ANONYMOUS_NAME = "Personne anonymisée"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def export_data(session: AsyncSession, viewer: Viewer) -> dict[str, Any]:
    """Everything the platform holds about the caller (GDPR art. 15 and 20), as plain JSON."""
    account_id = viewer.account_id
    assert account_id is not None
    account = await session.get(Account, account_id)
    assert account is not None
    structure = await session.get(Structure, account.structure_id) if account.structure_id else None
    roles = await session.scalars(select(AccountRole).where(AccountRole.account_id == account_id))
    registrations = (
        await session.execute(
            select(Registration, TrainingSession, Training)
            .join(TrainingSession, TrainingSession.id == Registration.session_id)
            .join(Training, Training.id == Registration.training_id)
            .where(Registration.beneficiary_id == account_id)
            .order_by(Registration.requested_at, Registration.id)
        )
    ).all()
    favourites = await session.scalars(
        select(Training.title)
        .join(Favourite, Favourite.training_id == Training.id)
        .where(Favourite.account_id == account_id)
        .order_by(Training.title)
    )
    emails = await session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.to_address == account.email)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    )
    sessions = await session.scalars(
        select(RefreshToken).where(RefreshToken.account_id == account_id).order_by(RefreshToken.created_at)
    )
    logins = await session.scalars(
        select(LoginAttempt)
        .where(
            or_(
                LoginAttempt.account_id == account_id,
                LoginAttempt.email_normalized == account.email_normalized,
            )
        )
        .order_by(LoginAttempt.at)
    )
    trail = await session.scalars(
        select(AuditEntry)
        .where(
            or_(
                AuditEntry.actor_id == account_id,
                and_(AuditEntry.entity_type == "Account", AuditEntry.entity_id == account_id),
                and_(
                    AuditEntry.entity_type == "Registration",
                    AuditEntry.entity_id.in_([row[0].id for row in registrations] or [0]),
                ),
            )
        )
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    return {
        "exportedAt": _iso(clock.now()),
        "account": {
            "email": account.email,
            "firstName": account.first_name,
            "lastName": account.last_name,
            "createdAt": _iso(account.created_at),
            "emailVerifiedAt": _iso(account.email_verified_at),
            "roles": ["BENEFICIARY", *sorted(role.role.value for role in roles)],
            "affiliation": {
                "status": account.affiliation_status.value,
                "requestedAt": _iso(account.affiliation_requested_at),
                "decidedAt": _iso(account.affiliation_decided_at),
                "refusalReason": account.affiliation_refusal_reason,
            },
            "structure": {"name": structure.name, "siret": structure.siret} if structure else None,
        },
        "registrations": [
            {
                "training": training.title,
                "sessionStartsAt": _iso(item.starts_at),
                "sessionEndsAt": _iso(item.ends_at),
                "location": item.location,
                "status": registration.status.value,
                "motivation": registration.motivation,
                "requestedAt": _iso(registration.requested_at),
                "employerDecision": {
                    "at": _iso(registration.employer_decision_at),
                    "comment": registration.employer_decision_comment,
                },
                "providerDecision": {
                    "at": _iso(registration.provider_decision_at),
                    "comment": registration.provider_decision_comment,
                },
                "cancellation": {
                    "at": _iso(registration.cancelled_at),
                    "reason": registration.cancellation_reason,
                },
                "convocationSentAt": _iso(registration.convocation_sent_at),
                "halfDaysAttended": registration.half_days_attended,
                "attendanceRate": registration.attendance_rate,
            }
            for registration, item, training in registrations
        ],
        "favourites": list(favourites),
        "emails": [
            {
                "at": _iso(m.created_at),
                "subject": m.subject,
                "status": m.status.value,
                "sentAt": _iso(m.sent_at),
            }
            for m in emails
        ],
        "sessions": [
            {
                "createdAt": _iso(r.created_at),
                "expiresAt": _iso(r.expires_at),
                "revokedAt": _iso(r.revoked_at),
            }
            for r in sessions
        ],
        "logins": [
            {"at": _iso(a.at), "clientAddress": a.client_address, "success": a.success} for a in logins
        ],
        "history": [
            {
                "at": _iso(entry.at),
                "action": entry.action,
                "by": "vous" if entry.actor_id == account_id else (entry.actor_role or "système"),
                "from": entry.from_state,
                "to": entry.to_state,
                "reason": entry.reason,
            }
            for entry in trail
        ],
    }


async def _documents_naming(
    session: AsyncSession, viewer: Viewer, account_id: int
) -> list[documents.DocumentFile]:
    """Every document that prints the person's name: his convocations, attestations and certificates, and
    the conventions and attendance sheets of his sessions."""
    rows = list(
        await session.scalars(
            select(Registration).where(
                Registration.beneficiary_id == account_id, Registration.status.in_(documents.ISSUED)
            )
        )
    )
    refs: list[DocumentRef] = []
    for row in rows:
        refs += [
            DocumentRef(DocumentKind.CONVOCATION, row.session_id, registration_id=row.id),
            DocumentRef(DocumentKind.ATTESTATION, row.session_id, registration_id=row.id),
            DocumentRef(DocumentKind.COMPLETION_CERTIFICATE, row.session_id, registration_id=row.id),
            DocumentRef(DocumentKind.CONVENTION, row.session_id, structure_id=row.structure_id),
            DocumentRef(DocumentKind.ATTENDANCE_SHEET, row.session_id),
        ]
    found = []
    for ref in dict.fromkeys(refs):
        document = await documents.load(session, viewer, ref)  # a manager may read them all
        if document is not None and document.content is None:
            found.append(document)
    return found


async def _check_erasable(session: AsyncSession, viewer: Viewer, account_id: int, *, lock: bool) -> Account:
    """The account to erase, or the refusal: unknown, already erased, the manager's own, or with registrations
    in progress. Checked before rendering (a refusal costs no PDF) and again under lock before writing."""
    account = await get_or_refuse(
        session, Account, account_id, "accountId", "Compte introuvable.", for_update=lock
    )
    if account.anonymised_at is not None:
        raise DomainError(ErrorCode.INVALID_TRANSITION, "Ce compte est déjà anonymisé.", "accountId")
    if account.id == viewer.account_id:
        raise DomainError(
            ErrorCode.FORBIDDEN, "Un gestionnaire n'anonymise pas son propre compte.", "accountId"
        )
    in_progress = await session.scalar(
        select(func.count())
        .select_from(Registration)
        .where(Registration.beneficiary_id == account.id, Registration.status.in_(IN_PROGRESS))
    )
    if in_progress:
        raise DomainError(
            ErrorCode.REGISTRATIONS_IN_PROGRESS,
            f"Cette personne a {in_progress} inscription(s) en cours : annulez-les, ou saisissez la présence, "
            "avant d'anonymiser son compte.",
            "accountId",
        )
    if lock and account.structure_id is not None:
        # Two erasures of a structure's last two referents must not both pass: one waits for the other.
        await session.get(Structure, account.structure_id, with_for_update=True, populate_existing=True)
    # R2': erasure removes the roles too, and nothing removes a structure's last referent.
    await affiliation.guard_last_referent(session, account)
    return account


async def anonymise(db: Database, viewer: Viewer, account_id: int, reason: str | None) -> Account:
    """A manager erases a person's identity (GDPR art. 17), keeping the legal evidence."""
    require_manager(viewer)
    why = required_reason(reason)
    async with db.read() as session:
        await _check_erasable(session, viewer, account_id, lock=False)
        files = await _documents_naming(session, viewer, account_id)
    # Rendered before the write transaction, which must not hold the database while PDFs are drawn.
    pdfs = await asyncio.gather(*(render_pdf(file.template, file.context) for file in files))
    async with db.transaction() as session:
        account = await _check_erasable(session, viewer, account_id, lock=True)
        now = clock.now()
        tokens = [file.ref.token() for file in files]
        archived = set(
            await session.scalars(select(ArchivedDocument.ref).where(ArchivedDocument.ref.in_(tokens)))
        )
        for file, pdf, token in zip(files, pdfs, tokens, strict=True):
            if token not in archived:  # another erasure naming the same document archived it meanwhile
                session.add(
                    ArchivedDocument(
                        ref=token,
                        session_id=file.ref.session_id,
                        file_name=file.file_name,
                        content=pdf,
                        archived_at=now,
                    )
                )
        old_email = account.email
        await session.execute(delete(AccountRole).where(AccountRole.account_id == account.id))
        await session.execute(delete(Favourite).where(Favourite.account_id == account.id))
        # His inbox, and the notifications of others that name him (their messages carry his name).
        await session.execute(
            delete(Notification).where(
                or_(
                    Notification.account_id == account.id,
                    Notification.about_account_id == account.id,
                    Notification.registration_id.in_(
                        select(Registration.id).where(Registration.beneficiary_id == account.id)
                    ),
                )
            )
        )
        await session.execute(delete(OneTimeToken).where(OneTimeToken.account_id == account.id))
        await session.execute(delete(RefreshToken).where(RefreshToken.account_id == account.id))
        await session.execute(
            delete(LoginAttempt).where(
                or_(
                    LoginAttempt.account_id == account.id,
                    LoginAttempt.email_normalized == account.email_normalized,
                )
            )
        )
        await session.execute(delete(OutboxMessage).where(OutboxMessage.to_address == old_email))
        account.email = account.email_normalized = f"anonyme-{account.id}@anonyme.invalid"
        account.first_name, account.last_name = ANONYMOUS_NAME, f"n° {account.id}"
        account.password_hash = "!"  # matches no password
        account.structure_id, account.affiliation_status = None, AffiliationStatus.NONE
        account.affiliation_refusal_reason = None
        account.disabled_at = account.disabled_at or now
        account.tokens_valid_after = account.anonymised_at = now
        await audit.record(
            session,
            viewer,
            entity_type="Account",
            entity_id=account.id,
            action="account.anonymise",
            reason=why,
            data={"archivedDocuments": len(files)},
        )
        return account


async def purge(session: AsyncSession, settings: Any, *, dry_run: bool = False) -> dict[str, int]:
    """Deletes what has outlived its retention period; returns how many rows of each kind (none if dry_run)."""
    now = clock.now()

    def before(days: int) -> datetime:
        return now - timedelta(days=days)

    mail = before(settings.retention_mail_days)
    security = before(settings.retention_security_days)
    unverified = before(settings.retention_unverified_days)
    targets: dict[str, Any] = {
        "emails": delete(OutboxMessage).where(
            OutboxMessage.status.in_((OutboxStatus.SENT, OutboxStatus.FAILED)),
            OutboxMessage.created_at < mail,
        ),
        "login attempts": delete(LoginAttempt).where(LoginAttempt.at < security),
        "rate limit hits": delete(RateLimitHit).where(RateLimitHit.at < security),
        "links": delete(OneTimeToken).where(
            OneTimeToken.expires_at < security,
        ),
        "sessions": delete(RefreshToken).where(
            or_(RefreshToken.expires_at < security, RefreshToken.revoked_at < security)
        ),
        "unverified accounts": delete(Account).where(
            Account.email_verified_at.is_(None),
            Account.created_at < unverified,
            Account.anonymised_at.is_(None),
            ~exists().where(Registration.beneficiary_id == Account.id),
            ~exists().where(AuditEntry.actor_id == Account.id),
            ~exists().where(Structure.requested_by_id == Account.id),
        ),
        "audit entries": delete(AuditEntry).where(AuditEntry.at < before(settings.retention_audit_days)),
        "archived documents": delete(ArchivedDocument).where(
            ArchivedDocument.archived_at < before(settings.retention_evidence_days)
        ),
    }
    counts: dict[str, int] = {}
    for name, statement in targets.items():
        if dry_run:
            counted = select(func.count()).select_from(statement.table).where(statement.whereclause)
            counts[name] = int(await session.scalar(counted) or 0)
        else:
            counts[name] = rows_changed(await session.execute(statement)) or 0
    return counts
