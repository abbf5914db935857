"""D5: who may download each kind of document. 200 = the PDF, 404 = nothing learned (whether it exists or not).

The documents are those of `org0`, a participant of the structure "org"; "own" is that structure (or, for a
provider, the provider of the session), "other" another one. `colleague` is a person of the participant's
structure who does not take part.
"""

from __future__ import annotations

from course import Course, download
from registration_ops import code
from world import World

from parcourspro_gql.domain.documents import DocumentKind, DocumentRef
from parcourspro_gql.models import Role

WHO = (
    "anonymous",
    "participant",
    "colleague",
    "employer",
    "other employer",
    "referent",
    "provider",
    "other provider",
    "manager",
)
# fmt: off
MATRIX = {
    #                    anon participant colleague employer other-emp referent provider other-prov manager
    "CONVOCATION":      (404, 200,        404,      200,     404,      200,     200,     404,       200),
    "CONVENTION":       (404, 200,        404,      200,     404,      200,     200,     404,       200),
    "ATTESTATION":      (404, 200,        404,      200,     404,      200,     200,     404,       200),
    "ATTENDANCE_SHEET": (404, 404,        404,      404,     404,      404,     200,     404,       200),
    # D6: the same rules as the attestation.
    "COMPLETION_CERTIFICATE": (404, 200,    404,      200,     404,      200,     200,     404,       200),
}
# fmt: on


async def cast(world: World, course: Course) -> dict[str, object]:
    return {
        "anonymous": None,
        "participant": course.accepted["org0"][0],
        "colleague": await world.person(course.org),
        "employer": course.employer,
        "other employer": course.other_employer,
        "referent": course.referent,
        "provider": course.trainer,
        "other provider": await world.person(await world.structure("Autre Organisme"), Role.PROVIDER),
        "manager": await world.manager(),
    }


async def test_who_may_download_each_kind(client, world: World, course: Course, clock):
    course.start(clock)
    assert code(await course.record(2, {"org0": 2, "other0": 1})) == "ok"
    people = await cast(world, course)
    urls = {
        kind: document["url"] for kind, document in (await course.documents("org0", course.trainer)).items()
    }
    assert set(urls) == set(MATRIX)
    seen = {
        kind: tuple([(await download(client, urls[kind], people[who])).status_code for who in WHO])  # type: ignore[arg-type]
        for kind in MATRIX
    }
    assert seen == MATRIX


async def test_registration_documents_list_what_the_caller_may_download(world: World, course: Course, clock):
    course.start(clock)
    assert code(await course.record(2, {"org0": 2, "other0": 0})) == "ok"
    every = {"CONVOCATION", "CONVENTION", "ATTESTATION", "COMPLETION_CERTIFICATE", "ATTENDANCE_SHEET"}
    assert set(await course.documents("org0", course.trainer)) == every
    assert set(await course.documents("org0", await world.manager())) == every
    assert set(await course.documents("org0", course.employer)) == every - {"ATTENDANCE_SHEET"}
    assert set(await course.documents("org0")) == every - {"ATTENDANCE_SHEET"}
    assert set(await course.documents("other0")) == {"CONVOCATION", "CONVENTION"}
    assert await course.documents("org0", course.other_employer) == {}  # he cannot see the registration


async def test_a_document_that_does_not_exist_is_a_404_even_for_a_manager(
    client, world: World, course: Course
):
    manager = await world.manager()
    _, pending = await course.ask(course.org)
    session, registration = course.seats.session_pk, course.accepted["org0"][1]
    from parcourspro_gql.schema.relay import from_global_id

    registration_pk = from_global_id(registration)[1]
    pending_pk = from_global_id(pending)[1]
    missing = [
        DocumentRef(DocumentKind.ATTESTATION, session, registration_id=registration_pk),  # not attended yet
        DocumentRef(DocumentKind.COMPLETION_CERTIFICATE, session, registration_id=registration_pk),
        DocumentRef(DocumentKind.CONVOCATION, session, registration_id=pending_pk),  # not accepted
        DocumentRef(DocumentKind.CONVOCATION, session, registration_id=999_999),
        DocumentRef(DocumentKind.CONVOCATION, session + 1, registration_id=registration_pk),  # wrong session
        DocumentRef(DocumentKind.CONVENTION, session, structure_id=999_999),
        DocumentRef(DocumentKind.ATTENDANCE_SHEET, 999_999),
    ]
    for ref in missing:
        answer = await download(client, f"/documents/{ref.token()}", manager)
        assert answer.status_code == 404, ref
        assert answer.headers["cache-control"] == "private, no-store"
    for garbage in ("x", "Q09OVk9DQVRJT046MQ", "%00", "Li4vLi4vZXRjL3Bhc3N3ZA"):
        assert (await download(client, f"/documents/{garbage}", manager)).status_code == 404
    assert (
        await client.get("/documents/" + missing[2].token(), headers={"Authorization": "Bearer nope"})
    ).status_code == 404
