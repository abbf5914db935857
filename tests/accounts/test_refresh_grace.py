"""The refresh grace window: a just-rotated refresh token presented again (two tabs refreshing at the same
moment) answers the same new pair instead of revoking the session; after the window, a reuse revokes the
family as before (A4, PARCOURSPRO_REFRESH_REUSE_GRACE_SECONDS)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from accounts_support import LOGOUT, ME, REFRESH


async def refresh(gql, token: str) -> dict:
    return (await gql(REFRESH, {"token": token}))["data"]["refreshToken"]


async def test_a_second_refresh_within_the_window_answers_the_same_pair(people, gql, clock):
    await people.verified()
    session = await people.login()
    clock.advance(timedelta(minutes=14))
    first = await refresh(gql, session["refreshToken"])
    clock.advance(timedelta(seconds=30))
    second = await refresh(gql, session["refreshToken"])
    assert second["errors"] == []
    assert (second["accessToken"], second["refreshToken"]) == (first["accessToken"], first["refreshToken"])
    # expiresIn says what is left of that access token.
    assert (first["expiresIn"], second["expiresIn"]) == (900, 870)
    assert (await gql(ME, token=second["accessToken"]))["data"]["me"]["email"] == "camille@example.org"
    # The session lives on: the new refresh token rotates normally.
    third = await refresh(gql, second["refreshToken"])
    assert third["errors"] == []
    assert third["refreshToken"] != second["refreshToken"]


async def test_two_tabs_refreshing_at_once_both_get_the_same_pair(people, gql, clock):
    await people.verified()
    token = (await people.login())["refreshToken"]
    answers = await asyncio.gather(refresh(gql, token), refresh(gql, token))
    assert [answer["errors"] for answer in answers] == [[], []]
    assert answers[0]["refreshToken"] == answers[1]["refreshToken"]
    assert answers[0]["accessToken"] == answers[1]["accessToken"]
    assert (await refresh(gql, answers[0]["refreshToken"]))["errors"] == []


async def test_a_reuse_after_the_window_revokes_the_family(people, gql, clock):
    await people.verified()
    token = (await people.login())["refreshToken"]
    rotated = await refresh(gql, token)
    clock.advance(timedelta(seconds=31))
    reused = await refresh(gql, token)
    assert reused["errors"] == [
        {"code": "INVALID_TOKEN", "message": "Session expirée : reconnectez-vous.", "field": "refreshToken"}
    ]
    assert (await refresh(gql, rotated["refreshToken"]))["errors"][0]["code"] == "INVALID_TOKEN"


async def test_the_window_does_not_outlive_a_logout(people, gql, clock):
    await people.verified()
    token = (await people.login())["refreshToken"]
    rotated = await refresh(gql, token)
    assert (await gql(LOGOUT, {"token": rotated["refreshToken"]}))["data"]["logout"]["errors"] == []
    assert (await refresh(gql, token))["errors"][0]["code"] == "INVALID_TOKEN"


async def test_the_pair_is_kept_sealed_under_the_rotated_token(people, gql, clock, db):
    """The database holds the pair only encrypted under the token it answers to: a copy of the table does
    not hand out sessions."""
    from sqlalchemy import select

    from parcourspro_gql.models import RefreshToken

    await people.verified()
    token = (await people.login())["refreshToken"]
    rotated = await refresh(gql, token)
    async with db.read() as session:
        sealed = await session.scalar(
            select(RefreshToken.successor_sealed).where(RefreshToken.rotated_at.is_not(None))
        )
    assert sealed
    assert rotated["refreshToken"] not in sealed
    assert rotated["accessToken"] not in sealed
