"""Loaders of what `Decision.actor` needs (V1): the decider, his roles, and the names of the registration's
parties, for every decision of a page in one batch of three statements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from parcourspro_gql.loaders.base import Loader
from parcourspro_gql.models import Account, AccountRole, Role, Structure, Training


@dataclass(frozen=True)
class DecisionKey:
    """A decision's decider and the registration's training and structure (its parties)."""

    decider_id: int
    training_id: int
    structure_id: int


@dataclass(frozen=True)
class DecisionFacts:
    decider: Account
    roles: frozenset[Role]
    provider_structure_id: int
    # The registration's structure and the training's provider, by id.
    structure_names: dict[int, str]


class DecisionFactsByKeyLoader(Loader[DecisionKey, DecisionFacts]):
    async def batch_load_fn(self, keys: Sequence[DecisionKey]) -> list[DecisionFacts]:
        decider_ids = {key.decider_id for key in keys}
        async with self.db.read() as session:
            people = (
                await session.execute(
                    select(Account, AccountRole.role)
                    .outerjoin(AccountRole, AccountRole.account_id == Account.id)
                    .where(Account.id.in_(decider_ids))
                )
            ).all()
            providers = (
                await session.execute(
                    select(Training.id, Training.provider_structure_id, Structure.name)
                    .join(Structure, Structure.id == Training.provider_structure_id)
                    .where(Training.id.in_({key.training_id for key in keys}))
                )
            ).all()
            structures = (
                await session.execute(
                    select(Structure.id, Structure.name).where(
                        Structure.id.in_({key.structure_id for key in keys})
                    )
                )
            ).all()
        accounts: dict[int, Account] = {}
        roles: dict[int, set[Role]] = {}
        for account, role in people:
            accounts[account.id] = account
            roles.setdefault(account.id, set()).update([role] if role is not None else [])
        provider_of = {training_id: provider_id for training_id, provider_id, _ in providers}
        names: dict[int, str] = {row.id: row.name for row in structures}
        names.update({provider_id: name for _, provider_id, name in providers})
        return [
            DecisionFacts(
                decider=accounts[key.decider_id],
                roles=frozenset(roles[key.decider_id]),
                provider_structure_id=provider_of[key.training_id],
                structure_names={pk: names[pk] for pk in (key.structure_id, provider_of[key.training_id])},
            )
            for key in keys
        ]
