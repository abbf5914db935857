"""Narrow reads of a registration page's relations (loaders/relations.py): with the fast paths on, the joined
beneficiary, session, training, provider and deciders are read as the columns the asked fields read. The
tables that say which columns each field reads must name every field of their type, a page must read no
more than it needs, and every answer must be the one a whole read gives (the differential harness compares
each read below with a twin app whose fast paths are off, which reads whole entities)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from graphql import GraphQLObjectType
from test_views import populate
from world import World

from parcourspro_gql.clock import clock
from parcourspro_gql.config import Settings
from parcourspro_gql.loaders.relations import REGISTRATION_KEYS, REGISTRATION_RELATIONS, NarrowRow
from parcourspro_gql.models import Registration, RegistrationStatus
from parcourspro_gql.schema.schema import build_schema

# The GraphQL type each relation's rows become.
TYPE_OF = {
    "session": "TrainingSession",
    "training": "Training",
    "provider": "Structure",
    "beneficiary": "Account",
    "employerDecision": "Account",
    "providerDecision": "Account",
    "cancellation": "Account",
}


@pytest.mark.parametrize("relation", REGISTRATION_RELATIONS.relations, ids=lambda relation: relation.name)
def test_each_relation_names_every_field_of_its_type(relation):
    """A field added to the type without its columns in the table fails here, not in a client's answer."""
    graphql_type = build_schema(production=False)._schema.type_map[TYPE_OF[relation.name]]
    assert isinstance(graphql_type, GraphQLObjectType)
    assert relation.fields is not None
    assert set(relation.fields) == set(graphql_type.fields)
    columns = relation.target.__mapper__.column_attrs.keys()
    for read in (*relation.fields.values(), *relation.read_by.values(), relation.keys):
        assert set(read) <= set(columns), read


def test_the_listing_s_own_rows_name_every_field_of_registration():
    own = REGISTRATION_RELATIONS.own
    assert own is not None
    graphql_type = build_schema(production=False)._schema.type_map["Registration"]
    assert isinstance(graphql_type, GraphQLObjectType)
    assert set(own.fields) == set(graphql_type.fields)
    columns = set(own.entity.__mapper__.column_attrs.keys())
    for read in (*own.fields.values(), own.keys):
        assert set(read) <= columns, read


def test_a_narrow_read_takes_the_keys_and_the_asked_columns():
    joins = REGISTRATION_RELATIONS.joins({"session", "startsAt", "seatsLeft", "days"}, narrow=True)
    assert joins.columns == (("id", "training_id", "starts_at", "ends_at", "capacity", "seats_taken"),)
    # An account read for a decision keeps what says whether the caller may see it (V1).
    joins = REGISTRATION_RELATIONS.joins({"cancellation", "by", "lastName"}, narrow=True)
    assert joins.columns == (("id", "structure_id", "affiliation_status", "last_name"),)
    # The page's own rows: the keys (id, order, what the rules read) and the asked columns.
    joins = REGISTRATION_RELATIONS.joins({"motivation", "seatOffer"}, narrow=True)
    assert joins.narrow == (*REGISTRATION_KEYS, "motivation", "offered_seat_at", "offer_expires_at")
    assert REGISTRATION_KEYS[:3] == ("id", "requested_at", "status")
    # Not narrow (the fast paths off): whole entities.
    joins = REGISTRATION_RELATIONS.joins({"session", "startsAt"})
    assert (joins.narrow, joins.columns) == (None, (None,))


def test_a_column_a_narrow_read_did_not_take_is_none():
    row = NarrowRow(id=3, title="Accueil")
    assert (row.id, row["title"], row.description, row["format"]) == (3, "Accueil", None, None)


async def test_a_page_reads_only_the_columns_it_asks(world: World, settings: Settings, statements):
    if not settings.fast_paths:
        pytest.skip("narrow reads are a fast path")
    _, _, _, employer, _, _ = await populate(world, 6)
    statements.reset()
    body = await world.as_(
        employer,
        """{ employerOverview { registrations(first: 10) { edges { node {
             beneficiary { firstName } session { startsAt training { title } } } } } } }""",
    )
    assert "errors" not in body, body
    page = next(statement for statement in statements.statements if "JOIN trainings" in statement)
    selected = page.split("FROM")[0]
    for column in ("first_name", "starts_at", "title"):
        assert column in selected
    for column in ("email", "last_name", "ends_at", "location", "description", "objectives", "capacity"):
        assert f".{column}" not in selected, column


