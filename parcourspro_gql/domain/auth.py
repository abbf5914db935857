"""Sign-up, email verification, login with brute-force protection, refresh rotation, logout, reset (A1-A6)."""

from __future__ import annotations

import json
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from parcourspro_gql.auth.common_passwords import is_common
from parcourspro_gql.auth.passwords import hash_password, needs_rehash, verify_password
from parcourspro_gql.auth.tokens import AccessTokens, hash_secret, new_secret, seal, unseal
from parcourspro_gql.auth.viewer import Viewer
from parcourspro_gql.clock import clock
from parcourspro_gql.db import Database, rows_changed
from parcourspro_gql.domain import audit, ratelimits
from parcourspro_gql.domain.accounts import check_email, check_password, normalize_email
from parcourspro_gql.domain.base import settings_of
from parcourspro_gql.domain.errors import DomainError, ErrorCode
from parcourspro_gql.events import account_topic, publish
from parcourspro_gql.mail.outbox import enqueue
from parcourspro_gql.models import (
    Account,
    AffiliationStatus,
    LoginAttempt,
    OneTimeToken,
    RefreshToken,
    TokenPurpose,
)

security_log = logging.getLogger("parcourspro_gql.security")

INVALID_CREDENTIALS = DomainError(ErrorCode.INVALID_CREDENTIALS, "E-mail ou mot de passe incorrect.")


def _security(
    event: str, *, account_id: int | None = None, client_address: str | None = None, **extra: Any
) -> None:
    """One JSON line per security event; never a secret."""
    security_log.info(
        event, extra={"event": event, "account_id": account_id, "client_address": client_address, **extra}
    )


@dataclass(frozen=True)
class Session:
    """What a successful login or refresh hands to the client."""

    account: Account
    access_token: str
    refresh_token: str
    expires_in: int


def check_new_password(password: str, email: str) -> None:
    """A2: length, not the email, not a common password."""
    check_password(password, email)
    if is_common(password):
        raise DomainError(
            ErrorCode.WEAK_PASSWORD,
            "Ce mot de passe est trop courant : choisissez-en un autre, par exemple une phrase de plusieurs mots.",
            "password",
        )


def _check_name(value: str, field: str) -> str:
    value = " ".join(value.split())
    if not 1 <= len(value) <= 100:
        raise DomainError(ErrorCode.INVALID_INPUT, "Indiquez un nom de 1 à 100 caractères.", field)
    return value


async def _link_token(session: AsyncSession, account: Account, purpose: TokenPurpose, ttl: timedelta) -> str:
    token = new_secret()
    now = clock.now()
    session.add(
        OneTimeToken(
            account_id=account.id,
            purpose=purpose,
            token_hash=hash_secret(token),
            created_at=now,
            expires_at=now + ttl,
        )
    )
    return token


async def sign_up(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    client_address: str = "unknown",
) -> Account:
    """A1-A3: creates a BENEFICIARY without structure and emails the verification link; X4: at most
    `signup_max_per_address` sign-ups from one client address within `signup_window_minutes` (only sign-ups
    that succeed count: a refused one rolls its count back with the rest)."""
    settings = settings_of(session)
    email = check_email(email)
    check_new_password(password, email)
    first_name, last_name = _check_name(first_name, "firstName"), _check_name(last_name, "lastName")
    normalized = normalize_email(email)
    if await session.scalar(select(Account.id).where(Account.email_normalized == normalized)):
        raise DomainError(ErrorCode.EMAIL_ALREADY_USED, "Cette adresse e-mail est déjà utilisée.", "email")
    window = timedelta(minutes=settings.signup_window_minutes)
    if not await ratelimits.take(
        session, ratelimits.SIGN_UP_FROM_ADDRESS, client_address, settings.signup_max_per_address, window
    ):
        raise DomainError(
            ErrorCode.TOO_MANY_ATTEMPTS,
            f"Trop d'inscriptions depuis votre adresse : réessayez dans {settings.signup_window_minutes} minutes.",
        )
    now = clock.now()
    account = Account(
        email=email,
        email_normalized=normalized,
        password_hash=await hash_password(password, settings.password_hash_profile),
        first_name=first_name,
        last_name=last_name,
        affiliation_status=AffiliationStatus.NONE,
        created_at=now,
    )
    session.add(account)
    await session.flush()
    await _send_verification(session, account)
    await audit.record(session, None, entity_type="Account", entity_id=account.id, action="account.sign_up")
    return account


