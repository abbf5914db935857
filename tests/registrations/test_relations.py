"""The relation table of registration pages: what a selection joins, in which order, with what it needs."""

from __future__ import annotations

import pytest

from parcourspro_gql import models
from parcourspro_gql.loaders.relations import REGISTRATION_RELATIONS, Relation, RelationTable


@pytest.mark.parametrize(
    ("asked", "joined"),
    [
        ({"status", "motivation"}, ()),
        ({"session", "startsAt"}, ("session",)),
        ({"documents"}, ("training",)),
        # The provider is reached through the training, joined first.
        ({"provider", "name"}, ("training", "provider")),
        ({"session", "training", "beneficiary"}, ("session", "training", "beneficiary")),
        # A decision's account only when its `by` is asked.
        ({"employerDecision", "at"}, ()),
        ({"employerDecision", "cancellation", "by"}, ("employerDecision", "cancellation")),
    ],
)
def test_a_selection_joins_what_it_asks_for(asked, joined):
    assert REGISTRATION_RELATIONS.joins(asked).names == joined


def test_a_relation_must_come_after_what_it_needs():
    on = models.Structure.id == models.Training.provider_structure_id
    with pytest.raises(ValueError, match="provider needs training"):
        RelationTable(
            Relation("provider", models.Structure, on, asked_by=frozenset({"provider"}), needs=("training",)),
            Relation(
                "training",
                models.Training,
                models.Training.id == models.Registration.training_id,
                asked_by=frozenset({"training"}),
            ),
        )
