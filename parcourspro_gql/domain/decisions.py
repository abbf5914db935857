"""V1: who took a decision on a registration, as the caller may know him.

A decision (employer's, provider's, cancellation) names its account in `Decision.by` only for managers and for
the decider's own structure; everyone who sees the registration reads `Decision.actor` instead: a name, the
capacity in which he decided and the organisation he decided for, never an e-mail address.

The capacity is not stored with the decision: it follows from the decision's slot and from who the decider is
(G6, R5 say who may take each one), and the organisation is the registration's party for that capacity (the
person's structure for an employer, the training's provider for a provider), both fixed at request time.
"""

from __future__ import annotations

import enum
from collections.abc import Collection
from dataclasses import dataclass

from parcourspro_gql.auth.viewer import Viewer
from parcourspro_gql.models import AffiliationStatus, Role

# What actor.organisation says of a manager: Cap Métiers runs the programme (RULES.md V1).
MANAGERS_ORGANISATION = "Cap Métiers"


class Slot(enum.Enum):
    """Which decision of a registration: each has its own deciders (G6)."""

    EMPLOYER = "EMPLOYER"
    PROVIDER = "PROVIDER"
    CANCELLATION = "CANCELLATION"


@dataclass(frozen=True)
class Decider:
    """What the rules need of the deciding account."""

    pk: int
    structure_id: int | None
    affiliation_status: AffiliationStatus


@dataclass(frozen=True)
class Party:
    """The registration's sides: its person, his structure, and the structure that runs the training."""

    beneficiary_id: int
    structure_id: int
    provider_structure_id: int


def may_see_decider(viewer: Viewer, decider: Decider) -> bool:
    """V1: `Decision.by` for managers, the decider himself and the accounts of his own structure; null otherwise."""
    if viewer.account_id is None:
        return False
    if viewer.is_manager or viewer.account_id == decider.pk:
        return True
    own = decider.structure_id if decider.affiliation_status is AffiliationStatus.ACTIVE else None
    return own is not None and viewer.active_structure_id == own


def acting_role(slot: Slot, decider: Decider, decider_roles: Collection[Role], party: Party) -> Role:
    """The capacity in which `decider` took the decision of `slot`: the person himself (a cancellation), a member
    of the side that decides (employer of the person's structure, provider of the training), else a manager in
    their place (R5). A decider who has left that side since keeps the capacity his slot implies."""
    if slot is Slot.CANCELLATION and decider.pk == party.beneficiary_id:
        return Role.BENEFICIARY
    sides = {
        Slot.EMPLOYER: [(Role.EMPLOYER, party.structure_id)],
        Slot.PROVIDER: [(Role.PROVIDER, party.provider_structure_id)],
        Slot.CANCELLATION: [
            (Role.EMPLOYER, party.structure_id),
            (Role.PROVIDER, party.provider_structure_id),
        ],
    }[slot]
    for role, structure_id in sides:
        if decider.structure_id == structure_id:
            return role
    if Role.MANAGER in decider_roles:
        return Role.MANAGER
    return next((role for role, _ in sides if role in decider_roles), sides[0][0])


def organisation_of(role: Role, party: Party) -> int | None:
    """The structure a decider acted for in `role`; None for a manager (Cap Métiers)."""
    if role is Role.MANAGER:
        return None
    return party.provider_structure_id if role is Role.PROVIDER else party.structure_id


def display_name(first_name: str, last_name: str) -> str:
    """How a decider is named to those who may not see his account."""
    return f"{first_name} {last_name}".strip()
