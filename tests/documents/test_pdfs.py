"""What each PDF says (D1–D4), read back with pypdf, how it is served, and that hostile data stays text."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

from course import Course, download, names, pdf_text
from registration_ops import code
from world import World

from parcourspro_gql.models import Account


async def fetch(client, course: Course, name: str, kind: str, who=None) -> str:
    documents = await course.documents(name, who)
    answer = await download(client, documents[kind]["url"], who or course.accepted[name][0])
    assert answer.status_code == 200, answer.text
    return pdf_text(answer.content)


async def test_the_convocation_names_the_person_the_training_the_dates_hours_and_place(
    client, course: Course
):
    text = await fetch(client, course, "org0", "CONVOCATION")
    for expected in (
        "Convocation",
        "Accueillir é è à ç œ € : les publics",
        "du 28/12/2026 au 29/12/2026",  # the session starts 30 days after 28/11/2026 10:00 in Paris
        "de 10h00 à 18h00",
        "Cap Métiers, Pessac",
        "Institut de Formation Aquitaine",
        "Mission Locale des Graves",
        "0 €",
        "page 1 sur 1",
        "Offre de professionnalisation",
    ):
        assert expected in text, expected
    assert all(part in text for part in await names(course.world, course.accepted["org0"][0].pk))


async def test_the_convention_names_both_parties_with_siret_and_the_structures_participants(
    client, course: Course
):
    text = await fetch(client, course, "org0", "CONVENTION", course.employer)
    for expected in (
        "Convention de formation professionnelle",
        "Institut de Formation Aquitaine",
        f"SIRET {course.provider.siret}",
        "Mission Locale des Graves",
        f"SIRET {course.org.siret}",
        "Objectifs",
        "14 heures",
        "0 €",
        "Action financée par la Région Nouvelle-Aquitaine et l'État.",
        "Modalités d'évaluation",
    ):
        assert expected in text, expected
    assert all(part in text for part in await names(course.world, course.accepted["org0"][0].pk))
    assert not any(part in text for part in await names(course.world, course.accepted["other0"][0].pk))


async def test_the_attestation_states_hours_and_rate(client, course: Course, clock):
    course.start(clock)
    assert code(await course.record(4, {"org0": 3, "other0": 4})) == "ok"
    text = await fetch(client, course, "org0", "ATTESTATION")
    for expected in (
        "Attestation de fin de formation",
        "L6353-1",
        "3 demi-journée(s) sur 4",
        "10,5 heures",
        "75 %",
        "Accueillir é è à ç œ € : les publics",
        "0 €",
    ):
        assert expected in text, expected


async def test_the_completion_certificate_states_the_hours_completed_for_the_funder(
    client, course: Course, clock
):
    course.start(clock)
    assert code(await course.record(4, {"org0": 3, "other0": 0})) == "ok"
    text = await fetch(client, course, "org0", "COMPLETION_CERTIFICATE", course.employer)
    for expected in (
        "Certificat de réalisation",
        "R6332-26",
        "Institut de Formation Aquitaine",
        f"SIRET {course.provider.siret}",
        "Mission Locale des Graves",
        f"SIRET {course.org.siret}",
        "Accueillir é è à ç œ € : les publics",
        "du 28/12/2026 au 29/12/2026",
        "Durée prévue 14 heures",
        "Durée réalisée 10,5 heures",
        "3 demi-journée(s) sur 4 (75 %)",
        "3 ans",
    ):
        assert expected in text, expected
    assert all(part in text for part in await names(course.world, course.accepted["org0"][0].pk))
    # Absent: no certificate.
    assert "COMPLETION_CERTIFICATE" not in await course.documents("other0")


async def test_the_attendance_sheet_has_a_line_per_participant_and_a_column_per_half_day(
    client, course: Course, clock
):
    text = await fetch(client, course, "org0", "ATTENDANCE_SHEET", course.trainer)
    assert "Feuille d'émargement" in text
    assert "R6332-26" in text
    for column in ("28/12 matin", "28/12 après-midi", "29/12 matin", "29/12 après-midi"):
        assert column in text
    for name in ("org0", "other0"):
        assert all(part in text for part in await names(course.world, course.accepted[name][0].pk))
    assert "Cap Emploi Gironde" in text
    assert "À signer à chaque demi-journée." in text
    course.start(clock)
    assert code(await course.record(4, {"org0": 3, "other0": 0})) == "ok"
    text = await fetch(client, course, "org0", "ATTENDANCE_SHEET", course.trainer)
    assert "3 / 4" in text
    assert "0 / 4" in text
    assert "Présence enregistrée le" in text


async def test_downloads_are_private_pdfs_with_a_sane_file_name(client, course: Course):
    documents = await course.documents("org0")
    answer = await download(client, documents["CONVOCATION"]["url"], course.accepted["org0"][0])
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF-")
    file_name = documents["CONVOCATION"]["fileName"]
    assert answer.headers["content-disposition"] == f'attachment; filename="{file_name}"'
    assert file_name.isascii()
    assert file_name.endswith(".pdf")
    assert "/" not in file_name
    assert answer.headers["cache-control"] == "private, no-store"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert urlsplit(documents["CONVOCATION"]["url"]).path.startswith("/documents/")


async def test_a_hostile_name_is_printed_as_text_and_fetches_nothing(client, course: Course, world: World):
    hits: list[bytes] = []

    async def listener(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        hits.append(await reader.read(100))
        writer.close()

    server = await asyncio.start_server(listener, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    hostile = f'<img src="http://127.0.0.1:{port}/x">'
    person = course.accepted["org0"][0]
    async with world.db.transaction() as session:
        account = await session.get(Account, person.pk)
        assert account is not None
        account.last_name = hostile
        account.first_name = f'<link rel="stylesheet" href="http://127.0.0.1:{port}/y.css">'
    try:
        for kind, who in (
            ("CONVOCATION", person),
            ("CONVENTION", course.employer),
            ("ATTENDANCE_SHEET", course.trainer),
        ):
            text = await fetch(client, course, "org0", kind, who)
            assert hostile in text, kind
        await asyncio.sleep(0.2)
    finally:
        server.close()
        await server.wait_closed()
    assert hits == []
