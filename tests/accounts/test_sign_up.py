"""signUp and verifyEmail (A1-A3)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from accounts_support import PASSWORD, SIGN_UP, VERIFY


def sign_up_input(**overrides: str) -> dict:
    return {
        "input": {
            "email": "camille@example.org",
            "password": PASSWORD,
            "firstName": "Camille",
            "lastName": "Dupont",
        }
        | overrides
    }


async def test_sign_up_creates_an_unverified_beneficiary_and_emails_the_link(gql, outbox, token_from, clock):
    payload = (await gql(SIGN_UP, sign_up_input(email="  Camille@Example.org ")))["data"]["signUp"]
    assert payload["errors"] == []
    assert payload["account"] | {"id": None} == {
        "id": None,
        "email": "Camille@Example.org",
        "firstName": "Camille",
        "lastName": "Dupont",
        "emailVerified": False,
        "affiliationStatus": "NONE",
        "roles": ["BENEFICIARY"],
        "structure": None,
    }
    [message] = await outbox.deliver()
    assert message["To"] == "Camille@Example.org"
    assert message["Subject"] == "Confirmez votre adresse e-mail sur ParcoursPro"
    token = token_from(message, "/verify-email")
    assert (
        message.get_body(("plain",)).get_content().count("https://parcourspro.test/verify-email?token=") == 1
    )

    verified = (await gql(VERIFY, {"token": token}))["data"]["verifyEmail"]
    assert verified == {"account": {"id": payload["account"]["id"], "emailVerified": True}, "errors": []}
    again = (await gql(VERIFY, {"token": token}))["data"]["verifyEmail"]
    assert again["account"] is None
    assert again["errors"] == [
        {
            "code": "INVALID_TOKEN",
            "message": "Ce lien n'est plus valable : demandez-en un nouveau.",
            "field": "token",
        }
    ]


async def test_verification_link_expires_after_48_hours(gql, outbox, token_from, clock):
    await gql(SIGN_UP, sign_up_input())
    [message] = await outbox.deliver()
    clock.advance(timedelta(hours=48, seconds=1))
    body = await gql(VERIFY, {"token": token_from(message, "/verify-email")})
    assert body["data"]["verifyEmail"]["errors"][0]["code"] == "INVALID_TOKEN"


async def test_unknown_token_is_refused(gql):
    body = await gql(VERIFY, {"token": "x" * 43})
    assert body["data"]["verifyEmail"]["errors"][0]["code"] == "INVALID_TOKEN"


async def test_email_is_unique_whatever_its_case(gql, clock):
    assert (await gql(SIGN_UP, sign_up_input()))["data"]["signUp"]["errors"] == []
    again = (await gql(SIGN_UP, sign_up_input(email="CAMILLE@example.ORG")))["data"]["signUp"]
    assert again == {
        "account": None,
        "errors": [
            {
                "code": "EMAIL_ALREADY_USED",
                "message": "Cette adresse e-mail est déjà utilisée.",
                "field": "email",
            }
        ],
    }


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        ("court123", "entre 12 et 128"),
        ("x" * 129, "entre 12 et 128"),
        ("camille@example.org", "votre e-mail"),
        ("azertyuiop123", "trop courant"),
        ("motdepasse2026", "trop courant"),
        ("Password1234", "trop courant"),
    ],
)
async def test_weak_passwords_are_refused(gql, password, fragment, clock):
    payload = (await gql(SIGN_UP, sign_up_input(password=password)))["data"]["signUp"]
    assert payload["account"] is None
    [error] = payload["errors"]
    assert (error["code"], error["field"]) == ("WEAK_PASSWORD", "password")
    assert fragment in error["message"]


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("email", "not-an-email", "INVALID_INPUT"),
        ("firstName", "   ", "INVALID_INPUT"),
        ("lastName", "", "INVALID_INPUT"),
    ],
)
async def test_bad_identity_is_refused(gql, field, value, code, clock):
    payload = (await gql(SIGN_UP, sign_up_input(**{field: value})))["data"]["signUp"]
    assert payload["account"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)]


async def test_refused_sign_up_writes_nothing(gql, outbox, db, clock):
    await gql(SIGN_UP, sign_up_input(password="court"))
    assert await outbox.deliver() == []
