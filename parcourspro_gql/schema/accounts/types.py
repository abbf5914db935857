"""Account and the payloads of the authentication mutations."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from parcourspro_gql import models
from parcourspro_gql.domain import accounts, catalogue, years
from parcourspro_gql.domain import registrations as rules
from parcourspro_gql.engine.rows import Fields, build
from parcourspro_gql.permissions import IsAuthenticated, IsSelfOrEmployerOf, forbidden
from parcourspro_gql.schema.context import Info
from parcourspro_gql.schema.enums import AffiliationStatus, RegistrationCategory, Role
from parcourspro_gql.schema.errors import UserError
from parcourspro_gql.schema.relay import (
    Connection,
    Node,
    bad_argument,
    connection,
    node_resolver,
    to_global_id,
)

if TYPE_CHECKING:
    from parcourspro_gql.schema.catalogue.types import Training
    from parcourspro_gql.schema.notifications.types import Notification
    from parcourspro_gql.schema.registrations.types import Registration
    from parcourspro_gql.schema.structures.types import Structure

LazyTraining = Annotated["Training", strawberry.lazy("parcourspro_gql.schema.catalogue.types")]
LazyNotification = Annotated["Notification", strawberry.lazy("parcourspro_gql.schema.notifications.types")]
LazyRegistration = Annotated["Registration", strawberry.lazy("parcourspro_gql.schema.registrations.types")]
LazyStructure = Annotated["Structure", strawberry.lazy("parcourspro_gql.schema.structures.types")]


@strawberry.type(description="Reserved actions used and left in a calendar year (G3), counted in Paris time.")
class Quota:
    year: int
    used: int
    limit: int
    formations_used: int
    formations_limit: int


@strawberry.type
class Account(Node):
    pk: strawberry.Private[int]
    structure_pk: strawberry.Private[int | None]
    email: str
    first_name: str
    last_name: str
    email_verified: bool
    affiliation_status: AffiliationStatus
    affiliation_requested_at: datetime | None = strawberry.field(
        description="When the account asked to join its structure (its age in the referent's waiting list)."
    )
    disabled_at: datetime | None = strawberry.field(description="Set when a manager disabled the account.")

    @classmethod
    def from_row(cls, row: models.Account) -> Account:
        return build(lambda v: cls(**ACCOUNT_ROW.values(v)), row)

    @strawberry.field
    async def structure(self, info: Info) -> LazyStructure | None:
        from parcourspro_gql.schema.structures.types import Structure as StructureType

        if self.structure_pk is None:
            return None
        row = await info.context.loaders.structure_by_id.load(self.structure_pk)
        return StructureType.from_row(row) if row is not None else None

    @strawberry.field
    async def roles(self, info: Info) -> list[Role]:
        granted = await info.context.loaders.roles_by_account_id.load(self.pk)
        return [models.Role.BENEFICIARY, *granted]

    @strawberry.field(
        description="The beneficiary's history. Visible to the account itself, its employers and managers. "
        "Permission: IsSelfOrEmployerOf.",
        permission_classes=[IsAuthenticated, IsSelfOrEmployerOf],
    )
    async def registrations(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        category: RegistrationCategory | None = None,
    ) -> Connection[LazyRegistration]:
        from parcourspro_gql.schema.registrations.types import Registration

        return await Registration.connection(info, rules.history(self.pk, category), first, after)

    @strawberry.field(
        description="Reserved actions used and left in a calendar year (G3), default the current year (in "
        "Paris): the account itself, its employers and managers.",
        permission_classes=[IsAuthenticated],
    )
    async def quota(self, info: Info, year: int | None = None) -> Quota:
        context = info.context
        row = context.caller_row(self.pk) or await context.loaders.account_by_id.load(self.pk)
        if row is None or not rules.can_view_history_of(context.viewer, row):
            raise forbidden()
        wanted = years.current_year() if year is None else year
        if not 1900 <= wanted <= 9998:
            raise bad_argument(ValueError("Année invalide."))
        used, formations = await context.loaders.quota_by_account_year.load((self.pk, wanted))
        settings = context.settings
        return Quota(
            year=wanted,
            used=used,
            limit=settings.annual_quota,
            formations_used=formations,
            formations_limit=settings.formation_quota,
        )

    @strawberry.field(
        description="The trainings the account keeps in its favourites: the account itself only.",
        permission_classes=[IsAuthenticated],
    )
    async def favourites(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[LazyTraining]:
        from parcourspro_gql.schema.catalogue.types import Training

        if info.context.viewer.account_id != self.pk:
            raise forbidden()
        return await connection(
            info,
            catalogue.favourites_of(self.pk),
            (models.Training.title, models.Training.id),
            Training.from_row,
            first,
            after,
        )

    @strawberry.field(
        description="The account's notifications, newest first: the account itself only.",
        permission_classes=[IsAuthenticated],
    )
    async def notifications(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        unread_only: bool | None = False,
    ) -> Connection[LazyNotification]:
        from parcourspro_gql.schema.notifications.types import Notification

        if info.context.viewer.account_id != self.pk:
            raise forbidden()
        return await Notification.inbox(info, self.pk, first, after, bool(unread_only))

    @strawberry.field(
        description="How many of the account's notifications are unread: the account itself only.",
        permission_classes=[IsAuthenticated],
    )
    async def unread_notification_count(self, info: Info) -> int:
        if info.context.viewer.account_id != self.pk:
            raise forbidden()
        return await info.context.loaders.unread_notification_count_by_account_id.load(self.pk)


# An account's plain fields, read from its row (engine/rows.py's Fields): what `from_row` builds it from, and
# what a row plan answers a page's beneficiaries from.
ACCOUNT_ROW = Fields(
    id=lambda v: strawberry.ID(to_global_id("Account", v["id"])),
    pk="id",
    structure_pk="structure_id",
    email_verified=lambda v: v["email_verified_at"] is not None,
    email="email",
    first_name="first_name",
    last_name="last_name",
    affiliation_status="affiliation_status",
    affiliation_requested_at="affiliation_requested_at",
    disabled_at="disabled_at",
)
Account.ROW_FIELDS = ACCOUNT_ROW  # type: ignore[attr-defined]


@node_resolver("Account")
async def account_node(info: Info, pk: int) -> Account | None:
    row = await info.context.loaders.account_by_id.load(pk)
    if row is None or not accounts.can_view(info.context.viewer, row):
        return None
    return Account.from_row(row)


@strawberry.type
class AccountPayload:
    account: Account | None
    errors: list[UserError]


@strawberry.type
class AuthPayload:
    access_token: str | None
    refresh_token: str | None
    expires_in: int | None = strawberry.field(description="Seconds until the access token expires.")
    account: Account | None
    errors: list[UserError]
