"""convocationsSend and attendanceRecord: thin resolvers over domain.attendance."""

from __future__ import annotations

import strawberry

from parcourspro_gql.domain import attendance
from parcourspro_gql.permissions import IsAuthenticated
from parcourspro_gql.schema.catalogue.types import TrainingSession, TrainingSessionPayload
from parcourspro_gql.schema.context import Info
from parcourspro_gql.schema.errors import UserError, attempt, transact
from parcourspro_gql.schema.registrations.types import Registration
from parcourspro_gql.schema.relay import pk_of


@strawberry.input
class SessionInput:
    session_id: strawberry.ID


@strawberry.input
class AttendanceEntryInput:
    registration_id: strawberry.ID
    half_days_attended: int = strawberry.field(description="Number of half-days attended.")


@strawberry.input
class AttendanceRecordInput:
    session_id: strawberry.ID
    half_days: int = strawberry.field(description="Number of half-days the session lasts.")
    entries: list[AttendanceEntryInput]


@strawberry.type
class AttendancePayload:
    session: TrainingSession | None
    registrations: list[Registration]
    errors: list[UserError]


@strawberry.type
class AttendanceMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Provider: sends each accepted participant his convocation (email with the PDF).",
    )
    async def convocations_send(self, info: Info, input: SessionInput) -> TrainingSessionPayload:
        async def call() -> TrainingSession:
            row = await attendance.send_convocations(
                info.context.db, info.context.viewer, pk_of(input.session_id, "TrainingSession", "sessionId")
            )
            info.context.renew_loaders()
            return TrainingSession.from_row(row)

        item, errors = await attempt(call)
        return TrainingSessionPayload(session=item, errors=errors)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Provider: records attendance after the session; attestations become available.",
    )
    async def attendance_record(self, info: Info, input: AttendanceRecordInput) -> AttendancePayload:
        result, errors = await transact(
            info,
            lambda session: attendance.record_attendance(
                session,
                info.context.viewer,
                pk_of(input.session_id, "TrainingSession", "sessionId"),
                input.half_days,
                [
                    attendance.AttendanceEntry(
                        pk_of(entry.registration_id, "Registration", f"entries.{index}.registrationId"),
                        entry.half_days_attended,
                    )
                    for index, entry in enumerate(input.entries)
                ],
            ),
        )
        if result is None:
            return AttendancePayload(session=None, registrations=[], errors=errors)
        item, rows = result
        return AttendancePayload(
            session=TrainingSession.from_row(item),
            registrations=[Registration.from_row(row) for row in rows],
            errors=[],
        )
