"""SQLAlchemy tables, one module per aggregate. Importing this package registers them all on Base."""

from parcourspro_gql.models.account import Account, AccountRole, AffiliationStatus, Role
from parcourspro_gql.models.archive import ArchivedDocument
from parcourspro_gql.models.audit import AuditEntry
from parcourspro_gql.models.evaluation import Evaluation
from parcourspro_gql.models.notification import Notification, NotificationKind
from parcourspro_gql.models.outbox import (
    AttemptOutcome,
    HealthProbe,
    OutboxAttachment,
    OutboxAttempt,
    OutboxMessage,
    OutboxStatus,
)
from parcourspro_gql.models.registration import (
    LIVE_STATUSES,
    PARTICIPANT_STATUSES,
    Registration,
    RegistrationCount,
    RegistrationStatus,
)
from parcourspro_gql.models.schedule import ScheduledTask
from parcourspro_gql.models.structure import (
    Membership,
    Structure,
    StructureChange,
    StructureSearchTerm,
    StructureSearchTermCount,
    StructureStatus,
)
from parcourspro_gql.models.token import LoginAttempt, OneTimeToken, RateLimitHit, RefreshToken, TokenPurpose
from parcourspro_gql.models.training import Favourite, Training, TrainingFormat, TrainingSession

__all__ = [
    "LIVE_STATUSES",
    "PARTICIPANT_STATUSES",
    "Account",
    "AccountRole",
    "AffiliationStatus",
    "ArchivedDocument",
    "AttemptOutcome",
    "AuditEntry",
    "Evaluation",
    "Favourite",
    "HealthProbe",
    "LoginAttempt",
    "Membership",
    "Notification",
    "NotificationKind",
    "OneTimeToken",
    "OutboxAttachment",
    "OutboxAttempt",
    "OutboxMessage",
    "OutboxStatus",
    "RateLimitHit",
    "RefreshToken",
    "Registration",
    "RegistrationCount",
    "RegistrationStatus",
    "Role",
    "ScheduledTask",
    "Structure",
    "StructureChange",
    "StructureSearchTerm",
    "StructureSearchTermCount",
    "StructureStatus",
    "TokenPurpose",
    "Training",
    "TrainingFormat",
    "TrainingSession",
]
