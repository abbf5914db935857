"""signUp, verifyEmail, login, refreshToken, logout, passwordResetRequest, passwordReset, accountAnonymise,
accountDisable, accountEnable: thin resolvers."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from parcourspro_gql import models
from parcourspro_gql.domain import auth, disabling, privacy
from parcourspro_gql.permissions import IsAuthenticated
from parcourspro_gql.schema.accounts.types import Account, AccountPayload, AuthPayload
from parcourspro_gql.schema.context import Info
from parcourspro_gql.schema.errors import OkPayload, attempt, transact
from parcourspro_gql.schema.relay import pk_of


@strawberry.input
class SignUpInput:
    email: str
    password: str
    first_name: str
    last_name: str


@strawberry.input
class VerifyEmailInput:
    token: str


@strawberry.input
class LoginInput:
    email: str
    password: str


@strawberry.input
class RefreshTokenInput:
    refresh_token: str


@strawberry.input
class LogoutInput:
    refresh_token: str


@strawberry.input
class PasswordResetRequestInput:
    email: str


@strawberry.input
class PasswordResetInput:
    token: str
    new_password: str


def _auth_payload(session: auth.Session | None, errors: list) -> AuthPayload:
    if session is None:
        return AuthPayload(
            access_token=None, refresh_token=None, expires_in=None, account=None, errors=errors
        )
    return AuthPayload(
        access_token=session.access_token,
        refresh_token=session.refresh_token,
        expires_in=session.expires_in,
        account=Account.from_row(session.account),
        errors=[],
    )


@strawberry.input
class AccountAnonymiseInput:
    account_id: strawberry.ID
    reason: str = strawberry.field(description="Why (the person's request, the end of a retention period).")


@strawberry.input
class AccountDisableInput:
    account_id: strawberry.ID
    reason: str = strawberry.field(description="Why (kept in the audit trail).")


@strawberry.input
class AccountEnableInput:
    account_id: strawberry.ID


@strawberry.type
class AccountMutations:
    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Manager: no login, every token and session revoked at once (open websockets close too).",
    )
    async def account_disable(self, info: Info, input: AccountDisableInput) -> AccountPayload:
        viewer = info.context.viewer

        async def use_case(session: AsyncSession) -> models.Account:
            pk = pk_of(input.account_id, "Account", "accountId")
            return await disabling.disable(session, viewer, pk, input.reason)

        row, errors = await transact(info, use_case)
        return AccountPayload(account=Account.from_row(row) if row else None, errors=errors)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Manager: a disabled account may log in again (its old tokens stay revoked).",
    )
    async def account_enable(self, info: Info, input: AccountEnableInput) -> AccountPayload:
        viewer = info.context.viewer

        async def use_case(session: AsyncSession) -> models.Account:
            return await disabling.enable(session, viewer, pk_of(input.account_id, "Account", "accountId"))

        row, errors = await transact(info, use_case)
        return AccountPayload(account=Account.from_row(row) if row else None, errors=errors)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Manager: erases a person's identity (GDPR). Registrations, attendance and the documents "
        "that name him are kept as legal evidence (the documents archived as they were); names, email, "
        "password, roles, structure, favourites, sessions and emails are removed. Refused while he has "
        "registrations in progress.",
    )
    async def account_anonymise(self, info: Info, input: AccountAnonymiseInput) -> AccountPayload:
        async def call() -> Account:
            row = await privacy.anonymise(
                info.context.db,
                info.context.viewer,
                pk_of(input.account_id, "Account", "accountId"),
                input.reason,
            )
            info.context.renew_loaders()
            return Account.from_row(row)

        account, errors = await attempt(call)
        return AccountPayload(account=account, errors=errors)

    @strawberry.mutation(
        description=(
            "Creates the account and sends the email-verification link (token in the link's `token` parameter)."
        )
    )
    async def sign_up(self, info: Info, input: SignUpInput) -> AccountPayload:
        async def run():
            async with info.context.transaction() as session:
                return await auth.sign_up(
                    session,
                    email=input.email,
                    password=input.password,
                    first_name=input.first_name,
                    last_name=input.last_name,
                    client_address=info.context.viewer.client_address,
                )

        row, errors = await attempt(run)
        return AccountPayload(account=Account.from_row(row) if row else None, errors=errors)

    @strawberry.mutation
    async def verify_email(self, info: Info, input: VerifyEmailInput) -> AccountPayload:
        async def run():
            async with info.context.transaction() as session:
                return await auth.verify_email(session, token=input.token)

        row, errors = await attempt(run)
        return AccountPayload(account=Account.from_row(row) if row else None, errors=errors)

    @strawberry.mutation
    async def login(self, info: Info, input: LoginInput) -> AuthPayload:
        context = info.context
        session, errors = await attempt(
            lambda: auth.login(
                context.db,
                context.tokens,
                email=input.email,
                password=input.password,
                client_address=context.viewer.client_address,
            )
        )
        return _auth_payload(session, errors)

    @strawberry.mutation
    async def refresh_token(self, info: Info, input: RefreshTokenInput) -> AuthPayload:
        context = info.context
        session, errors = await attempt(
            lambda: auth.refresh(
                context.db,
                context.tokens,
                refresh_token=input.refresh_token,
                client_address=context.viewer.client_address,
            )
        )
        return _auth_payload(session, errors)

    @strawberry.mutation
    async def logout(self, info: Info, input: LogoutInput) -> OkPayload:
        async def run() -> bool:
            async with info.context.transaction() as session:
                await auth.logout(
                    session,
                    refresh_token=input.refresh_token,
                    client_address=info.context.viewer.client_address,
                )
            return True

        ok, errors = await attempt(run)
        return OkPayload(ok=bool(ok), errors=errors)

    @strawberry.mutation(
        description="Always answers ok, known address or not; sends a link with a `token` parameter when known."
    )
    async def password_reset_request(self, info: Info, input: PasswordResetRequestInput) -> OkPayload:
        async with info.context.transaction() as session:
            await auth.password_reset_request(
                session, email=input.email, client_address=info.context.viewer.client_address
            )
        return OkPayload(ok=True, errors=[])

    @strawberry.mutation
    async def password_reset(self, info: Info, input: PasswordResetInput) -> OkPayload:
        async def run() -> bool:
            async with info.context.transaction() as session:
                await auth.password_reset(
                    session,
                    token=input.token,
                    new_password=input.new_password,
                    client_address=info.context.viewer.client_address,
                )
            return True

        ok, errors = await attempt(run)
        return OkPayload(ok=bool(ok), errors=errors)

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Sends a new email-verification link to the calling account (the previous ones stop working).",
    )
    async def verification_email_resend(self, info: Info) -> OkPayload:
        async def run() -> bool:
            async with info.context.transaction() as session:
                await auth.resend_verification(session, info.context.viewer)
            return True

        ok, errors = await attempt(run)
        return OkPayload(ok=bool(ok), errors=errors)
