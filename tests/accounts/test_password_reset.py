"""passwordResetRequest and passwordReset (A6)."""

from __future__ import annotations

from datetime import timedelta

from accounts_support import ME, PASSWORD, REFRESH

REQUEST = "mutation($e: String!) { passwordResetRequest(input: {email: $e}) { ok errors { code } } }"
RESET = """
mutation($t: String!, $p: String!) {
  passwordReset(input: {token: $t, newPassword: $p}) { ok errors { code message field } }
}
"""
NEW_PASSWORD = "un tout nouveau mot de passe"


async def test_known_and_unknown_emails_get_the_same_answer(people, gql, outbox, clock):
    await people.verified()
    known = await gql(REQUEST, {"e": "CAMILLE@example.org"})
    unknown = await gql(REQUEST, {"e": "personne@example.org"})
    assert known == unknown  # the same answer, cost included
    assert known["data"] == {"passwordResetRequest": {"ok": True, "errors": []}}
    [message] = await outbox.deliver()
    assert message["To"] == "camille@example.org"
    assert message["Subject"] == "Réinitialisation de votre mot de passe ParcoursPro"


async def test_reset_changes_the_password_kills_sessions_and_tells_the_person(
    people, gql, outbox, token_from, clock
):
    await people.verified()
    session = await people.login()
    await gql(REQUEST, {"e": "camille@example.org"})
    [message] = await outbox.deliver()
    token = token_from(message, "/reset-password")

    assert (await gql(RESET, {"t": token, "p": NEW_PASSWORD}))["data"]["passwordReset"] == {
        "ok": True,
        "errors": [],
    }
    [notice] = await outbox.deliver()
    assert notice["Subject"] == "Votre mot de passe ParcoursPro a été modifié"
    assert (await gql(ME, token=session["accessToken"]))["data"]["me"] is None
    assert (await gql(REFRESH, {"token": session["refreshToken"]}))["data"]["refreshToken"]["errors"][0][
        "code"
    ] == "INVALID_TOKEN"
    assert (await people.login(password=PASSWORD))["errors"][0]["code"] == "INVALID_CREDENTIALS"
    assert (await people.login(password=NEW_PASSWORD))["errors"] == []
    again = (await gql(RESET, {"t": token, "p": "encore un autre mot de passe"}))["data"]["passwordReset"]
    assert again["errors"][0]["code"] == "INVALID_TOKEN"


async def test_reset_link_expires_after_one_hour(people, gql, outbox, token_from, clock):
    await people.verified()
    await gql(REQUEST, {"e": "camille@example.org"})
    [message] = await outbox.deliver()
    clock.advance(timedelta(hours=1, seconds=1))
    body = await gql(RESET, {"t": token_from(message, "/reset-password"), "p": NEW_PASSWORD})
    assert body["data"]["passwordReset"]["errors"][0]["code"] == "INVALID_TOKEN"


async def test_weak_new_password_is_refused_and_the_link_stays_usable(people, gql, outbox, token_from, clock):
    await people.verified()
    await gql(REQUEST, {"e": "camille@example.org"})
    [message] = await outbox.deliver()
    token = token_from(message, "/reset-password")
    weak = (await gql(RESET, {"t": token, "p": "court"}))["data"]["passwordReset"]
    assert weak["ok"] is False
    assert [(e["code"], e["field"]) for e in weak["errors"]] == [("WEAK_PASSWORD", "newPassword")]
    assert (await gql(RESET, {"t": token, "p": NEW_PASSWORD}))["data"]["passwordReset"]["ok"] is True