async def _may_mail(session: AsyncSession, account: Account) -> bool:
    """X4: counts an e-mail that anyone may have sent to the account's address (a reset link, a new
    verification link); False beyond `mail_max_per_recipient` within `mail_rate_window_minutes`."""
    settings = settings_of(session)
    window = timedelta(minutes=settings.mail_rate_window_minutes)
    return await ratelimits.take(
        session,
        ratelimits.MAIL_TO_RECIPIENT,
        account.email_normalized,
        settings.mail_max_per_recipient,
        window,
    )


async def _send_verification(session: AsyncSession, account: Account) -> None:
    settings = settings_of(session)
    ttl = timedelta(hours=settings.verify_token_ttl_hours)
    token = await _link_token(session, account, TokenPurpose.VERIFY_EMAIL, ttl)
    await enqueue(
        session,
        to=account.email,
        template="verify_email",
        context={
            "first_name": account.first_name,
            "link": f"{settings.public_url}/verify-email?token={token}",
            "valid_hours": settings.verify_token_ttl_hours,
        },
    )


async def resend_verification(session: AsyncSession, viewer: Viewer) -> None:
    """A3: a new verification link for the caller; earlier unused ones stop working."""
    account = await session.get(Account, viewer.account_id)
    if account is None:
        raise DomainError(ErrorCode.NOT_FOUND, "Compte introuvable.")
    if account.email_verified_at is not None:
        raise DomainError(ErrorCode.INVALID_INPUT, "Votre adresse e-mail est déjà confirmée.")
    if not await _may_mail(session, account):
        raise DomainError(
            ErrorCode.TOO_MANY_ATTEMPTS,
            "Trop de messages envoyés à cette adresse : réessayez plus tard.",
        )
    await session.execute(
        update(OneTimeToken)
        .where(
            OneTimeToken.account_id == account.id,
            OneTimeToken.purpose == TokenPurpose.VERIFY_EMAIL,
            OneTimeToken.used_at.is_(None),
        )
        .values(expires_at=clock.now())
    )
    await _send_verification(session, account)


async def _consume(session: AsyncSession, token: str, purpose: TokenPurpose) -> Account:
    """The account of a valid, unused, unexpired link token, which is used up in the same transaction."""
    now = clock.now()
    row = await session.scalar(
        select(OneTimeToken).where(
            OneTimeToken.token_hash == hash_secret(token), OneTimeToken.purpose == purpose
        )
    )
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise DomainError(
            ErrorCode.INVALID_TOKEN, "Ce lien n'est plus valable : demandez-en un nouveau.", "token"
        )
    # Conditional update: two concurrent uses of one link cannot both succeed.
    used = await session.execute(
        update(OneTimeToken)
        .where(OneTimeToken.id == row.id, OneTimeToken.used_at.is_(None))
        .values(used_at=now)
    )
    if rows_changed(used) != 1:
        raise DomainError(
            ErrorCode.INVALID_TOKEN, "Ce lien n'est plus valable : demandez-en un nouveau.", "token"
        )
    account = await session.get(Account, row.account_id)
    if account is None or account.disabled_at is not None:
        raise DomainError(
            ErrorCode.INVALID_TOKEN, "Ce lien n'est plus valable : demandez-en un nouveau.", "token"
        )
    return account


async def verify_email(session: AsyncSession, *, token: str) -> Account:
    """A3: consumes the verification link."""
    account = await _consume(session, token, TokenPurpose.VERIFY_EMAIL)
    if account.email_verified_at is None:
        account.email_verified_at = clock.now()
        await audit.record(
            session, None, entity_type="Account", entity_id=account.id, action="account.verify_email"
        )
    return account


