"""Refusals a user can cause: a stable code, a French message, the input field at fault."""

from __future__ import annotations

import enum


class ErrorCode(enum.Enum):
    INVALID_INPUT = "INVALID_INPUT"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    EMAIL_ALREADY_USED = "EMAIL_ALREADY_USED"
    WEAK_PASSWORD = "WEAK_PASSWORD"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    EMAIL_NOT_VERIFIED = "EMAIL_NOT_VERIFIED"
    INVALID_TOKEN = "INVALID_TOKEN"
    INVALID_SIRET = "INVALID_SIRET"
    INVALID_APE_CODE = "INVALID_APE_CODE"
    SIRET_ALREADY_REGISTERED = "SIRET_ALREADY_REGISTERED"
    STRUCTURE_NOT_VALIDATED = "STRUCTURE_NOT_VALIDATED"
    ALREADY_AFFILIATED = "ALREADY_AFFILIATED"
    AFFILIATION_PENDING = "AFFILIATION_PENDING"
    NOT_AFFILIATED = "NOT_AFFILIATED"
    LAST_REFERENT = "LAST_REFERENT"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    MEMBERSHIP_REQUIRED = "MEMBERSHIP_REQUIRED"
    REGISTRATION_CLOSED = "REGISTRATION_CLOSED"
    ALREADY_REGISTERED_FOR_TRAINING = "ALREADY_REGISTERED_FOR_TRAINING"
    ANNUAL_QUOTA_EXCEEDED = "ANNUAL_QUOTA_EXCEEDED"
    TRAINING_QUOTA_EXCEEDED = "TRAINING_QUOTA_EXCEEDED"
    PHASE_LIMIT_REACHED = "PHASE_LIMIT_REACHED"
    SESSION_FULL = "SESSION_FULL"
    SESSION_STARTED = "SESSION_STARTED"
    SESSION_NOT_STARTED = "SESSION_NOT_STARTED"
    NO_PARTICIPANTS = "NO_PARTICIPANTS"
    REGISTRATIONS_IN_PROGRESS = "REGISTRATIONS_IN_PROGRESS"
    SESSION_CANCELLED = "SESSION_CANCELLED"
    ALREADY_EVALUATED = "ALREADY_EVALUATED"


class DomainError(Exception):
    """A refusal: the transaction is rolled back and the client reads `code`, `message`, `field`."""

    def __init__(self, code: ErrorCode, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def __repr__(self) -> str:
        return f"DomainError({self.code.value}, {self.message!r}, field={self.field!r})"
