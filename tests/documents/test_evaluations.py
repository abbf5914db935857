"""evaluationSubmit and TrainingSession.evaluationSummary (Q1): the participant who attended evaluates once,
within 60 days; nobody else may; the provider and managers read the summary (Qualiopi indicator 30)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from course import Course
from registration_ops import code, payload
from sqlalchemy import select
from world import World, training_session

from parcourspro_gql.models import AuditEntry

SUBMIT = """
mutation($id: ID!, $rating: Int!, $recommend: Boolean!, $comment: String) {
  evaluationSubmit(input: {registrationId: $id, rating: $rating, wouldRecommend: $recommend, comment: $comment}) {
    registration { id evaluation { rating wouldRecommend comment submittedAt } }
    errors { code message field }
  }
}
"""
EVALUATION = """
query($id: ID!) { node(id: $id) { ... on Registration { evaluation { rating wouldRecommend comment } } } }
"""
SUMMARY = """
query($id: ID!) {
  node(id: $id) {
    ... on TrainingSession {
      evaluationSummary { invited responses averageRating recommendRate comments }
      registrations { edges { node { evaluation { rating } } } }
    }
  }
}
"""


async def submit(course: Course, name: str, rating: int = 4, recommend: bool = True, comment=None, who=None):
    person, registration_id = course.accepted[name]
    variables = {"id": registration_id, "rating": rating, "recommend": recommend, "comment": comment}
    return await course.world.as_(who or person, SUBMIT, variables)


@pytest.fixture
async def attended(course: Course, clock) -> Course:
    """org0 attended 4 half-days of 4, other0 was absent."""
    course.start(clock)
    assert code(await course.record(4, {"org0": 4, "other0": 0})) == "ok"
    return course


async def test_the_participant_evaluates_once_and_the_decision_is_audited(attended: Course, db):
    body = await submit(attended, "org0", 5, True, "  Très   utile pour l'accueil.  ")
    result = payload(body)
    assert result["errors"] == []
    evaluation = result["registration"]["evaluation"]
    assert (evaluation["rating"], evaluation["wouldRecommend"], evaluation["comment"]) == (
        5,
        True,
        "Très utile pour l'accueil.",
    )
    again = await submit(attended, "org0", 1, False)
    assert code(again) == "ALREADY_EVALUATED"
    assert payload(again)["registration"] is None
    async with db.read() as session:
        actions = list(
            await session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("evaluation%")))
        )
    assert actions == ["evaluation.submit"]


async def test_nobody_else_may_evaluate(attended: Course, world: World):
    manager = await world.manager()
    for who in (attended.employer, attended.trainer, manager, attended.accepted["other0"][0]):
        assert code(await submit(attended, "org0", who=who)) == "FORBIDDEN"
    # Absent: not his to give.
    assert code(await submit(attended, "other0")) == "FORBIDDEN"
    # Anonymous: a top-level refusal.
    anonymous = await world.as_(
        None, SUBMIT, {"id": attended.accepted["org0"][1], "rating": 3, "recommend": True}
    )
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_not_before_attendance_nor_after_sixty_days(course: Course, clock):
    assert code(await submit(course, "org0")) == "FORBIDDEN"  # accepted, not attended yet
    course.start(clock)
    assert code(await course.record(2, {"org0": 2})) == "ok"
    # The session ends 1 day 8 hours after it starts; 31 days after the start are already behind.
    clock.advance(timedelta(days=61))
    course.start(clock, timedelta())
    body = await submit(course, "org0")
    assert code(body) == "FORBIDDEN"
    assert "60 jours" in payload(body)["errors"][0]["message"]


@pytest.mark.parametrize(
    ("rating", "comment", "field"), [(0, None, "rating"), (6, None, "rating"), (3, "x" * 2001, "comment")]
)
async def test_bad_input_is_refused_field_by_field(attended: Course, rating, comment, field):
    body = await submit(attended, "org0", rating, True, comment)
    assert code(body) == "INVALID_INPUT"
    assert payload(body)["errors"][0]["field"] == field
    assert code(await submit(attended, "org0", 3)) == "ok"  # nothing was written by the refusal


async def test_the_provider_and_managers_read_the_summary_others_get_null(world: World, clock):
    course = await Course(world).build(per_structure=2)
    course.start(clock)
    assert code(await course.record(4, {"org0": 4, "org1": 2, "other0": 0, "other1": 1})) == "ok"
    assert code(await submit(course, "org0", 5, True, "Excellent")) == "ok"
    assert code(await submit(course, "org1", 2, False)) == "ok"
    manager = await world.manager()
    for who in (course.trainer, manager):
        node = (await world.as_(who, SUMMARY, {"id": course.seats.session_id}))["data"]["node"]
        assert node["evaluationSummary"] == {
            "invited": 3,
            "responses": 2,
            "averageRating": 3.5,
            "recommendRate": 0.5,
            "comments": ["Excellent"],
        }
        ratings = [edge["node"]["evaluation"] for edge in node["registrations"]["edges"]]
        assert sorted(rating["rating"] for rating in ratings if rating) == [2, 5]
    summary_only = (
        "query($id: ID!) { node(id: $id) { ... on TrainingSession { evaluationSummary { invited } } } }"
    )
    for who in (course.employer, course.accepted["org0"][0], course.referent):
        body = await world.as_(who, summary_only, {"id": course.seats.session_id})
        assert body["data"]["node"]["evaluationSummary"] is None
    # The employer sees his person's registration, not what the person thought of the training.
    own = await world.as_(course.employer, EVALUATION, {"id": course.accepted["org0"][1]})
    assert own["data"]["node"] == {"evaluation": None}
    mine = await world.as_(course.accepted["org0"][0], EVALUATION, {"id": course.accepted["org0"][1]})
    assert mine["data"]["node"]["evaluation"]["comment"] == "Excellent"


async def test_the_summary_without_responses(attended: Course):
    node = (await attended.world.as_(attended.trainer, SUMMARY, {"id": attended.seats.session_id}))["data"][
        "node"
    ]
    assert node["evaluationSummary"] == {
        "invited": 1,
        "responses": 0,
        "averageRating": None,
        "recommendRate": None,
        "comments": [],
    }


async def test_each_attended_participant_is_asked_once(course: Course, clock, outbox):
    course.start(clock)
    await outbox.deliver()
    assert code(await course.record(4, {"org0": 4, "other0": 0})) == "ok"
    asked = [m for m in await outbox.deliver() if m["Subject"].startswith("[ParcoursPro] Votre avis")]
    assert [m["To"] for m in asked] == [course.accepted["org0"][0].email]
    text = asked[0].get_body(("plain",)).get_content()
    assert "Accueillir" in text
    assert "note de 1 à 5" in text
    # A correction of his figures does not ask again; a newly present participant is asked.
    assert code(await course.record(4, {"org0": 3, "other0": 2})) == "ok"
    asked = [m for m in await outbox.deliver() if m["Subject"].startswith("[ParcoursPro] Votre avis")]
    assert [m["To"] for m in asked] == [course.accepted["other0"][0].email]


async def test_the_summary_costs_the_same_statements_for_one_or_many_sessions(
    world: World, course: Course, clock, statements
):
    """Every session of a provider's training page reads its summary in the same few statements."""
    query = """
    query($id: ID!) {
      node(id: $id) { ... on Training { sessions { edges { node { evaluationSummary { responses } } } } } }
    }
    """
    course.start(clock)
    statements.reset()
    await world.as_(course.trainer, query, {"id": course.seats.training_id})
    one = statements.count
    for _ in range(3):
        await training_session(world, course.provider, training_pk=course.seats.training_pk)
    statements.reset()
    body = await world.as_(course.trainer, query, {"id": course.seats.training_id})
    assert len(body["data"]["node"]["sessions"]["edges"]) == 4
    assert statements.count == one