EVERYTHING = """{ employerOverview { registrations(first: 50) { edges { node {
  id status category motivation requestedAt overStructureCap attendanceRate waitlistPosition
  seatOffer { offeredAt expiresAt }
  beneficiary { id email firstName lastName emailVerified affiliationStatus affiliationRequestedAt disabledAt }
  session { id startsAt endsAt days location capacity seatsLeft status halfDays contact minParticipants
            cancellationReason registrationOpensAt registrationClosesAt secondPhaseOpensAt waitlistCount
            training { id title description objectives content assessment format durationHours reservedToMembers
                       provider { id name siret apeCode apeLabel status requestedAt rejectionReason
                                  address { street postalCode city } } } }
  documents { kind fileName }
  employerDecision { at comment by { id firstName lastName email } actor { displayName role } }
  cancellation { at comment by { id firstName lastName } } } } } } }"""


async def test_every_field_of_a_narrow_read_answers_as_a_whole_read(world: World):
    """Every field of the joined types, asked at once and one field at a time, on a page where a person
    cancelled his own registration (his account is then read by two relations, with other columns each)."""
    _, _, _, employer, person, _ = await populate(world, 8, one_person=True)
    async with world.db.transaction() as session:
        own = await session.get(Registration, await _first_of(world, person.pk))
        assert own is not None
        own.status = RegistrationStatus.CANCELLED
        own.cancelled_by_id = person.pk
        own.cancelled_at = clock.now() + timedelta(minutes=1)
        own.cancellation_reason = "Empêchement"
    body = await world.as_(employer, EVERYTHING)
    assert "errors" not in body, body
    edges = body["data"]["employerOverview"]["registrations"]["edges"]
    cancelled = [edge["node"] for edge in edges if edge["node"]["cancellation"]]
    assert len(cancelled) == 1
    assert cancelled[0]["cancellation"]["by"] == {
        "id": cancelled[0]["beneficiary"]["id"],
        "firstName": cancelled[0]["beneficiary"]["firstName"],
        "lastName": cancelled[0]["beneficiary"]["lastName"],
    }
    assert cancelled[0]["beneficiary"]["email"] == person.email
    node = edges[0]["node"]
    assert node["session"]["training"]["title"].startswith("Formation")
    assert node["session"]["training"]["provider"]["name"] == "Institut de Formation"
    assert 0 <= node["session"]["seatsLeft"] <= node["session"]["capacity"] == 500
    # One field at a time: each narrow read takes that field's columns alone.
    for field in REGISTRATION_SCALARS:
        one = await world.as_(employer, OWN_FIELD.replace("FIELD", field))
        assert "errors" not in one, one
        assert [edge["node"][field] for edge in _edges(one)] == [edge["node"][field] for edge in edges]
    for relation, fields in (
        ("beneficiary", ("email", "emailVerified", "affiliationStatus", "disabledAt", "lastName")),
        ("session", ("seatsLeft", "status", "days", "contact", "secondPhaseOpensAt", "location")),
    ):
        for field in fields:
            one = await world.as_(employer, ONE_FIELD.replace("RELATION", relation).replace("FIELD", field))
            assert "errors" not in one, one
            answered = [edge["node"][relation][field] for edge in _edges(one)]
            assert answered == [edge["node"][relation][field] for edge in edges]


REGISTRATION_SCALARS = (
    "status",
    "category",
    "motivation",
    "requestedAt",
    "overStructureCap",
    "attendanceRate",
)
OWN_FIELD = "{ employerOverview { registrations(first: 50) { edges { node { FIELD } } } } }"
ONE_FIELD = "{ employerOverview { registrations(first: 50) { edges { node { RELATION { FIELD } } } } } }"


def _edges(body: dict) -> list[dict]:
    return body["data"]["employerOverview"]["registrations"]["edges"]


async def _first_of(world: World, beneficiary_pk: int) -> int:
    from sqlalchemy import select

    async with world.db.read() as session:
        return (
            await session.execute(
                select(Registration.id).where(Registration.beneficiary_id == beneficiary_pk).limit(1)
            )
        ).scalar_one()
