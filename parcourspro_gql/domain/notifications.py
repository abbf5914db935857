"""The inbox (N1): the one function through which a change tells a person, and what he does with his inbox."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from parcourspro_gql.auth.viewer import Viewer
from parcourspro_gql.clock import clock
from parcourspro_gql.db import rows_changed
from parcourspro_gql.domain.errors import DomainError, ErrorCode
from parcourspro_gql.events import notification_topic, publish
from parcourspro_gql.mail.outbox import Attachment, enqueue, render
from parcourspro_gql.models import Account, Notification, NotificationKind

MAX_MESSAGE = 500
# notificationsMarkRead names at most a page of them; "all" is the empty list.
MAX_MARKED = 100
_SUBJECT_PREFIX = "[ParcoursPro]"


@dataclass(frozen=True)
class About:
    """What a notification is about, each optional: a client opens the matching screen."""

    registration_id: int | None = None
    session_id: int | None = None
    structure_id: int | None = None
    account_id: int | None = None


def _message_of(subject: str) -> str:
    """The inbox line of an email: its subject without the tag that mail clients need and an inbox does not."""
    message = subject.removeprefix(_SUBJECT_PREFIX).strip()
    return message[:MAX_MESSAGE]


async def notify(
    session: AsyncSession,
    recipient: Account,
    kind: NotificationKind,
    *,
    template: str | None = None,
    context: Mapping[str, Any] | None = None,
    message: str | None = None,
    about: About = About(),
    dedup_key: str | None = None,
    attachments: Sequence[Attachment] = (),
) -> Notification:
    """N1: tells `recipient` of a change, in `session`'s transaction: a notification in his inbox and, when
    `template` names an email, that email in the outbox (its context gets `first_name`). The message is
    `message`, or the email's subject. After commit the notification is pushed to his open websockets (N2).

    Every step that asks someone to act or tells him of a decision calls this, never `enqueue` alone.
    """
    if template is None and message is None:
        raise ValueError("a notification needs a message or an email template")
    if template is not None:
        mail_context = {"first_name": recipient.first_name, **(context or {})}
        rendered = render(template, mail_context)
        message = message or _message_of(rendered.subject)
        # An anonymised account has no address left (anonyme-<id>@anonyme.invalid): no email to it.
        if recipient.anonymised_at is None:
            await enqueue(
                session,
                to=recipient.email,
                template=template,
                context=mail_context,
                dedup_key=dedup_key,
                attachments=attachments,
                rendered=rendered,
            )
    assert message is not None
    notification = Notification(
        account_id=recipient.id,
        kind=kind,
        message=message[:MAX_MESSAGE],
        created_at=clock.now(),
        read_at=None,
        registration_id=about.registration_id,
        session_id=about.session_id,
        structure_id=about.structure_id,
        about_account_id=about.account_id,
    )
    session.add(notification)
    await session.flush()
    await publish(session, notification_topic(recipient.id), as_event(notification))
    return notification


def as_event(notification: Notification) -> dict[str, Any]:
    """The notification as the live event carries it: everything a subscriber shows, without a read."""
    return {
        "id": notification.id,
        "account_id": notification.account_id,
        "kind": notification.kind.value,
        "message": notification.message,
        "created_at": notification.created_at.isoformat(),
        "registration_id": notification.registration_id,
        "session_id": notification.session_id,
        "structure_id": notification.structure_id,
        "about_account_id": notification.about_account_id,
    }


def from_event(data: Mapping[str, Any]) -> Notification:
    """The notification an event carries, as a row that is not attached to any session."""
    return Notification(
        id=int(data["id"]),
        account_id=int(data["account_id"]),
        kind=NotificationKind(data["kind"]),
        message=str(data["message"]),
        created_at=datetime.fromisoformat(data["created_at"]),
        read_at=None,
        registration_id=data.get("registration_id"),
        session_id=data.get("session_id"),
        structure_id=data.get("structure_id"),
        about_account_id=data.get("about_account_id"),
    )


def inbox_of(unread_only: bool) -> Select[Any]:
    """Account.notifications: one account's notifications (its id is the bound parameter `owner`)."""
    statement = select(Notification).where(Notification.account_id == bindparam("owner"))
    return statement.where(Notification.read_at.is_(None)) if unread_only else statement


def can_view(viewer: Viewer, notification: Notification) -> bool:
    """A notification is its owner's only (managers included: an inbox is personal)."""
    return viewer.account_id is not None and viewer.account_id == notification.account_id


async def mark_read(session: AsyncSession, viewer: Viewer, ids: Sequence[int] | None) -> int:
    """Marks some of the caller's notifications read, or all of them when `ids` is empty or None; returns how
    many changed. A notification that is not the caller's is NOT_FOUND, and then nothing is marked."""
    if viewer.account_id is None:
        raise DomainError(ErrorCode.FORBIDDEN, "Connectez-vous pour lire vos notifications.")
    wanted = sorted(set(ids or ()))
    if len(wanted) > MAX_MARKED:
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"Au plus {MAX_MARKED} notifications à la fois (ou toutes).", "ids"
        )
    mine = Notification.account_id == viewer.account_id
    if wanted:
        found = set(await session.scalars(select(Notification.id).where(mine, Notification.id.in_(wanted))))
        if found != set(wanted):
            raise DomainError(ErrorCode.NOT_FOUND, "Notification introuvable.", "ids")
    statement = update(Notification).where(mine, Notification.read_at.is_(None))
    if wanted:
        statement = statement.where(Notification.id.in_(wanted))
    result = await session.execute(
        statement.values(read_at=clock.now()).execution_options(synchronize_session=False)
    )
    return rows_changed(result)
