"""The inbox (N1): every step that emails someone leaves a notification in the same transaction; the owner
reads his notifications (newest first, paged, unread only), counts the unread ones and marks them read."""

from __future__ import annotations

from datetime import timedelta

from registration_ops import CANCEL, MOTIVATION, REQUEST, SELECT, VALIDATE, payload
from world import Person, World, training_session

from parcourspro_gql.models import Role

INBOX = """
query($first: Int, $after: String, $unread: Boolean) {
  me {
    unreadNotificationCount
    notifications(first: $first, after: $after, unreadOnly: $unread) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node {
        id kind message createdAt readAt
        registration { id status }
        session { id location }
        structure { name }
        account { email }
      } }
    }
  }
}
"""
MARK = """
mutation($ids: [ID!]) { notificationsMarkRead(input: {ids: $ids}) { ok errors { code message field } } }
"""
NODE = "query($id: ID!) { node(id: $id) { id ... on Notification { kind message } } }"
JOIN = """
mutation($id: ID!) { affiliationRequest(input: {structureId: $id}) { errors { code } } }
"""
CONFIRM = """
mutation($id: ID!) { affiliationConfirm(input: {accountId: $id}) { errors { code } } }
"""


async def inbox(world: World, who: Person, **variables) -> dict:
    body = await world.as_(who, INBOX, variables)
    assert "errors" not in body, body
    return body["data"]["me"]


def kinds(me: dict) -> list[str]:
    return [edge["node"]["kind"] for edge in me["notifications"]["edges"]]


class Cast:
    async def build(self, world: World) -> Cast:
        self.world = world
        self.provider = await world.structure("Institut de Formation")
        self.trainer = await world.person(self.provider, Role.PROVIDER)
        self.org = await world.structure("Mission Locale")
        self.employer = await world.person(self.org, Role.EMPLOYER)
        self.person = await world.person(self.org)
        self.seats = await training_session(world, self.provider)
        return self

    async def request(self) -> str:
        body = await self.world.as_(
            self.person, REQUEST, {"session": self.seats.session_id, "motivation": MOTIVATION}
        )
        return payload(body)["registration"]["id"]


async def test_a_request_leaves_the_employer_a_notification_with_its_email(world: World, outbox):
    cast = await Cast().build(world)
    registration_id = await cast.request()

    me = await inbox(world, cast.employer)
    assert me["unreadNotificationCount"] == 1
    [edge] = me["notifications"]["edges"]
    node = edge["node"]
    assert node["kind"] == "REGISTRATION_TO_DECIDE"
    assert node["message"] == "Demande d'inscription à décider : Prénom5 Nom005, Accueillir les publics"
    assert node["readAt"] is None
    assert node["registration"] == {"id": registration_id, "status": "PENDING_EMPLOYER"}
    assert node["session"] == {"id": cast.seats.session_id, "location": "Cap Métiers, Pessac"}
    # The same event left the email, in the same transaction.
    [message] = await outbox.deliver()
    assert message["To"] == cast.employer.email
    assert message["Subject"] == "[ParcoursPro] " + node["message"]
    # Nobody else was told: the person asked, the provider has nothing to do yet.
    assert (await inbox(world, cast.person))["unreadNotificationCount"] == 0
    assert (await inbox(world, cast.trainer))["unreadNotificationCount"] == 0


async def test_each_decision_tells_the_person_and_whoever_acts_next(world: World, clock):
    cast = await Cast().build(world)
    registration_id = await cast.request()
    clock.advance(timedelta(minutes=5))
    assert payload(await world.as_(cast.employer, VALIDATE, {"id": registration_id}))["errors"] == []
    clock.advance(timedelta(minutes=5))
    assert payload(await world.as_(cast.trainer, SELECT, {"id": registration_id}))["errors"] == []

    person = await inbox(world, cast.person)
    # Newest first.
    assert kinds(person) == ["REGISTRATION_UPDATED", "REGISTRATION_UPDATED"]
    messages = [edge["node"]["message"] for edge in person["notifications"]["edges"]]
    assert messages == [
        "Votre inscription à Accueillir les publics : acceptée : votre place est confirmée",
        "Votre inscription à Accueillir les publics : validée par votre employeur",
    ]
    assert kinds(await inbox(world, cast.trainer)) == ["REGISTRATION_TO_SELECT"]


async def test_affiliation_requests_and_decisions_reach_the_inbox(world: World):
    org = await world.structure("CIO de Pessac")
    referent = await world.person(org, Role.REFERENT)
    newcomer = await world.person()
    assert (await world.as_(newcomer, JOIN, {"id": org.id}))["data"]["affiliationRequest"]["errors"] == []

    [edge] = (await inbox(world, referent))["notifications"]["edges"]
    assert edge["node"]["kind"] == "AFFILIATION_TO_CONFIRM"
    # The referent may see who asks: the notification links to him.
    assert edge["node"]["account"] == {"email": newcomer.email}
    assert edge["node"]["structure"] == {"name": "CIO de Pessac"}
    # The acknowledgement of his own request is an email, not a decision: no notification for it.
    assert (await inbox(world, newcomer))["unreadNotificationCount"] == 0

    body = await world.as_(referent, CONFIRM, {"id": newcomer.id})
    assert body["data"]["affiliationConfirm"]["errors"] == []
    assert kinds(await inbox(world, newcomer)) == ["AFFILIATION_DECIDED"]


