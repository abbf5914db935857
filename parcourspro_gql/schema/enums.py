"""The enums of the API, exposed from the models' own enums."""

from __future__ import annotations

import enum

import strawberry

from parcourspro_gql import models
from parcourspro_gql.domain.documents import DocumentKind as Kind
from parcourspro_gql.domain.registrations import RegistrationCategory as Category

StructureStatus = strawberry.enum(models.StructureStatus, name="StructureStatus")
Role = strawberry.enum(models.Role, name="Role")
AffiliationStatus = strawberry.enum(models.AffiliationStatus, name="AffiliationStatus")
TrainingFormat = strawberry.enum(models.TrainingFormat, name="TrainingFormat")
RegistrationStatus = strawberry.enum(models.RegistrationStatus, name="RegistrationStatus")

# Part of the contract before a field returns them, so that clients can generate their types now.
STANDALONE_ENUMS = (Role, AffiliationStatus, TrainingFormat, RegistrationStatus)

RegistrationCategory = strawberry.enum(
    Category,
    name="RegistrationCategory",
    description="The four lists a beneficiary keeps: requested (in progress), followed, refused, cancelled.",
)

DocumentKind = strawberry.enum(Kind, name="DocumentKind")


@strawberry.enum(description="Whether a session runs as planned or was cancelled (T4).")
class SessionStatus(enum.Enum):
    SCHEDULED = "SCHEDULED"
    CANCELLED = "CANCELLED"
