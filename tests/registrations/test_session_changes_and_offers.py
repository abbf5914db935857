"""T3, T4 with the waiting list (G7'): seats added by a capacity raise are offered down the line, and a
session's cancellation reaches the people waiting and their employers too."""

from __future__ import annotations

from registration_ops import code
from test_seat_offers import Line, fresh
from world import World

UPDATE = """
mutation($input: TrainingSessionUpdateInput!) {
  trainingSessionUpdate(input: $input) { session { capacity seatsLeft waitlistCount } errors { code field } }
}
"""
CANCEL_SESSION = """
mutation($id: ID!) {
  trainingSessionCancel(input: {sessionId: $id, reason: "Salle indisponible"}) { errors { code } }
}
"""


async def test_a_capacity_raised_offers_the_new_seats_down_the_line(world: World):
    line = await Line(world).build(waiting=3)
    (_, first_id), (_, second_id), (_, third_id) = line.waiting
    value = {"sessionId": line.seats.session_id, "capacity": 3, "reason": "Une salle plus grande"}
    body = await world.as_(fresh(world, line.trainer), UPDATE, {"input": value})
    assert body["data"]["trainingSessionUpdate"]["errors"] == []
    # Two seats added, two offers held: the seats count as taken and the two left the waiting list.
    assert body["data"]["trainingSessionUpdate"]["session"] == {
        "capacity": 3,
        "seatsLeft": 0,
        "waitlistCount": 1,
    }
    first, second, third = [await line.state(pk) for pk in (first_id, second_id, third_id)]
    assert first["seatOffer"] is not None
    assert second["seatOffer"] is not None
    assert third["seatOffer"] is None
    assert third["waitlistPosition"] == 1


async def test_a_cancelled_session_reaches_the_people_waiting_and_their_employers(world: World, outbox):
    line = await Line(world).build(waiting=1)
    waiting, waiting_id = line.waiting[0]
    await outbox.deliver()
    assert (
        code(await world.as_(fresh(world, line.trainer), CANCEL_SESSION, {"id": line.seats.session_id}))
        == "ok"
    )
    told = {message["To"] for message in await outbox.deliver() if "Session annulée" in message["Subject"]}
    assert waiting.email in told
    assert line.accepted[0][0].email in told
    assert len(told) == 4  # the two people and their two employers
    assert (await line.state(waiting_id))["status"] == "CANCELLED"