async def _lock_login(session: AsyncSession, email: str, client_address: str) -> None:
    """Serialises the attempts on one email and one address (SQLite: BEGIN IMMEDIATE already does)."""
    bind = session.bind
    assert bind is not None  # our sessions are always bound (db.py)
    if bind.dialect.name == "postgresql":
        for key in sorted({f"login-address:{client_address}", f"login-email:{email}"}):
            await session.execute(
                text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"), {"key": key}
            )


async def login(
    db: Database, tokens: AccessTokens, *, email: str, password: str, client_address: str
) -> Session:
    """A4, A5, X4: checks the password under the brute-force limits, then opens a token family.

    Failures are counted for the account from this client address, for the account from everywhere (a higher
    threshold, against guessing spread over many addresses), and from this address over every account. Each
    attempt is first recorded as a failure in a short transaction that also counts the recent ones (so
    parallel attempts, aliased fields included, see each other); a right password turns it into a success.
    An attempt refused because a limit is reached is not recorded: otherwise whoever knows an address could
    keep its account locked for good, window after window. The password check runs outside any transaction.
    """
    normalized = normalize_email(email)
    async with db.transaction() as session:
        settings = settings_of(session)
        window_start = clock.now() - timedelta(minutes=settings.login_window_minutes)
        await _lock_login(session, normalized, client_address)
        of_account = LoginAttempt.email_normalized == normalized
        from_address = LoginAttempt.client_address == client_address
        counts = (
            await session.execute(
                select(
                    func.count().filter(of_account, from_address),
                    func.count().filter(of_account),
                    func.count().filter(from_address),
                ).where(
                    LoginAttempt.success.is_(False),
                    LoginAttempt.at > window_start,
                    or_(of_account, from_address),
                )
            )
        ).one()
        locked = (
            counts[0] >= settings.login_max_failures_per_account_address
            or counts[1] >= settings.login_max_failures_per_account
            or counts[2] >= settings.login_max_failures_per_address
        )
        account = await session.scalar(
            select(Account)
            .options(undefer(Account.password_hash))
            .where(Account.email_normalized == normalized)
        )
        if not locked:
            attempt = LoginAttempt(
                at=clock.now(),
                email_normalized=normalized,
                account_id=account.id if account else None,
                client_address=client_address,
                success=False,
            )
            session.add(attempt)
            await session.flush()
            attempt_id = attempt.id
    account_id = account.id if account else None
    if locked:
        _security("login.locked", account_id=account_id, client_address=client_address)
        raise DomainError(
            ErrorCode.TOO_MANY_ATTEMPTS,
            f"Trop de tentatives : réessayez dans {settings.login_window_minutes} minutes.",
        )
    profile = settings.password_hash_profile
    if account is None:
        # Same work as for a real account, so that timing does not tell which emails exist.
        await verify_password(_DUMMY_HASHES.get(profile) or await _dummy_hash(profile), password, profile)
        _security("login.failure", account_id=account_id, client_address=client_address, reason="unknown")
        raise INVALID_CREDENTIALS
    if not await verify_password(account.password_hash, password, profile):
        _security("login.failure", account_id=account_id, client_address=client_address, reason="password")
        raise INVALID_CREDENTIALS
    if account.disabled_at is not None:
        # V4: told only to whoever knows the password (an anonymised account matches none): the state of an
        # account is not given away to someone who tries addresses.
        _security("login.failure", account_id=account_id, client_address=client_address, reason="disabled")
        raise DomainError(
            ErrorCode.ACCOUNT_DISABLED,
            "Ce compte a été désactivé par Cap Métiers : contactez votre gestionnaire.",
        )
    async with db.transaction() as session:
        await session.execute(update(LoginAttempt).where(LoginAttempt.id == attempt_id).values(success=True))
        if needs_rehash(account.password_hash, profile):
            new_hash = await hash_password(password, profile)
            await session.execute(
                update(Account).where(Account.id == account.id).values(password_hash=new_hash)
            )
        family_id = secrets.token_hex(16)
        refresh = await _open_family(session, account.id, family_id)
    _security("login.success", account_id=account.id, client_address=client_address)
    return Session(account, tokens.issue(account.id, family_id), refresh, tokens.ttl_seconds)


