"""accountDisable / accountEnable (V4), ACCOUNT_DISABLED at login, and TOKEN_EXPIRED for an expired token."""

from __future__ import annotations

from datetime import timedelta

from accounts_support import ME, REFRESH
from sqlalchemy import select

from parcourspro_gql.auth.tokens import AccessTokens
from parcourspro_gql.models import AuditEntry

DISABLE = """
mutation($id: ID!, $reason: String!) {
  accountDisable(input: {accountId: $id, reason: $reason}) {
    account { email disabledAt } errors { code message field }
  }
}
"""
ENABLE = """
mutation($id: ID!) { accountEnable(input: {accountId: $id}) { account { disabledAt } errors { code field } } }
"""
HISTORY = "{ myDataExport }"
REASON = "Départ de la structure signalé par son employeur."


async def manager_token(people, settings, db) -> str:
    from world import World

    world = World(db, AccessTokens(settings), people.gql)
    return (await world.manager()).token


async def test_a_disabled_account_loses_every_session_and_cannot_log_in(people, gql, clock, settings, db):
    account = await people.verified()
    session = await people.login()
    manager = await manager_token(people, settings, db)
    clock.advance(timedelta(seconds=1))

    body = await gql(DISABLE, {"id": account["id"], "reason": REASON}, token=manager)
    assert body["data"]["accountDisable"] == {
        "account": {"email": "camille@example.org", "disabledAt": clock.now().isoformat()},
        "errors": [],
    }
    # Every token ends at once: the access token (mutations and queries), the refresh token.
    assert (await gql(HISTORY, token=session["accessToken"]))["errors"][0]["extensions"]["code"] == (
        "UNAUTHENTICATED"
    )
    refreshed = (await gql(REFRESH, {"token": session["refreshToken"]}))["data"]["refreshToken"]
    assert refreshed["errors"][0]["code"] == "INVALID_TOKEN"
    # The right password is told why; a wrong one learns nothing about the account's state.
    assert (await people.login())["errors"] == [
        {
            "code": "ACCOUNT_DISABLED",
            "message": "Ce compte a été désactivé par Cap Métiers : contactez votre gestionnaire.",
            "field": None,
        }
    ]
    assert (await people.login(password="pas le bon mot de passe"))["errors"][0]["code"] == (
        "INVALID_CREDENTIALS"
    )
    async with db.read() as read:
        entry = await read.scalar(select(AuditEntry).where(AuditEntry.action == "account.disable"))
    assert entry is not None
    assert (entry.reason, entry.actor_role, entry.to_state) == (REASON, "MANAGER", "DISABLED")

    # Enabled again: a new login works; the tokens of before stay revoked.
    body = await gql(ENABLE, {"id": account["id"]}, token=manager)
    assert body["data"]["accountEnable"] == {"account": {"disabledAt": None}, "errors": []}
    clock.advance(timedelta(seconds=1))
    again = await people.login()
    assert again["errors"] == []
    assert (await gql(ME, token=again["accessToken"]))["data"]["me"]["email"] == "camille@example.org"
    assert "errors" in await gql(HISTORY, token=session["accessToken"])


async def test_only_managers_disable_with_a_reason_and_never_twice(people, gql, clock, settings, db):
    account = await people.verified()
    session = await people.login()
    manager = await manager_token(people, settings, db)
    body = await gql(DISABLE, {"id": account["id"], "reason": REASON}, token=session["accessToken"])
    assert body["data"]["accountDisable"]["errors"][0]["code"] == "FORBIDDEN"
    body = await gql(DISABLE, {"id": account["id"], "reason": " "}, token=manager)
    assert body["data"]["accountDisable"]["errors"][0] | {"message": ""} == {
        "code": "INVALID_INPUT",
        "message": "",
        "field": "reason",
    }
    body = await gql(DISABLE, {"id": "pas-un-id", "reason": REASON}, token=manager)
    assert body["data"]["accountDisable"]["errors"][0]["code"] == "NOT_FOUND"
    assert (await gql(DISABLE, {"id": account["id"], "reason": REASON}, token=manager))["data"][
        "accountDisable"
    ]["errors"] == []
    body = await gql(DISABLE, {"id": account["id"], "reason": REASON}, token=manager)
    assert body["data"]["accountDisable"]["errors"][0]["code"] == "INVALID_TRANSITION"
    # Nothing was half-written by the refusals: one audit entry, for the one decision.
    async with db.read() as read:
        entries = (await read.scalars(select(AuditEntry).where(AuditEntry.action == "account.disable"))).all()
    assert len(entries) == 1


async def test_an_expired_access_token_is_told_apart_from_no_token(people, gql, clock, settings):
    await people.verified()
    session = await people.login()
    clock.advance(timedelta(minutes=settings.access_token_ttl_minutes, seconds=10))
    # `me` is not a quiet null: the client learns that it must refresh.
    body = await gql(ME, token=session["accessToken"])
    assert body["data"]["me"] is None
    assert body["errors"][0]["extensions"]["code"] == "TOKEN_EXPIRED"
    assert body["errors"][0]["path"] == ["me"]
    assert (await gql(HISTORY, token=session["accessToken"]))["errors"][0]["extensions"]["code"] == (
        "TOKEN_EXPIRED"
    )
    # Without a token, `me` is null and nothing else; a token that is not ours (forged) is no "expired" one.
    for token in (None, session["accessToken"][:-6] + "AAAAAA"):
        body = await gql(ME, token=token)
        assert body["data"]["me"] is None
        assert "errors" not in body
    # A refresh gives a working token again.
    refreshed = (await gql(REFRESH, {"token": session["refreshToken"]}))["data"]["refreshToken"]
    assert (await gql(ME, token=refreshed["accessToken"]))["data"]["me"]["email"] == "camille@example.org"
