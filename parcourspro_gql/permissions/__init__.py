"""strawberry permission classes: thin, they read the Viewer resolved once per request.

List them in order, `[IsAuthenticated, IsManager]`: an anonymous caller then gets UNAUTHENTICATED and a
logged-in one without the role FORBIDDEN.
"""

from __future__ import annotations

from typing import Any, ClassVar

from graphql import GraphQLError
from strawberry.permission import BasePermission

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


def token_expired() -> GraphQLError:
    """The top-level error of a request whose access token expired: the client refreshes it and retries."""
    return GraphQLError(
        "Votre session a expiré : renouvelez le jeton d'accès.", extensions={"code": "TOKEN_EXPIRED"}
    )


def forbidden() -> GraphQLError:
    """The top-level FORBIDDEN error of a field whose object the caller may not see."""
    return GraphQLError("Accès refusé.", extensions={"code": "FORBIDDEN"})
