"""strawberry permission classes: thin, they read the Viewer resolved once per request.

List them in order, `[IsAuthenticated, IsManager]`: an anonymous caller then gets UNAUTHENTICATED and a
logged-in one without the role FORBIDDEN.
"""

from __future__ import annotations

from typing import Any, ClassVar

from graphql import GraphQLError
from strawberry.permission import BasePermission

from parcourspro_gql.models import Role


class IsAuthenticated(BasePermission):
    message = "Authentification requise : connectez-vous."
    error_extensions: ClassVar[dict[str, Any]] = {"code": "UNAUTHENTICATED"}

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return bool(info.context.viewer.is_authenticated)


class IsManager(BasePermission):
    message = "Action réservée aux gestionnaires de Cap Métiers."
    error_extensions: ClassVar[dict[str, Any]] = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info: Any, **kwargs: Any) -> bool:
        return bool(info.context.viewer.has_role(Role.MANAGER))


def forbidden() -> GraphQLError:
    """The top-level FORBIDDEN error of a field whose object the caller may not see."""
    return GraphQLError("Accès refusé.", extensions={"code": "FORBIDDEN"})
