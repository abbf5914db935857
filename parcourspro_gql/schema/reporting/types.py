"""Statistics and StatusCount."""

from __future__ import annotations

import strawberry

from parcourspro_gql.loaders.reporting import YearFigures
from parcourspro_gql.schema.enums import RegistrationStatus


@strawberry.type(description="How many registrations of the year are in one status.")
class StatusCount:
    status: RegistrationStatus
    count: int


@strawberry.type(
    description="Figures of one calendar year, for managers (all structures or one) and employers (their own "
    "structure). A registration counts in the year its session starts, in Paris time. For one structure, every "
    "figure is about its people: the sessions where they hold a registration, the seats they took."
)
class Statistics:
    year: int
    registrations_by_status: list[StatusCount] = strawberry.field(
        description="Every status, in the order of the life cycle, zeros included."
    )
    sessions: int = strawberry.field(description="Sessions that start in the year, cancelled ones excepted.")
    seats_offered: int = strawberry.field(description="Their capacity.")
    seats_taken: int = strawberry.field(description="Registrations accepted, attended or absent.")
    fill_rate: float | None = strawberry.field(
        description="seatsTaken / seatsOffered; null without sessions."
    )
    attendance_rate: float | None = strawberry.field(
        description="Mean attendance rate of the recorded sessions."
    )
    average_rating: float | None = strawberry.field(
        description="Mean evaluation rating (1 to 5) given by the year's participants; null without evaluations."
    )
    beneficiaries: int = strawberry.field(description="Distinct people with a registration in the year.")
    structures: int = strawberry.field(description="Distinct structures of those people.")

    @classmethod
    def of(cls, year: int, figures: YearFigures) -> Statistics:
        return cls(
            year=year,
            registrations_by_status=[
                StatusCount(status=status, count=count) for status, count in figures.by_status.items()
            ],
            sessions=figures.sessions,
            seats_offered=figures.seats_offered,
            seats_taken=figures.seats_taken,
            fill_rate=figures.seats_taken / figures.seats_offered if figures.seats_offered else None,
            attendance_rate=figures.attendance_rate,
            average_rating=figures.average_rating,
            beneficiaries=figures.beneficiaries,
            structures=figures.structures,
        )
