"""X4: lockout cannot be used as a weapon, forwarded addresses are believed only from configured proxies,
and what anyone may trigger (e-mails to one address, sign-ups from one address) is rate limited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from accounts_support import LOGIN, PASSWORD, People

WRONG = "pas le bon mot de passe"
PROXY = "10.0.0.2"


@pytest.fixture
def people(gql, outbox, token_from) -> People:
    return People(gql, outbox, token_from)


def login_code(body: dict) -> str | None:
    errors = body["data"]["login"]["errors"]
    return errors[0]["code"] if errors else None


async def login_from(client, address: str | None, password: str = PASSWORD) -> str | None:
    headers = {"X-Forwarded-For": address} if address else {}
    response = await client.post(
        "/graphql",
        json={"query": LOGIN, "variables": {"email": "camille@example.org", "password": password}},
        headers=headers,
    )
    return login_code(response.json())


async def test_attempts_while_locked_do_not_keep_the_account_locked(people, clock, attack):
    await people.verified()
    for _ in range(5):
        await people.login(password=WRONG)
    clock.advance(timedelta(minutes=10))
    # An attacker keeps trying, with the right password too: refused, and not counted.
    for _ in range(10):
        measured = await attack.post(
            {"query": LOGIN, "variables": {"email": "camille@example.org", "password": WRONG}}
        )
        assert login_code(measured.json()) == "TOO_MANY_ATTEMPTS"
    assert (await people.login())["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"
    clock.advance(timedelta(minutes=5, seconds=1))  # 15 minutes after the five failures
    assert (await people.login())["errors"] == []


async def test_failures_from_one_address_lock_the_account_for_that_address_only(
    people, clock, client_of, settings
):
    await people.verified()
    behind_proxy = client_of(peer=PROXY, trusted_proxies=PROXY)
    for _ in range(settings.login_max_failures_per_account_address):
        assert await login_from(behind_proxy, "203.0.113.7", WRONG) == "INVALID_CREDENTIALS"
    assert await login_from(behind_proxy, "203.0.113.7") == "TOO_MANY_ATTEMPTS"
    # The owner, elsewhere, still logs in.
    assert await login_from(behind_proxy, "198.51.100.20") is None


async def test_failures_from_many_addresses_reach_the_account_wide_threshold(
    people, clock, client_of, settings
):
    await people.verified()
    behind_proxy = client_of(peer=PROXY, trusted_proxies=PROXY)
    for i in range(settings.login_max_failures_per_account):
        assert await login_from(behind_proxy, f"203.0.113.{i}", WRONG) == "INVALID_CREDENTIALS"
    assert await login_from(behind_proxy, "198.51.100.20") == "TOO_MANY_ATTEMPTS"


async def test_a_password_reset_unlocks_the_account(people, gql, outbox, token_from, clock):
    await people.verified()
    for _ in range(5):
        await people.login(password=WRONG)
    assert (await people.login())["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"
    await gql('mutation { passwordResetRequest(input: {email: "camille@example.org"}) { ok } }')
    [message] = [m for m in await outbox.deliver() if m["To"] == "camille@example.org"]
    reset = await gql(
        "mutation($t: String!, $p: String!) { passwordReset(input: {token: $t, newPassword: $p}) "
        "{ errors { code } } }",
        {"t": token_from(message, "/reset-password"), "p": "une toute nouvelle phrase"},
    )
    assert reset["data"]["passwordReset"]["errors"] == []
    assert (await people.login(password="une toute nouvelle phrase"))["errors"] == []


async def test_forwarded_addresses_are_ignored_unless_the_peer_is_a_trusted_proxy(
    people, clock, client, client_of
):
    await people.verified()
    # Default (no trusted proxy): X-Forwarded-For cannot spread failures over made-up addresses.
    for i in range(5):
        assert await login_from(client, f"203.0.113.{i}", WRONG) == "INVALID_CREDENTIALS"
    assert await login_from(client, "198.51.100.20") == "TOO_MANY_ATTEMPTS"
    # A peer that is not in the list is not believed either.
    elsewhere = client_of(peer="192.0.2.50", trusted_proxies=PROXY)
    for i in range(5):
        assert await login_from(elsewhere, f"203.0.113.{i}", WRONG) == "INVALID_CREDENTIALS"
    assert await login_from(elsewhere, "198.51.100.20") == "TOO_MANY_ATTEMPTS"


async def test_password_reset_requests_flooding_one_address_send_a_few_emails(
    people, gql, outbox, clock, attack, settings
):
    await people.verified()
    await outbox.deliver()
    aliases = " ".join(
        f'r{i}: passwordResetRequest(input: {{email: "camille@example.org"}}) {{ ok }}' for i in range(15)
    )
    for _ in range(3):
        measured = await attack.post({"query": f"mutation {{ {aliases} }}"})
        # The same answer every time (A6), whether an e-mail left or not.
        assert all(answer == {"ok": True} for answer in measured.json()["data"].values())
    delivered = [m for m in await outbox.deliver() if m["To"] == "camille@example.org"]
    assert len(delivered) == settings.mail_max_per_recipient == 5
    clock.advance(timedelta(minutes=settings.mail_rate_window_minutes, seconds=1))
    await gql('mutation { passwordResetRequest(input: {email: "camille@example.org"}) { ok } }')
    assert len(await outbox.deliver()) == 1


async def test_sign_ups_from_one_address_are_limited(client_of, clock):
    limited = client_of(signup_max_per_address=3)
    mutation = (
        'mutation($e: String!) { signUp(input: {email: $e, password: "une phrase de passe solide", '
        'firstName: "A", lastName: "B"}) { account { id } errors { code message } } }'
    )

    async def sign_up(i: int) -> dict:
        response = await limited.post(
            "/graphql", json={"query": mutation, "variables": {"e": f"p{i}@example.org"}}
        )
        return response.json()["data"]["signUp"]

    for i in range(3):
        assert (await sign_up(i))["errors"] == []
    refused = await sign_up(3)
    assert refused["account"] is None
    assert refused["errors"] == [
        {
            "code": "TOO_MANY_ATTEMPTS",
            "message": "Trop d'inscriptions depuis votre adresse : réessayez dans 60 minutes.",
        }
    ]
    clock.advance(timedelta(minutes=61))
    assert (await sign_up(4))["errors"] == []