async def test_mark_one_then_all_read(world: World, clock):
    cast = await Cast().build(world)
    for _ in range(3):
        await world.person(cast.org, Role.EMPLOYER)
    await cast.request()  # four employers, one notification each
    clock.advance(timedelta(minutes=1))
    second = await world.person(cast.org)
    body = await world.as_(second, REQUEST, {"session": cast.seats.session_id, "motivation": MOTIVATION})
    assert payload(body)["errors"] == []

    me = await inbox(world, cast.employer)
    assert me["unreadNotificationCount"] == 2
    newest, oldest = (edge["node"] for edge in me["notifications"]["edges"])

    body = await world.as_(cast.employer, MARK, {"ids": [oldest["id"]]})
    assert body["data"]["notificationsMarkRead"] == {"ok": True, "errors": []}
    me = await inbox(world, cast.employer)
    assert me["unreadNotificationCount"] == 1
    assert [edge["node"]["readAt"] for edge in me["notifications"]["edges"]] == [
        None,
        clock.now().isoformat(),
    ]
    unread = await inbox(world, cast.employer, unread=True)
    assert [edge["node"]["id"] for edge in unread["notifications"]["edges"]] == [newest["id"]]
    assert unread["notifications"]["totalCount"] == 1

    # Empty or absent: all of them.
    body = await world.as_(cast.employer, MARK, {"ids": None})
    assert body["data"]["notificationsMarkRead"] == {"ok": True, "errors": []}
    assert (await inbox(world, cast.employer))["unreadNotificationCount"] == 0
    # The other employers' inboxes are their own.
    colleague = (await inbox(world, second))["unreadNotificationCount"]
    assert colleague == 0  # the requester himself is told nothing


async def test_someone_elses_notification_is_not_found_and_nothing_is_marked(world: World):
    cast = await Cast().build(world)
    await cast.request()
    other_employer = await world.person(cast.org, Role.EMPLOYER)
    await world.as_(
        await world.person(cast.org),
        REQUEST,
        {"session": cast.seats.session_id, "motivation": MOTIVATION},
    )
    mine = (await inbox(world, other_employer))["notifications"]["edges"][0]["node"]["id"]
    theirs = (await inbox(world, cast.employer))["notifications"]["edges"][-1]["node"]["id"]

    body = await world.as_(other_employer, MARK, {"ids": [mine, theirs]})
    assert body["data"]["notificationsMarkRead"] == {
        "ok": False,
        "errors": [{"code": "NOT_FOUND", "message": "Notification introuvable.", "field": "ids"}],
    }
    assert (await inbox(world, other_employer))["unreadNotificationCount"] == 1
    assert (await inbox(world, cast.employer))["unreadNotificationCount"] == 2
    # A malformed id is NOT_FOUND too, never an internal error.
    body = await world.as_(other_employer, MARK, {"ids": ["pas-un-id"]})
    assert body["data"]["notificationsMarkRead"]["errors"][0]["code"] == "NOT_FOUND"
    # node(id): the owner sees it, nobody else (not even a manager).
    assert (await world.as_(cast.employer, NODE, {"id": theirs}))["data"]["node"]["id"] == theirs
    assert (await world.as_(other_employer, NODE, {"id": theirs}))["data"]["node"] is None
    assert (await world.as_(await world.manager(), NODE, {"id": theirs}))["data"]["node"] is None


async def test_pages_newest_first_and_the_statement_count_does_not_grow(world: World, clock, statements):
    cast = await Cast().build(world)
    counts = []
    for size in (2, 30):
        while (await inbox(world, cast.employer))["notifications"]["totalCount"] < size:
            clock.advance(timedelta(seconds=1))
            person = await world.person(cast.org)
            seats = await training_session(world, cast.provider, title=f"Formation {world._next()}")
            body = await world.as_(person, REQUEST, {"session": seats.session_id, "motivation": MOTIVATION})
            assert payload(body)["errors"] == []
        statements.reset()
        me = await inbox(world, cast.employer, first=100)
        counts.append(statements.count)
        edges = me["notifications"]["edges"]
        assert len(edges) == size
        assert all(edge["node"]["registration"] is not None for edge in edges)
        stamps = [edge["node"]["createdAt"] for edge in edges]
        assert stamps == sorted(stamps, reverse=True)
    assert counts[0] == counts[1], counts

    # Cursors walk the same order, page after page.
    first = await inbox(world, cast.employer, first=20)
    rest = await inbox(world, cast.employer, first=20, after=first["notifications"]["pageInfo"]["endCursor"])
    assert first["notifications"]["pageInfo"]["hasNextPage"] is True
    walked = [e["node"]["id"] for e in first["notifications"]["edges"] + rest["notifications"]["edges"]]
    everything = [
        e["node"]["id"] for e in (await inbox(world, cast.employer, first=100))["notifications"]["edges"]
    ]
    assert walked == everything


ERASE = """
mutation($id: ID!) { accountAnonymise(input: {accountId: $id, reason: "Demande de la personne"}) { errors { code } } }
"""


async def test_erasure_removes_the_notifications_that_name_the_person(world: World):
    cast = await Cast().build(world)
    registration_id = await cast.request()
    body = await world.as_(cast.person, CANCEL, {"id": registration_id, "reason": "Plus disponible"})
    assert payload(body)["errors"] == []
    assert kinds(await inbox(world, cast.employer)) == ["REGISTRATION_TO_DECIDE"]

    body = await world.as_(await world.manager(), ERASE, {"id": cast.person.id})
    assert body["data"]["accountAnonymise"]["errors"] == []
    me = await inbox(world, cast.employer)
    assert me["notifications"]["edges"] == []
    assert me["unreadNotificationCount"] == 0
