"""Resolves the Viewer of a request from its `Authorization: Bearer` header, once per request."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import exists, false, select

from parcourspro_gql.auth.cache import AccountCache
from parcourspro_gql.auth.tokens import AccessClaims, AccessTokens
from parcourspro_gql.auth.viewer import Viewer
from parcourspro_gql.db import Database, write_generation
from parcourspro_gql.models import Account, AccountRole, RefreshToken, Role

if TYPE_CHECKING:
    from parcourspro_gql.auth.oidc import OidcVerifier

log = logging.getLogger("parcourspro_gql.security")


@dataclass(frozen=True)
class Authentication:
    viewer: Viewer
    # A token was sent but is not valid (expired, tampered, revoked): fields that need a login answer
    # UNAUTHENTICATED rather than treating the caller as a visitor.
    rejected: bool = False
    # The caller's row and granted roles, already read: the request's loaders are primed with them.
    account: Account | None = None
    granted_roles: tuple[Role, ...] = ()
    # The token is ours and genuine but past its expiry: TOKEN_EXPIRED, so that the client refreshes it.
    expired: bool = False
    # Of a valid token of ours (None for the OpenID provider's): when it was issued and when it expires.
    issued_at: float | None = None
    expires_at: float | None = None
    # Its refresh-token family (claim `fam`), whose revocation ends a websocket opened with it (X5).
    family_id: str | None = None


async def _load(
    db: Database, account_id: int | None, email: str | None, family_id: str | None = None
) -> tuple[Account | None, tuple[Role, ...], bool]:
    """The account (by id or by normalised email), its granted roles and whether the refresh-token family
    `family_id` is revoked (X5: a reuse detected, a logout), in one statement."""
    revoked = (
        exists().where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_not(None))
        if family_id is not None
        else false()
    )
    statement = (
        select(Account, AccountRole.role, revoked.label("family_revoked"))
        .outerjoin(AccountRole, AccountRole.account_id == Account.id)
        .where(Account.id == account_id if account_id is not None else Account.email_normalized == email)
        .order_by(AccountRole.role)
    )
    async with db.read() as session:
        rows = (await session.execute(statement)).all()
    if not rows:
        return None, (), False
    return rows[0][0], tuple(role for _, role, _ in rows if role is not None), bool(rows[0][2])


async def _load_by_id(
    db: Database, account_id: int, family_id: str | None, cache: AccountCache | None
) -> tuple[Account | None, tuple[Role, ...], bool]:
    """From `cache` when it holds a recent enough read (None: read it, as mutations must), else read."""
    cached = cache.get((account_id, family_id)) if cache is not None else None
    if cached is not None:
        return cached
    generation = write_generation()
    account, roles, family_revoked = await _load(db, account_id, None, family_id)
    if cache is not None and account is not None:
        cache.put((account_id, family_id), account, roles, family_revoked, generation)
    return account, roles, family_revoked


def _usable(account: Account | None, issued_at: float | None) -> bool:
    """Not disabled, and (for our own tokens) issued after the last logout or password reset."""
    if account is None or account.disabled_at is not None:
        return False
    if issued_at is not None and account.tokens_valid_after is not None:
        return issued_at > account.tokens_valid_after.timestamp()
    return True


async def authenticate(
    db: Database,
    tokens: AccessTokens,
    authorization: str | None,
    client_address: str,
    oidc: OidcVerifier | None = None,
    cache: AccountCache | None = None,
) -> Authentication:
    """The caller: anonymous without a token, an account with a valid one, `rejected` with a bad one.

    With `cache` (queries only), the account of one of our tokens may come from a recent read; the token
    itself is always checked (signature, expiry) and so is the account's state (disabled, logged out since).
    """
    anonymous = Viewer.anonymous(client_address)
    if not authorization:
        return Authentication(anonymous)
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return Authentication(anonymous, rejected=True)
    account: Account | None = None
    roles: tuple[Role, ...] = ()
    checked = tokens.inspect(token)
    if checked.expired:
        return Authentication(anonymous, rejected=True, expired=True)
    claims = checked.claims
    if claims is not None:
        account, roles, family_revoked = await _load_by_id(db, claims.account_id, claims.family_id, cache)
        if account is not None and (family_revoked or not _usable(account, claims.issued_at)):
            log.info("revoked access token", extra={"event": "token.revoked", "account_id": account.id})
            account = None
    elif oidc is not None:
        identity = await oidc.verify(token)
        if identity is not None and identity.email_verified:
            account, roles, _ = await _load(db, None, identity.email.strip().lower())
            # Our own verification is required too: otherwise whoever signed up first with that address
            # (without proving it) would get the real owner's provider login mapped onto his account.
            if account is not None and (not _usable(account, None) or account.email_verified_at is None):
                account = None
    if account is None:
        return Authentication(anonymous, rejected=True)
    return _authenticated(account, roles, client_address, claims)


def _authenticated(
    account: Account, roles: tuple[Role, ...], client_address: str, claims: AccessClaims | None = None
) -> Authentication:
    """The viewer of `account` (with `claims`, those of the access token of ours it came with)."""
    viewer = Viewer(
        account_id=account.id,
        roles=frozenset({Role.BENEFICIARY, *roles}),
        structure_id=account.structure_id,
        affiliation_status=account.affiliation_status,
        email_verified=account.email_verified_at is not None,
        client_address=client_address,
    )
    return Authentication(
        viewer,
        account=account,
        granted_roles=roles,
        issued_at=claims.issued_at if claims is not None else None,
        expires_at=claims.expires_at if claims is not None else None,
        family_id=claims.family_id if claims is not None else None,
    )


async def authenticate_link(
    db: Database, account_id: int, issued_at: float, client_address: str
) -> Authentication:
    """The viewer of a signed document link, read now: a disabled account, or a logout or password reset
    since the link was made, ends it as it ends access tokens."""
    account, roles, _ = await _load(db, account_id, None)
    if account is None or not _usable(account, issued_at):
        return Authentication(Viewer.anonymous(client_address), rejected=True)
    return _authenticated(account, roles, client_address)
