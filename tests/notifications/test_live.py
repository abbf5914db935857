"""Live updates through a real server (N2): subscriptions over graphql-transport-ws, authenticated by
connection_init's payload, fanned out across uvicorn workers (PostgreSQL LISTEN/NOTIFY; one worker on
SQLite), pings while idle, and sockets closed when their token expires or is revoked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from accounts_support import PASSWORD
from live import Socket, live_server, post
from registration_ops import MOTIVATION, REQUEST, SELECT, VALIDATE
from sqlalchemy import update
from world import World, training_session

from parcourspro_gql.auth.passwords import hash_password
from parcourspro_gql.auth.tokens import AccessTokens
from parcourspro_gql.clock import clock as app_clock
from parcourspro_gql.models import Account, Role

NOTIFICATIONS = "subscription { notificationAdded { id kind message registration { id status } } }"
SEATS = "subscription($id: ID!) { sessionSeatsChanged(sessionId: $id) { id seatsLeft } }"
INBOX = "{ me { notifications(first: 50) { edges { node { id } } } } }"
LOGOUT = "mutation($t: String!) { logout(input: {refreshToken: $t}) { ok errors { code } } }"
LOGIN = """
mutation($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { accessToken refreshToken errors { code } }
}
"""
REFRESH = "mutation($t: String!) { refreshToken(input: {refreshToken: $t}) { accessToken errors { code } } }"
DISABLE = """
mutation($id: ID!) { accountDisable(input: {accountId: $id, reason: "Départ de la structure"}) { errors { code } } }
"""


def refusal(message: dict) -> str:
    """The code of a subscription's refusal: an `error` message, or a `next` with errors and no data."""
    if message["type"] == "error":
        return message["payload"][0]["extensions"]["code"]
    assert message["type"] == "next", message
    assert message["payload"]["data"] is None, message
    return message["payload"]["errors"][0]["extensions"]["code"]


@pytest.fixture
def world(db: Any, settings: Any, gql: Any) -> World:
    # The real clock: the server runs on it, and the world's tokens must be valid there.
    return World(db, AccessTokens(settings), gql)


@pytest.fixture
def workers(db: Any) -> int:
    # Several processes only on PostgreSQL: several processes writing one SQLite file is no production setup.
    return 2 if db.dialect == "postgresql" else 1


async def test_every_socket_of_an_employer_receives_each_notification_once(
    world: World, settings, unused_port, workers
):
    provider = await world.structure("Institut de Formation")
    org = await world.structure("Mission Locale")
    employer = await world.person(org, Role.EMPLOYER)
    seats = await training_session(world, provider)
    people = [await world.person(org) for _ in range(3)]
    async with live_server(settings, unused_port, workers) as http:
        sockets = []
        async with (
            Socket.open(http, employer.token) as a,
            Socket.open(http, employer.token) as b,
            Socket.open(http, employer.token) as c,
            Socket.open(http) as anonymous,
        ):
            sockets = [a, b, c]
            for socket in sockets:
                await socket.acknowledged()
                await socket.subscribe(NOTIFICATIONS)
                await socket.settled()
            # A visitor may open a socket, not follow anyone's notifications.
            await anonymous.acknowledged()
            await anonymous.subscribe(NOTIFICATIONS)
            refused = await anonymous.receive()
            assert refusal(refused) == "UNAUTHENTICATED"
            # Three requests from the employer's people, sent to whichever worker takes them.
            for person in people:
                body = await post(
                    http, REQUEST, {"session": seats.session_id, "motivation": MOTIVATION}, person.token
                )
                assert body["data"]["registrationRequest"]["errors"] == [], body
            inbox = await post(http, INBOX, token=employer.token)
            expected = [edge["node"]["id"] for edge in inbox["data"]["me"]["notifications"]["edges"]][::-1]
            assert len(expected) == 3
            for socket in sockets:
                received = [await socket.receive() for _ in expected]
                assert [m["type"] for m in received] == ["next"] * 3
                nodes = [m["payload"]["data"]["notificationAdded"] for m in received]
                assert [node["id"] for node in nodes] == expected
                assert {node["kind"] for node in nodes} == {"REGISTRATION_TO_DECIDE"}
                assert all(node["registration"]["status"] == "PENDING_EMPLOYER" for node in nodes)
            # Exactly once: a fourth event is the very next message of every socket, no duplicate before.
            sentinel = await world.person(org)
            body = await post(
                http, REQUEST, {"session": seats.session_id, "motivation": MOTIVATION}, sentinel.token
            )
            assert body["data"]["registrationRequest"]["errors"] == [], body
            last = [
                (await socket.receive())["payload"]["data"]["notificationAdded"]["id"] for socket in sockets
            ]
            assert len(set(last)) == 1
            assert last[0] not in expected
            # The anonymous socket got its refusal and nothing since: its next message is our pong.
            await anonymous.settled()


