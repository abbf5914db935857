"""The Viewer: the caller of one request, resolved once when its context is built."""

from __future__ import annotations

from dataclasses import dataclass, field

from parcourspro_gql.models import AffiliationStatus, Role


@dataclass(frozen=True)
class Viewer:
    """An authenticated account with its roles, or the anonymous caller (account_id None)."""

    account_id: int | None = None
    roles: frozenset[Role] = field(default_factory=frozenset)
    structure_id: int | None = None
    affiliation_status: AffiliationStatus = AffiliationStatus.NONE
    email_verified: bool = False
    client_address: str = "unknown"

    @classmethod
    def anonymous(cls, client_address: str = "unknown") -> Viewer:
        return cls(client_address=client_address)

    @property
    def is_authenticated(self) -> bool:
        return self.account_id is not None

    @property
    def is_manager(self) -> bool:
        return Role.MANAGER in self.roles

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    @property
    def active_structure_id(self) -> int | None:
        """The structure the caller acts for: only once his affiliation is active."""
        return self.structure_id if self.affiliation_status is AffiliationStatus.ACTIVE else None
