"""Document links that open without a header: `Document.url` is signed for the caller and the document and
lives PARCOURSPRO_DOCUMENT_LINK_MINUTES (10); the bearer route (the same path) stays."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from course import Course, download, names, pdf_text
from sqlalchemy import delete, update

from parcourspro_gql.models import Account, AccountRole, Role


def local(url: str) -> str:
    """The link as the test client reaches it (PARCOURSPRO_PUBLIC_URL is https://parcourspro.test)."""
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == "https://parcourspro.test"
    return f"{parts.path}?{parts.query}"


async def test_the_link_opens_the_pdf_without_any_header(client, course: Course):
    documents = await course.documents("org0")
    url = documents["CONVOCATION"]["url"]
    assert set(parse_qs(urlsplit(url).query)) == {"link"}
    answer = await client.get(local(url))
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["cache-control"] == "private, no-store"
    text = pdf_text(answer.content)
    assert "Convocation" in text
    assert all(part in text for part in await names(course.world, course.accepted["org0"][0].pk))
    # The bearer route stays: the same path, with the header.
    assert (await download(client, url, course.accepted["org0"][0])).status_code == 200


async def test_the_link_ends_after_ten_minutes(client, course: Course, clock):
    url = (await course.documents("org0"))["CONVOCATION"]["url"]
    clock.advance(timedelta(minutes=9, seconds=59))
    assert (await client.get(local(url))).status_code == 200
    clock.advance(timedelta(seconds=1))
    expired = await client.get(local(url))
    assert expired.status_code == 404
    assert expired.text == "Document introuvable."
    # Asking for the documents again gives a fresh link.
    person = course.accepted["org0"][0]
    person.token = course.world.tokens.issue(person.pk)
    fresh = (await course.documents("org0"))["CONVOCATION"]["url"]
    assert (await client.get(local(fresh))).status_code == 200


async def test_the_link_is_bound_to_its_document(client, course: Course):
    documents = await course.documents("org0")
    convocation, convention = (
        urlsplit(documents["CONVOCATION"]["url"]),
        urlsplit(documents["CONVENTION"]["url"]),
    )
    assert (await client.get(f"{convention.path}?{convocation.query}")).status_code == 404
    tampered = convocation.query[:-2] + ("AA" if not convocation.query.endswith("AA") else "BB")
    assert (await client.get(f"{convocation.path}?{tampered}")).status_code == 404
    assert (await client.get(f"{convocation.path}?link=")).status_code == 404


async def test_the_link_is_bound_to_its_viewer_and_checked_when_opened(client, course: Course):
    """The employer's link opens as the employer: once he is no longer one, it opens nothing."""
    url = (await course.documents("org0", course.employer))["CONVENTION"]["url"]
    assert (await client.get(local(url))).status_code == 200
    async with course.world.db.transaction() as session:
        await session.execute(
            delete(AccountRole).where(
                AccountRole.account_id == course.employer.pk, AccountRole.role == Role.EMPLOYER
            )
        )
    assert (await client.get(local(url))).status_code == 404


async def test_a_logout_or_a_disabled_account_ends_the_links_made_before(client, course: Course, clock):
    person = course.accepted["org0"][0]
    url = (await course.documents("org0"))["CONVOCATION"]["url"]
    clock.advance(timedelta(seconds=1))
    async with course.world.db.transaction() as session:
        await session.execute(
            update(Account).where(Account.id == person.pk).values(tokens_valid_after=clock.now())
        )
    assert (await client.get(local(url))).status_code == 404
    clock.advance(timedelta(seconds=1))
    person.token = course.world.tokens.issue(person.pk)
    fresh = (await course.documents("org0"))["CONVOCATION"]["url"]
    assert (await client.get(local(fresh))).status_code == 200
    async with course.world.db.transaction() as session:
        await session.execute(update(Account).where(Account.id == person.pk).values(disabled_at=clock.now()))
    assert (await client.get(local(fresh))).status_code == 404


async def test_another_persons_link_cannot_be_made_from_a_bearer_header(client, course: Course):
    """A link opens as its own viewer only; a header sent beside a bad link does not rescue it."""
    url = urlsplit((await course.documents("org0"))["CONVOCATION"]["url"])
    answer = await client.get(
        f"{url.path}?link=forged", headers={"Authorization": f"Bearer {course.trainer.token}"}
    )
    assert answer.status_code == 404