_DUMMY_HASHES: dict[str, str] = {}


async def _dummy_hash(profile: str) -> str:
    _DUMMY_HASHES[profile] = await hash_password(secrets.token_urlsafe(16), profile)
    return _DUMMY_HASHES[profile]


async def _open_family(
    session: AsyncSession, account_id: int, family_id: str | None = None, expires_at: datetime | None = None
) -> str:
    settings = settings_of(session)
    token = new_secret()
    now = clock.now()
    session.add(
        RefreshToken(
            account_id=account_id,
            family_id=family_id or secrets.token_hex(16),
            token_hash=hash_secret(token),
            created_at=now,
            expires_at=expires_at or now + timedelta(days=settings.refresh_token_ttl_days),
        )
    )
    return token


async def refresh(db: Database, tokens: AccessTokens, *, refresh_token: str, client_address: str) -> Session:
    """A4: rotates a refresh token. Presenting a rotated one again within the grace window
    (`refresh_reuse_grace_seconds`: two tabs refreshing at the same moment) answers the pair its rotation
    answered; after it, the reuse revokes the whole family."""
    invalid = DomainError(ErrorCode.INVALID_TOKEN, "Session expirée : reconnectez-vous.", "refreshToken")
    # Twice at most: a concurrent rotation of the same token (the other tab) makes the second pass find it
    # rotated, and so answer its pair.
    for _ in range(2):
        now = clock.now()
        async with db.transaction() as session:
            grace = timedelta(seconds=settings_of(session).refresh_reuse_grace_seconds)
            row = await session.scalar(
                select(RefreshToken).where(RefreshToken.token_hash == hash_secret(refresh_token))
            )
            if row is None:
                raise invalid
            if row.rotated_at is not None and row.revoked_at is None:
                account = await session.get(Account, row.account_id)
                pair = _grace_pair(row, refresh_token, now, grace)
                if pair is not None and account is not None and account.disabled_at is None:
                    _security(
                        "token.reuse_within_grace", account_id=account.id, client_address=client_address
                    )
                    return Session(account, pair.access_token, pair.refresh_token, pair.expires_in(now))
                reuse = True
                await session.execute(
                    update(RefreshToken)
                    .where(RefreshToken.family_id == row.family_id, RefreshToken.revoked_at.is_(None))
                    .values(revoked_at=now)
                )
                await audit.record(
                    session,
                    None,
                    entity_type="Account",
                    entity_id=row.account_id,
                    action="token.reuse_detected",
                )
                # X5: the family's access tokens are refused from now on; its open websockets close too.
                await publish(session, account_topic(row.account_id), {"family_revoked": row.family_id})
            else:
                reuse = False
        if reuse:
            _security(
                "token.reuse", account_id=row.account_id, client_address=client_address, family=row.family_id
            )
            raise invalid
        if row.revoked_at is not None or row.rotated_at is not None or row.expires_at <= now:
            raise invalid
        async with db.transaction() as session:
            rotated = await session.execute(
                update(RefreshToken)
                .where(
                    RefreshToken.id == row.id,
                    RefreshToken.rotated_at.is_(None),
                    RefreshToken.revoked_at.is_(None),
                )
                .values(rotated_at=now)
            )
            if rows_changed(rotated) != 1:
                continue
            account = await session.get(Account, row.account_id)
            if account is None or account.disabled_at is not None:
                raise invalid
            new_token = await _open_family(session, account.id, row.family_id, row.expires_at)
            access_token = tokens.issue(account.id, row.family_id)
            pair = GracePair(access_token, new_token, now.timestamp() + tokens.ttl_seconds)
            await session.execute(
                update(RefreshToken)
                .where(RefreshToken.id == row.id)
                .values(successor_sealed=seal(refresh_token, pair.encode()))
            )
        return Session(account, access_token, new_token, tokens.ttl_seconds)
    raise invalid


@dataclass(frozen=True)
class GracePair:
    """What a rotation answered, kept sealed under the rotated token for the grace window."""

    access_token: str
    refresh_token: str
    access_expires_at: float

    def encode(self) -> bytes:
        return json.dumps([self.access_token, self.refresh_token, self.access_expires_at]).encode()

    def expires_in(self, now: datetime) -> int:
        return max(int(self.access_expires_at - now.timestamp()), 0)


