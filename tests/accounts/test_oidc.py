"""An external OpenID Connect provider, started on 127.0.0.1 by the test, whose tokens the API accepts."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace

import httpx
import pytest
import uvicorn
from accounts_support import ME
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from parcourspro_gql.app import create_app
from parcourspro_gql.auth.oidc import OidcVerifier

AUDIENCE = "parcourspro-web"


@dataclass
class Provider:
    port: int
    keys: list = field(default_factory=list)
    jwks_fetches: int = 0
    discovery_issuer: str | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}/realms/cap"

    def app(self) -> Starlette:
        async def discovery(_: Request) -> JSONResponse:
            return JSONResponse(
                {"issuer": self.discovery_issuer or self.issuer, "jwks_uri": f"{self.issuer}/jwks"}
            )

        async def jwks(_: Request) -> JSONResponse:
            self.jwks_fetches += 1
            return JSONResponse({"keys": [key.as_dict(private=False) for key in self.keys]})

        return Starlette(
            routes=[
                Route("/realms/cap/.well-known/openid-configuration", discovery),
                Route("/realms/cap/jwks", jwks),
            ]
        )

    def token(self, key=None, alg: str | None = None, **overrides) -> str:
        key = key or self.keys[0]
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": "idp-123",
            "iat": now,
            "exp": now + 300,
            "email": "camille@example.org",
            "email_verified": True,
        } | overrides
        claims = {name: value for name, value in claims.items() if value is not None}
        alg = alg or ("RS256" if isinstance(key, RSAKey) else "ES256")
        return jwt.encode({"alg": alg, "kid": key.kid}, claims, key)


@pytest.fixture
async def provider(unused_port) -> AsyncIterator[Provider]:
    idp = Provider(
        port=unused_port,
        keys=[RSAKey.generate_key(2048, {"kid": "rsa-1"}), ECKey.generate_key("P-256", {"kid": "ec-1"})],
    )
    server = uvicorn.Server(
        uvicorn.Config(idp.app(), host="127.0.0.1", port=unused_port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    for _ in range(500):  # uvicorn has no "started" event to await
        if server.started:
            break
        await asyncio.sleep(0.01)
    yield idp
    server.should_exit = True
    await task


@pytest.fixture
async def verifier(provider) -> AsyncIterator[OidcVerifier]:
    checker = OidcVerifier(provider.issuer, AUDIENCE)
    yield checker
    await checker.aclose()


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


async def test_valid_rs256_and_es256_tokens_give_the_identity(provider, verifier):
    for key in provider.keys:
        identity = await verifier.verify(provider.token(key))
        assert identity is not None
        assert (identity.subject, identity.email, identity.email_verified) == (
            "idp-123",
            "camille@example.org",
            True,
        )
    assert provider.jwks_fetches == 1


@pytest.mark.parametrize(
    "overrides",
    [
        {"iss": "http://127.0.0.1:1/realms/other"},
        {"aud": "another-client"},
        {"exp": int(time.time()) - 120},
        {"iat": None},
        {"email": None},
        {"nbf": int(time.time()) + 600},
    ],
    ids=["issuer", "audience", "expired", "no-iat", "no-email", "not-yet-valid"],
)
async def test_invalid_claims_are_refused(provider, verifier, overrides):
    assert await verifier.verify(provider.token(**overrides)) is None


async def test_forgeries_are_refused(provider, verifier):
    good = provider.token()
    header, payload, signature = good.split(".")
    assert await verifier.verify(f"{b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.") is None
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert (
        await verifier.verify(f"{header}.{b64(claims | {'email': 'chef@example.org'})}.{signature}") is None
    )
    stranger = RSAKey.generate_key(2048, {"kid": "rsa-1"})  # a known kid, the wrong key
    assert await verifier.verify(provider.token(stranger)) is None
    assert await verifier.verify("not.a.token") is None


async def test_key_rotation_is_picked_up_with_one_refetch_and_floods_do_not_hammer(provider, verifier):
    assert await verifier.verify(provider.token()) is not None
    rotated = RSAKey.generate_key(2048, {"kid": "rsa-2"})
    provider.keys.append(rotated)
    assert await verifier.verify(provider.token(rotated)) is not None
    assert provider.jwks_fetches == 2
    for i in range(20):
        assert (
            await verifier.verify(provider.token(RSAKey.generate_key(2048, {"kid": f"unknown-{i}"}))) is None
        )
    assert provider.jwks_fetches == 2  # within 30 s of the last refetch: no more


async def test_concurrent_first_verifications_fetch_the_keys_once(provider, verifier):
    results = await asyncio.gather(*(verifier.verify(provider.token()) for _ in range(10)))
    assert all(result is not None for result in results)
    assert provider.jwks_fetches == 1


async def test_unreachable_provider_or_foreign_discovery_refuses_quietly(provider):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    closed = OidcVerifier(f"http://127.0.0.1:{closed_port}/realms/cap", AUDIENCE, http_timeout=1)
    assert await closed.verify(provider.token()) is None
    await closed.aclose()
    provider.discovery_issuer = "http://127.0.0.1:1/realms/evil"
    lying = OidcVerifier(provider.issuer, AUDIENCE)
    assert await lying.verify(provider.token()) is None
    await lying.aclose()


async def test_the_api_accepts_provider_tokens_for_verified_accounts(provider, settings, db, people, clock):
    clock.unfreeze()  # the provider signs with the real time
    app = create_app(replace(settings, oidc_issuer=provider.issuer, oidc_audience=AUDIENCE), db=db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:

        async def me(token: str) -> dict | None:
            response = await http.post(
                "/graphql", json={"query": ME}, headers={"Authorization": f"Bearer {token}"}
            )
            return response.json()["data"]["me"]

        await people.sign_up()
        # Not yet verified on our side: a provider login must not take over an unproven sign-up.
        assert await me(provider.token()) is None
        await people.verify_pending()
        assert (await me(provider.token()))["email"] == "camille@example.org"
        assert await me(provider.token(email_verified=False)) is None
        assert await me(provider.token(email="personne@example.org")) is None
