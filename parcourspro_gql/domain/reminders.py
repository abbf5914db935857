"""T5 on the scheduler: reminders to accepted participants before a session, and the warning to its provider and
the managers when fewer people than its minimum are accepted a week before. Each is one scheduled task per
session and moment (`session-reminder:<session>:<days>`, `session-minimum:<session>`), so it runs once; a start
that moves moves them (and a reminder already sent for the former date is sent again for the new one)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from parcourspro_gql.clock import clock
from parcourspro_gql.domain import audit, scheduling
from parcourspro_gql.domain.base import settings_of
from parcourspro_gql.domain.notifications import About, notify
from parcourspro_gql.models import (
    Account,
    AccountRole,
    AffiliationStatus,
    NotificationKind,
    Registration,
    Role,
    ScheduledTask,
    Training,
    TrainingSession,
)
from parcourspro_gql.models import RegistrationStatus as S

SESSION_REMINDER = "session-reminder"
SESSION_MINIMUM = "session-minimum"
MINIMUM_NOTICE = timedelta(days=7)


async def schedule_for(session: AsyncSession, item: TrainingSession) -> None:
    """Schedules (or moves) the session's reminders and its minimum-headcount check from its start; call it at
    the creation and whenever the start moves."""
    for days in settings_of(session).reminder_day_list:
        await scheduling.schedule(
            session,
            SESSION_REMINDER,
            f"{SESSION_REMINDER}:{item.id}:{days}",
            item.starts_at - timedelta(days=days),
            session_id=item.id,
        )
    await scheduling.schedule(
        session,
        SESSION_MINIMUM,
        f"{SESSION_MINIMUM}:{item.id}",
        item.starts_at - MINIMUM_NOTICE,
        session_id=item.id,
    )


def _days_of(task: ScheduledTask) -> int:
    return int(task.key.rsplit(":", 1)[1])


async def _due(session: AsyncSession, task: ScheduledTask) -> TrainingSession | None:
    """The task's session when its moment has come and it still runs; None when there is nothing to do."""
    assert task.session_id is not None
    item = await session.get(TrainingSession, task.session_id)
    if item is None or item.cancelled_at is not None or clock.now() >= item.starts_at:
        return None
    return item


@scheduling.handler(SESSION_REMINDER)
async def remind(session: AsyncSession, task: ScheduledTask) -> datetime | None:
    """T5: each accepted participant is reminded of the session, `days` before its start, once."""
    days = _days_of(task)
    item = await _due(session, task)
    if item is None:
        return None
    due = item.starts_at - timedelta(days=days)
    if clock.now() < due:
        return due  # the start moved later since the task was claimed
    training = await session.get(Training, item.training_id)
    assert training is not None
    people = list(
        await session.scalars(
            select(Account)
            .join(Registration, Registration.beneficiary_id == Account.id)
            .where(Registration.session_id == item.id, Registration.status == S.ACCEPTED)
            .order_by(Account.id)
        )
    )
    for person in people:
        await notify(
            session,
            person,
            NotificationKind.SESSION_REMINDER,
            template="session_reminder",
            context={"training_title": training.title, "item": item},
            about=About(session_id=item.id),
        )
    await audit.record(
        session,
        None,
        entity_type="TrainingSession",
        entity_id=item.id,
        action="session.reminder",
        data={"daysBefore": days, "participants": len(people)},
    )
    return None


@scheduling.handler(SESSION_MINIMUM)
async def check_minimum(session: AsyncSession, task: ScheduledTask) -> datetime | None:
    """T5: a week before the start, fewer accepted participants than the session's minimum warns its provider
    and the managers, once."""
    item = await _due(session, task)
    if item is None:
        return None
    due = item.starts_at - MINIMUM_NOTICE
    if clock.now() < due:
        return due
    if item.min_participants is None:
        return None
    accepted = (
        await session.scalar(
            select(func.count())
            .select_from(Registration)
            .where(Registration.session_id == item.id, Registration.status == S.ACCEPTED)
        )
        or 0
    )
    if accepted >= item.min_participants:
        return None
    training = await session.get(Training, item.training_id)
    assert training is not None
    warned = list(
        await session.scalars(
            select(Account)
            .join(AccountRole, AccountRole.account_id == Account.id)
            .where(
                Account.anonymised_at.is_(None),
                (
                    (AccountRole.role == Role.MANAGER)
                    | (
                        (AccountRole.role == Role.PROVIDER)
                        & (Account.structure_id == training.provider_structure_id)
                        & (Account.affiliation_status == AffiliationStatus.ACTIVE)
                    )
                ),
            )
            .distinct()
            .order_by(Account.id)
        )
    )
    for person in warned:
        await notify(
            session,
            person,
            NotificationKind.SESSION_UNDER_MINIMUM,
            template="session_under_minimum",
            context={"training_title": training.title, "item": item, "accepted": accepted},
            about=About(session_id=item.id),
        )
    await audit.record(
        session,
        None,
        entity_type="TrainingSession",
        entity_id=item.id,
        action="session.under_minimum",
        data={"accepted": accepted, "minimum": item.min_participants},
    )
    return None