def _grace_pair(row: RefreshToken, presented: str, now: datetime, grace: timedelta) -> GracePair | None:
    """The pair of `row`'s rotation when it happened within `grace` of `now`, else None."""
    if row.rotated_at is None or row.successor_sealed is None or now - row.rotated_at > grace:
        return None
    opened = unseal(presented, row.successor_sealed)
    if opened is None:
        return None
    access_token, refresh_token, expires_at = json.loads(opened)
    return GracePair(access_token, refresh_token, float(expires_at))


async def revoke_all(session: AsyncSession, account: Account) -> None:
    """Revokes every refresh token of the account and every access token issued before now; after commit,
    its open websockets close (N2), whichever process holds them."""
    now = clock.now()
    await session.execute(
        update(RefreshToken)
        .where(and_(RefreshToken.account_id == account.id, RefreshToken.revoked_at.is_(None)))
        .values(revoked_at=now)
    )
    account.tokens_valid_after = now
    await publish(
        session,
        account_topic(account.id),
        {"tokens_valid_after": now.timestamp(), "disabled": account.disabled_at is not None},
    )


async def logout(session: AsyncSession, *, refresh_token: str, client_address: str) -> None:
    """A4: ends the account's sessions: its refresh tokens and the access tokens issued so far."""
    row = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_hash == hash_secret(refresh_token))
    )
    if row is None:
        raise DomainError(ErrorCode.INVALID_TOKEN, "Session inconnue ou déjà fermée.", "refreshToken")
    account = await session.get(Account, row.account_id)
    assert account is not None  # foreign key
    await revoke_all(session, account)
    await audit.record(session, None, entity_type="Account", entity_id=account.id, action="account.logout")
    _security("logout", account_id=account.id, client_address=client_address)


async def password_reset_request(session: AsyncSession, *, email: str, client_address: str) -> None:
    """A6: emails a reset link when the address is known; the caller answers the same either way."""
    settings = settings_of(session)
    account = await session.scalar(select(Account).where(Account.email_normalized == normalize_email(email)))
    _security(
        "password_reset.request", account_id=account.id if account else None, client_address=client_address
    )
    if account is None or account.disabled_at is not None:
        return
    if not await _may_mail(session, account):  # X4: the same answer, and no e-mail
        return
    ttl = timedelta(minutes=settings.reset_token_ttl_minutes)
    token = await _link_token(session, account, TokenPurpose.RESET_PASSWORD, ttl)
    await enqueue(
        session,
        to=account.email,
        template="password_reset",
        context={
            "first_name": account.first_name,
            "link": f"{settings.public_url}/reset-password?token={token}",
            "valid_minutes": settings.reset_token_ttl_minutes,
        },
    )


async def password_reset(
    session: AsyncSession, *, token: str, new_password: str, client_address: str
) -> Account:
    """A6: sets the new password from a reset link, ends every session, and tells the person."""
    settings = settings_of(session)
    account = await _consume(session, token, TokenPurpose.RESET_PASSWORD)
    try:
        check_new_password(new_password, account.email)
    except DomainError as error:
        raise DomainError(error.code, error.message, "newPassword") from error
    account.password_hash = await hash_password(new_password, settings.password_hash_profile)
    # X4: the owner, who proved his address, is locked out no longer (failures of the old password, whoever
    # made them, stop counting; the security log keeps them).
    await session.execute(
        delete(LoginAttempt).where(
            LoginAttempt.email_normalized == account.email_normalized, LoginAttempt.success.is_(False)
        )
    )
    # Following the link proves the address too.
    account.email_verified_at = account.email_verified_at or clock.now()
    await revoke_all(session, account)
    await enqueue(
        session, to=account.email, template="password_changed", context={"first_name": account.first_name}
    )
    await audit.record(
        session, None, entity_type="Account", entity_id=account.id, action="account.password_reset"
    )
    _security("password_reset.done", account_id=account.id, client_address=client_address)
    return account