async def test_seats_are_pushed_to_anyone_following_a_session_on_selection(
    world: World, settings, unused_port, workers
):
    provider = await world.structure("Institut de Formation")
    trainer = await world.person(provider, Role.PROVIDER)
    org = await world.structure("Mission Locale")
    employer = await world.person(org, Role.EMPLOYER)
    person = await world.person(org)
    seats = await training_session(world, provider, capacity=12)
    async with live_server(settings, unused_port, workers) as http:
        body = await post(
            http, REQUEST, {"session": seats.session_id, "motivation": MOTIVATION}, person.token
        )
        registration_id = body["data"]["registrationRequest"]["registration"]["id"]
        body = await post(http, VALIDATE, {"id": registration_id}, employer.token)
        assert body["data"]["registrationValidate"]["errors"] == []
        async with Socket.open(http) as visitor, Socket.open(http, person.token) as participant:
            for socket in (visitor, participant):
                await socket.acknowledged()
                await socket.subscribe(SEATS, {"id": seats.session_id})
                await socket.settled()
            body = await post(http, SELECT, {"id": registration_id}, trainer.token)
            assert body["data"]["registrationSelect"]["errors"] == []
            for socket in (visitor, participant):
                message = await socket.receive()
                assert message["payload"]["data"]["sessionSeatsChanged"] == {
                    "id": seats.session_id,
                    "seatsLeft": 11,
                }
        # An unknown session is refused as NOT_FOUND, not left open forever.
        async with Socket.open(http) as visitor:
            await visitor.acknowledged()
            await visitor.subscribe(SEATS, {"id": "inconnu"})
            message = await visitor.receive()
            assert refusal(message) == "NOT_FOUND"


async def test_a_socket_is_refused_with_a_bad_token_and_pinged_while_idle(
    world: World, settings, unused_port
):
    someone = await world.person()
    async with live_server(settings, unused_port, 1, PARCOURSPRO_WS_PING_SECONDS="0.2") as http:
        async with Socket.open(http, "pas-un-jeton") as forged:
            assert await forged.closed() == (4403, "Forbidden")
        async with Socket.open(http, someone.token) as idle:
            await idle.acknowledged()
            await idle.subscribe(NOTIFICATIONS)
            # Nothing to push for a second: the server's pings (answered) are all that comes.
            await idle.quiet(1.0)
            assert idle.pings >= 2


async def test_sockets_close_when_their_token_expires_is_revoked_or_the_account_disabled(
    world: World, settings, unused_port, workers
):
    person = await world.person()
    manager = await world.manager()
    async with live_server(settings, unused_port, workers) as http:
        # A token that expires in four seconds of real time (the server runs on the real clock).
        ttl = settings.access_token_ttl_minutes * 60
        app_clock.freeze(datetime.now(UTC) - timedelta(seconds=ttl - 4))
        try:
            short = world.tokens.issue(person.pk)
        finally:
            app_clock.unfreeze()
        async with Socket.open(http, short) as expiring:
            await expiring.acknowledged()
            await expiring.subscribe(NOTIFICATIONS)
            assert await expiring.closed() == (4401, "TOKEN_EXPIRED")

        # Logout ends every session of the account: its sockets on every worker close.
        async with Socket.open(http, person.token) as one, Socket.open(http, person.token) as two:
            for socket in (one, two):
                await socket.acknowledged()
                await socket.settled()
            async with world.db.transaction() as session:
                await session.execute(
                    update(Account)
                    .where(Account.id == person.pk)
                    .values(password_hash=await hash_password(PASSWORD, "test"))
                )
            login = (await post(http, LOGIN, {"email": person.email, "password": PASSWORD}))["data"]["login"]
            body = await post(http, LOGOUT, {"t": login["refreshToken"]}, person.token)
            assert body["data"]["logout"] == {"ok": True, "errors": []}
            assert await one.closed() == (4403, "TOKEN_REVOKED")
            assert await two.closed() == (4403, "TOKEN_REVOKED")

        fresh = world.tokens.issue(person.pk)
        async with Socket.open(http, fresh) as socket:
            await socket.acknowledged()
            await socket.settled()
            body = await post(http, DISABLE, {"id": person.id}, manager.token)
            assert body["data"]["accountDisable"]["errors"] == []
            assert await socket.closed() == (4403, "ACCOUNT_DISABLED")
        # A disabled account cannot open one again.
        async with Socket.open(http, world.tokens.issue(person.pk)) as again:
            assert await again.closed() == (4403, "Forbidden")


async def test_a_socket_closes_when_its_refresh_family_is_revoked_on_a_reuse(
    world: World, settings, unused_port, workers
):
    """X5: a rotated refresh token presented again revokes its family; the sockets opened with that
    family's access tokens close, on every worker, and those of another login of the account stay open."""
    person = await world.person()
    async with world.db.transaction() as session:
        await session.execute(
            update(Account)
            .where(Account.id == person.pk)
            .values(password_hash=await hash_password(PASSWORD, "test"))
        )
    credentials = {"email": person.email, "password": PASSWORD}
    # No grace window for a reuse (two tabs refreshing at once): the server runs on the real clock.
    async with live_server(
        settings, unused_port, workers, PARCOURSPRO_REFRESH_REUSE_GRACE_SECONDS="0"
    ) as http:
        stolen = (await post(http, LOGIN, credentials))["data"]["login"]
        other = (await post(http, LOGIN, credentials))["data"]["login"]
        async with (
            Socket.open(http, stolen["accessToken"]) as revoked,
            Socket.open(http, other["accessToken"]) as kept,
        ):
            for socket in (revoked, kept):
                await socket.acknowledged()
                await socket.settled()
            rotated = await post(http, REFRESH, {"t": stolen["refreshToken"]})
            assert rotated["data"]["refreshToken"]["errors"] == []
            reused = await post(http, REFRESH, {"t": stolen["refreshToken"]})
            assert reused["data"]["refreshToken"]["errors"][0]["code"] == "INVALID_TOKEN"
            assert await revoked.closed() == (4403, "TOKEN_REVOKED")
            await kept.quiet(1.0)
