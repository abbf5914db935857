"""The demo world lets a newcomer try documents: the past session's attestation, the upcoming convocations."""

from __future__ import annotations

from course import download, pdf_text
from registration_ops import code
from sqlalchemy import select

from parcourspro_gql.auth.tokens import AccessTokens
from parcourspro_gql.models import Account
from parcourspro_gql.seed import seed_demo

HISTORY = """
{ me { registrations(first: 20) { edges { node {
  status session { id startsAt } documents { kind url }
} } } } }
"""
SEND = """
mutation($session: ID!) { convocationsSend(input: {sessionId: $session}) { errors { code } } }
"""


async def test_demo_people_download_their_documents_and_the_trainer_sends_convocations(
    db, settings, gql, client, outbox
):
    assert await seed_demo(db)
    tokens = AccessTokens(settings)
    async with db.read() as session:
        ids = dict(
            (
                await session.execute(select(Account.email, Account.id).where(Account.email.like("%@demo.%")))
            ).all()
        )
    camille = tokens.issue(ids["camille@demo.parcourspro.fr"])
    edges = (await gql(HISTORY, token=camille))["data"]["me"]["registrations"]["edges"]
    attended = next(edge["node"] for edge in edges if edge["node"]["status"] == "ATTENDED")
    documents = {document["kind"]: document["url"] for document in attended["documents"]}
    assert set(documents) == {"CONVOCATION", "CONVENTION", "ATTESTATION", "COMPLETION_CERTIFICATE"}

    class Bearer:
        token = camille

    answer = await download(client, documents["ATTESTATION"], Bearer)
    assert answer.status_code == 200
    assert "Camille Dupont" in pdf_text(answer.content)

    lucas = tokens.issue(ids["lucas@demo.parcourspro.fr"])
    edges = (await gql(HISTORY, token=lucas))["data"]["me"]["registrations"]["edges"]
    upcoming = next(edge["node"] for edge in edges if edge["node"]["status"] == "ACCEPTED")
    trainer = tokens.issue(ids["formateur@demo.parcourspro.fr"])
    await outbox.deliver()
    assert code(await gql(SEND, {"session": upcoming["session"]["id"]}, token=trainer)) == "ok"
    assert "lucas@demo.parcourspro.fr" in {message["To"] for message in await outbox.deliver()}
