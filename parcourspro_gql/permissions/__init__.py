"""strawberry permission classes: thin, they read the Viewer resolved once per request.

List them in order, `[IsAuthenticated, IsManager]`: an anonymous caller then gets UNAUTHENTICATED and a
logged-in one without the role FORBIDDEN.

The role classes below (IsReferentOf, IsEmployerOf, IsProviderOf, …) state on the field who may read it; each
asks the domain's rule (the one place where it is written), about the field's object when there is one (the
structure, session or account the field hangs on). Mutations keep their checks in the domain, which answers a
refusal in the payload's `errors` with the object's reason. A field's description names its class.
"""

from __future__ import annotations

from typing import Any, ClassVar

from graphql import GraphQLError
from strawberry.permission import BasePermission

from parcourspro_gql.domain import affiliation, catalogue, structures
from parcourspro_gql.domain import documents as paperwork
from parcourspro_gql.domain import registrations as rules
from parcourspro_gql.models import Role


class _Refusal(BasePermission):
    """A permission whose refusal carries its code in `extensions.code` (strawberry reads the extensions per
    instance, hence set in __init__ rather than shared by the class)."""

    code: ClassVar[str] = "FORBIDDEN"

    def __init__(self) -> None:
        self.error_extensions = {"code": self.code}


class IsAuthenticated(_Refusal):
    message = "Authentification requise : connectez-vous."
    code = "UNAUTHENTICATED"

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        if info.context.token_expired:
            raise token_expired()
        return bool(info.context.viewer.is_authenticated)


class IsManager(_Refusal):
    message = "Action réservée aux gestionnaires de Cap Métiers."

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return bool(info.context.viewer.has_role(Role.MANAGER))


class IsReferentOrManager(_Refusal):
    """A referent (of his active structure) or a manager: Query.pendingAffiliations."""

    message = "Liste réservée aux référents de structure et aux gestionnaires."

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return affiliation.may_list_pending(info.context.viewer)


class IsReferentOf(_Refusal):
    """The structure's referents, and managers (V3): Structure.changes."""

    message = "Réservé aux référents de la structure et aux gestionnaires."

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return structures.can_see_changes(info.context.viewer, source.pk)


class IsEmployerOf(_Refusal):
    """The structure's employers and referents, and managers: Structure.accounts."""

    message = "Réservé aux employeurs et référents de la structure et aux gestionnaires."

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return affiliation.can_list_accounts(info.context.viewer, source.pk)


class IsPartyOf(_Refusal):
    """The structure's employers and referents, who sign its conventions, and managers (V2):
    Structure.conventions."""

    message = "Réservé aux employeurs et référents de la structure et aux gestionnaires."

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return paperwork.may_list_conventions(info.context.viewer, source.pk)


class IsProvider(_Refusal):
    """A provider, for his own active structure: Query.providerSessions."""

    message = "Réservé aux organismes de formation."

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        return viewer.active_structure_id is not None and catalogue.acts_for_provider(
            viewer, viewer.active_structure_id
        )


class IsProviderOf(_Refusal):
    """The provider of the session's training, and managers: TrainingSession.registrations."""

    message = "Réservé à l'organisme qui anime la session et aux gestionnaires."

    async def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        viewer = info.context.viewer
        if viewer.is_manager:
            return True
        training = await info.context.loaders.training_by_id.load(source.training_pk)
        return training is not None and catalogue.is_provider_of(viewer, training)


class IsSelfOrEmployerOf(_Refusal):
    """The account itself, the employers of its structure, and managers: Account.registrations."""

    message = "Réservé à la personne, à ses employeurs et aux gestionnaires."

    async def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        context = info.context
        row = context.caller_row(source.pk) or await context.loaders.account_by_id.load(source.pk)
        return row is not None and rules.can_view_history_of(context.viewer, row)


def token_expired() -> GraphQLError:
    """The top-level error of a request whose access token expired: the client refreshes it and retries."""
    return GraphQLError(
        "Votre session a expiré : renouvelez le jeton d'accès.", extensions={"code": "TOKEN_EXPIRED"}
    )


def forbidden() -> GraphQLError:
    """The top-level FORBIDDEN error of a field whose object the caller may not see."""
    return GraphQLError("Accès refusé.", extensions={"code": "FORBIDDEN"})
