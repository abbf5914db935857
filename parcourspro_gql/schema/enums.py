"""The enums of the API, exposed from the models' own enums."""

from __future__ import annotations

import enum

import strawberry

from parcourspro_gql import models
from parcourspro_gql.domain.documents import DocumentKind as Kind
from parcourspro_gql.domain.registrations import RegistrationCategory as Category

# strawberry.enum marks the class in place and returns it: the names below are the models' own enums, which
# type checkers see as enums (the call form's result is opaque to them).
strawberry.enum(models.StructureStatus, name="StructureStatus")
strawberry.enum(models.Role, name="Role")
strawberry.enum(models.AffiliationStatus, name="AffiliationStatus")
strawberry.enum(models.TrainingFormat, name="TrainingFormat")
strawberry.enum(models.RegistrationStatus, name="RegistrationStatus")
StructureStatus = models.StructureStatus
Role = models.Role
AffiliationStatus = models.AffiliationStatus
TrainingFormat = models.TrainingFormat
RegistrationStatus = models.RegistrationStatus

# Part of the contract before a field returns them, so that clients can generate their types now.
STANDALONE_ENUMS = (Role, AffiliationStatus, TrainingFormat, RegistrationStatus)

strawberry.enum(
    Category,
    name="RegistrationCategory",
    description="The four lists a beneficiary keeps: requested (in progress), followed, refused, cancelled.",
)
RegistrationCategory = Category

strawberry.enum(Kind, name="DocumentKind")
DocumentKind = Kind


@strawberry.enum(description="Whether a session runs as planned or was cancelled (T4).")
class SessionStatus(enum.Enum):
    SCHEDULED = "SCHEDULED"
    CANCELLED = "CANCELLED"
