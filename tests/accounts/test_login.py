"""login with its brute-force protection (A4, A5), and the security log."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from accounts_support import ME, PASSWORD
from argon2 import PasswordHasher
from sqlalchemy import select, update

from parcourspro_gql.logs import JsonFormatter
from parcourspro_gql.models import Account

WRONG = {"code": "INVALID_CREDENTIALS", "message": "E-mail ou mot de passe incorrect.", "field": None}


async def test_login_returns_tokens_and_me_answers_with_them(people, gql, clock):
    account = await people.verified()
    session = await people.login()
    assert session["errors"] == []
    assert session["expiresIn"] == 900
    assert session["account"] == {"id": account["id"], "email": "camille@example.org"}
    assert len(session["refreshToken"]) >= 43
    me = (await gql(ME, token=session["accessToken"]))["data"]["me"]
    assert me == {
        "id": account["id"],
        "email": "camille@example.org",
        "firstName": "Camille",
        "emailVerified": True,
        "roles": ["BENEFICIARY"],
        "affiliationStatus": "NONE",
    }
    assert (await gql(ME))["data"]["me"] is None


async def test_login_is_case_insensitive_on_the_email(people, clock):
    await people.verified()
    assert (await people.login(email="  CAMILLE@example.org"))["errors"] == []


async def test_unverified_account_can_log_in(people, gql, clock):
    await people.sign_up()
    session = await people.login()
    assert session["errors"] == []
    assert (await gql(ME, token=session["accessToken"]))["data"]["me"]["emailVerified"] is False


async def test_wrong_password_and_unknown_email_get_the_same_answer(people, clock):
    await people.verified()
    wrong_password = await people.login(password="pas le bon mot de passe")
    unknown = await people.login(email="personne@example.org")
    expected = {
        "accessToken": None,
        "refreshToken": None,
        "expiresIn": None,
        "account": None,
        "errors": [WRONG],
    }
    assert wrong_password == unknown == expected


async def test_lockout_after_five_failures_even_with_the_right_password_then_release(people, clock):
    await people.verified()
    for _ in range(5):
        assert (await people.login(password="mauvais mot de passe"))["errors"] == [WRONG]
    locked = await people.login()
    assert locked["accessToken"] is None
    assert locked["errors"] == [
        {
            "code": "TOO_MANY_ATTEMPTS",
            "message": "Trop de tentatives : réessayez dans 15 minutes.",
            "field": None,
        }
    ]
    clock.advance(timedelta(minutes=15, seconds=1))
    assert (await people.login())["errors"] == []


async def test_aliased_logins_in_one_document_each_count(people, gql, clock):
    await people.verified()
    aliases = " ".join(
        f'a{i}: login(input: {{email: "camille@example.org", password: "faux mot de passe {i}"}}) '
        "{ errors { code } }"
        for i in range(6)
    )
    body = await gql(f"mutation {{ {aliases} }}")
    codes = sorted(body["data"][f"a{i}"]["errors"][0]["code"] for i in range(6))
    assert codes == ["INVALID_CREDENTIALS"] * 5 + ["TOO_MANY_ATTEMPTS"]
    assert (await people.login())["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"


async def test_fifty_failures_from_one_address_lock_it_for_every_email(people, clock, settings):
    await people.verified()
    for i in range(settings.login_max_failures_per_address):
        await people.login(email=f"inconnu{i}@example.org")
    assert (await people.login())["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"


async def test_hash_with_old_parameters_is_upgraded_at_login(people, db, clock):
    account = await people.verified()
    old = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    async with db.transaction() as session:
        await session.execute(update(Account).values(password_hash=old))
    assert (await people.login())["errors"] == []
    async with db.read() as session:
        upgraded = await session.scalar(select(Account.password_hash))
    assert upgraded != old
    assert upgraded.startswith("$argon2id$v=19$m=8,t=1,p=1$")  # the test profile's parameters
    assert account["id"]


async def test_security_log_records_attempts_without_secrets(people, caplog, clock):
    caplog.set_level(logging.INFO, logger="parcourspro_gql.security")
    await people.verified()
    await people.login(password="mauvais mot de passe")
    await people.login()
    lines = [
        json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "parcourspro_gql.security"
    ]
    events = [(line["event"], line["client_address"]) for line in lines]
    assert ("login.failure", "127.0.0.1") in events
    assert ("login.success", "127.0.0.1") in events
    assert all(line["request_id"] for line in lines if line["event"].startswith("login"))
    assert all(line["account_id"] for line in lines if line["event"].startswith("login"))
    text = json.dumps(lines)
    assert PASSWORD not in text
    assert "mauvais mot de passe" not in text
