"""Access and refresh tokens: rotation, reuse detection, logout, expiry, forgeries (A4)."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from accounts_support import LOGOUT, ME, REFRESH

RESEND = "mutation { verificationEmailResend { ok errors { code message } } }"


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


async def test_refresh_rotates_and_reuse_revokes_the_family(people, gql, clock):
    await people.verified()
    first = await people.login()
    clock.advance(timedelta(seconds=5))
    second = (await gql(REFRESH, {"token": first["refreshToken"]}))["data"]["refreshToken"]
    assert second["errors"] == []
    assert second["refreshToken"] != first["refreshToken"]
    assert second["accessToken"] != first["accessToken"]
    assert (await gql(ME, token=second["accessToken"]))["data"]["me"]["email"] == "camille@example.org"

    # Past the grace window (tests/accounts/test_refresh_grace.py), a reuse is a theft.
    clock.advance(timedelta(seconds=31))
    reused = (await gql(REFRESH, {"token": first["refreshToken"]}))["data"]["refreshToken"]
    assert reused["errors"] == [
        {"code": "INVALID_TOKEN", "message": "Session expirée : reconnectez-vous.", "field": "refreshToken"}
    ]
    # The thief's reuse burns the whole family, the legitimate latest token included.
    assert (await gql(REFRESH, {"token": second["refreshToken"]}))["data"]["refreshToken"]["errors"][0][
        "code"
    ] == "INVALID_TOKEN"
    # Another login (another family) is not affected.
    assert (await people.login())["errors"] == []


async def test_refresh_family_ends_thirty_days_after_login(people, gql, clock):
    await people.verified()
    token = (await people.login())["refreshToken"]
    for _ in range(3):
        clock.advance(timedelta(days=9))
        token = (await gql(REFRESH, {"token": token}))["data"]["refreshToken"]["refreshToken"]
        assert token
    clock.advance(timedelta(days=3, seconds=1))
    assert (await gql(REFRESH, {"token": token}))["data"]["refreshToken"]["errors"][0][
        "code"
    ] == "INVALID_TOKEN"


async def test_logout_kills_refresh_and_access_tokens(people, gql, clock):
    await people.verified()
    session = await people.login()
    other_device = await people.login()
    assert (await gql(LOGOUT, {"token": session["refreshToken"]}))["data"]["logout"] == {
        "ok": True,
        "errors": [],
    }
    assert (await gql(ME, token=session["accessToken"]))["data"]["me"] is None
    assert (await gql(ME, token=other_device["accessToken"]))["data"]["me"] is None
    for refresh in (session["refreshToken"], other_device["refreshToken"]):
        assert (await gql(REFRESH, {"token": refresh}))["data"]["refreshToken"]["errors"][0][
            "code"
        ] == "INVALID_TOKEN"
    # A login after the logout, even within the same second, works.
    clock.advance(timedelta(milliseconds=2))
    fresh = await people.login()
    assert (await gql(ME, token=fresh["accessToken"]))["data"]["me"] is not None
    assert (await gql(LOGOUT, {"token": "inconnu"}))["data"]["logout"] == {
        "ok": False,
        "errors": [{"code": "INVALID_TOKEN"}],
    }


async def test_access_token_expires_after_fifteen_minutes(people, gql, clock):
    await people.verified()
    token = (await people.login())["accessToken"]
    clock.advance(timedelta(minutes=14))
    assert (await gql(ME, token=token))["data"]["me"] is not None
    clock.advance(timedelta(minutes=1, seconds=6))
    assert (await gql(ME, token=token))["data"]["me"] is None


def tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = str(int(claims["sub"]) + 1)
    return f"{header}.{b64(claims)}.{signature}"


def unsigned(token: str) -> str:
    _, payload, _ = token.split(".")
    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{payload}."


@pytest.mark.parametrize("forge", [tampered, unsigned, lambda t: t[:-4] + "AAAA", lambda t: "garbage"])
async def test_forged_tokens_are_refused(people, gql, clock, forge):
    await people.verified()
    token = (await people.login())["accessToken"]
    assert (await gql(ME, token=forge(token)))["data"]["me"] is None
    body = await gql(RESEND, token=forge(token))
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert body["errors"][0]["message"] == "Authentification requise : connectez-vous."


async def test_resend_verification_needs_a_login_and_sends_a_new_link(people, gql, outbox, token_from, clock):
    anonymous = await gql(RESEND)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    await people.sign_up()
    [first] = await outbox.deliver()
    token = (await people.login())["accessToken"]
    assert (await gql(RESEND, token=token))["data"]["verificationEmailResend"] == {"ok": True, "errors": []}
    [second] = await outbox.deliver()
    old, new = token_from(first, "/verify-email"), token_from(second, "/verify-email")
    verify = "mutation($t: String!) { verifyEmail(input: {token: $t}) { errors { code } } }"
    assert (await gql(verify, {"t": old}))["data"]["verifyEmail"]["errors"] == [{"code": "INVALID_TOKEN"}]
    assert (await gql(verify, {"t": new}))["data"]["verifyEmail"]["errors"] == []
    done = (await gql(RESEND, token=token))["data"]["verificationEmailResend"]
    assert done["errors"][0]["code"] == "INVALID_INPUT"
