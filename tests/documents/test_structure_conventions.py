"""V2: a structure's referents (as its employers and managers) list its conventions and download them."""

from __future__ import annotations

from datetime import timedelta

from course import Course, download, names, pdf_text
from world import World, training_session

from parcourspro_gql.models import Role

CONVENTIONS = """
query($id: ID!, $year: Int) {
  node(id: $id) { ... on Structure { conventions(year: $year) { kind url fileName } } }
}
"""


async def conventions(world: World, who, structure_id: str, year: int | None = None) -> dict:
    return await world.as_(who, CONVENTIONS, {"id": structure_id, "year": year})


async def test_a_referent_lists_his_structure_s_conventions_newest_first_and_downloads_them(
    client, world: World, course: Course
):
    # A later session of another training with a participant of the same structure, and one in 2027.
    later = await training_session(
        world, course.provider, title="Conduite d'entretien", starts_in=timedelta(days=32)
    )
    next_year = await training_session(
        world, course.provider, title="Tutorat", starts_in=timedelta(days=60), capacity=5
    )
    for seats, name in ((later, "later"), (next_year, "next")):
        course.seats = seats
        await course.accept(name, course.org, course.employer)

    body = await conventions(world, course.referent, course.org.id)
    assert "errors" not in body, body
    found = body["data"]["node"]["conventions"]
    assert [document["kind"] for document in found] == ["CONVENTION"] * 3
    assert [document["fileName"].split("-s")[0] for document in found] == [
        "convention-tutorat",
        "convention-conduite-d-entretien",
        "convention-accueillir-e-e-a-c-oe-eur-les-publics",
    ]
    # The year is the session's start in Paris time: 2026 holds two of them, 2027 the third.
    in_2026 = (await conventions(world, course.referent, course.org.id, 2026))["data"]["node"]["conventions"]
    assert [document["url"] for document in in_2026] == [document["url"] for document in found[1:]]
    in_2027 = (await conventions(world, course.referent, course.org.id, 2027))["data"]["node"]["conventions"]
    assert [document["url"] for document in in_2027] == [found[0]["url"]]

    response = await download(client, found[2]["url"], course.referent)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    text = pdf_text(response.content)
    assert "Mission Locale des Graves" in text
    assert all(part in text for part in await names(world, course.accepted["org0"][0].pk))
    # The other structure's participant is in its own convention, not in this one.
    assert not any(part in text for part in await names(world, course.accepted["other0"][0].pk))


async def test_only_the_structure_s_referents_employers_and_managers_list_them(world: World, course: Course):
    manager = await world.manager()
    participant = course.accepted["org0"][0]
    for who in (course.referent, course.employer, manager):
        listed = (await conventions(world, who, course.org.id))["data"]["node"]["conventions"]
        assert len(listed) == 1
    outsider_referent = await world.person(course.other, Role.REFERENT)
    for who in (participant, course.trainer, course.other_employer, outsider_referent):
        body = await conventions(world, who, course.org.id)
        assert body["data"] == {"node": None}
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await conventions(world, None, course.org.id)
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # A structure without participants has none; a year out of range is refused, not an internal error.
    assert (await conventions(world, manager, course.provider.id))["data"]["node"]["conventions"] == []
    body = await conventions(world, course.referent, course.org.id, 1900)
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
