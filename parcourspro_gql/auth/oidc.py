"""Bearer tokens of an external OpenID Connect provider, verified against its published keys.

Optional (`PARCOURSPRO_OIDC_ISSUER` + `PARCOURSPRO_OIDC_AUDIENCE`). The provider's discovery document and
JWKS are fetched with authlib's HTTP client, lazily and once for concurrent callers; keys are cached by
`kid`, and an unknown `kid` triggers one refetch (key rotation), at most every 30 seconds. Mapping the
identity to an account is the caller's business (auth/authenticate.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import authlib.deprecate  # noqa: F401  (installs authlib's own "always" filter first)
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

with warnings.catch_warnings():
    # authlib 1.9 prefers the httpx2 fork and warns when it falls back on httpx, which it still supports and
    # which the rest of the project uses.
    warnings.filterwarnings("ignore", message="The httpx module is deprecated")
    from authlib.integrations.httpx_client import AsyncOAuth2Client

log = logging.getLogger("parcourspro_gql.auth.oidc")

REFETCH_INTERVAL = 30.0
LEEWAY = 30


@dataclass(frozen=True)
class OidcIdentity:
    subject: str
    email: str
    email_verified: bool
    claims: dict[str, Any]


class OidcVerifier:
    """Verifies the provider's JWTs: signature (allowed algorithms only), iss, aud, exp, nbf, iat, email."""

    def __init__(
        self,
        issuer: str,
        audience: str,
        *,
        http_timeout: float = 5.0,
        jwks_ttl_seconds: float = 3600,
        clock: Callable[[], float] = time.time,
        algorithms: tuple[str, ...] = ("RS256", "ES256", "EdDSA", "PS256"),
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.audience = audience
        self.jwks_ttl = jwks_ttl_seconds
        self.clock = clock
        self.algorithms = [alg for alg in algorithms if alg.lower() != "none"]
        self._http = AsyncOAuth2Client(timeout=http_timeout)
        self._lock = asyncio.Lock()
        self._jwks_uri: str | None = None
        self._keys: KeySet | None = None
        self._fetched_at = 0.0
        self._last_refetch = -REFETCH_INTERVAL
        self._misconfigured = False
        self._claims = jwt.JWTClaimsRegistry(
            now=lambda: int(self.clock()),
            leeway=LEEWAY,
            iss={"essential": True, "value": issuer},
            aud={"essential": True, "value": audience},
            exp={"essential": True},
            iat={"essential": True},
            email={"essential": True},
        )

    async def _fetch(self) -> None:
        if self._jwks_uri is None:
            response = await self._http.request(
                "GET", f"{self.issuer}/.well-known/openid-configuration", withhold_token=True
            )
            response.raise_for_status()
            document = response.json()
            if document.get("issuer", "").rstrip("/") != self.issuer:
                self._misconfigured = True
                log.error("OIDC discovery names another issuer", extra={"issuer": document.get("issuer")})
                return
            self._jwks_uri = str(document["jwks_uri"])
        response = await self._http.request("GET", self._jwks_uri, withhold_token=True)
        response.raise_for_status()
        self._keys = KeySet.import_key_set(response.json())
        self._fetched_at = self.clock()

    async def _key_set(self, kid: str | None) -> KeySet | None:
        """The cached keys; fetched when absent or stale, refetched once for an unknown kid (rate-limited)."""
        async with self._lock:
            now = self.clock()
            stale = self._keys is None or now - self._fetched_at > self.jwks_ttl
            unknown = self._keys is not None and kid is not None and not _has_kid(self._keys, kid)
            if stale or (unknown and now - self._last_refetch >= REFETCH_INTERVAL):
                if unknown:
                    self._last_refetch = now
                try:
                    await self._fetch()
                except Exception as error:
                    log.warning("OIDC provider unreachable: %r", error)
            return None if self._misconfigured else self._keys

    async def verify(self, token: str) -> OidcIdentity | None:
        """The identity in a valid token of the provider, or None for anything else. Never raises."""
        try:
            header = jws.extract_compact(token.encode()).protected
        except (JoseError, ValueError, TypeError):
            return None
        if header.get("alg") not in self.algorithms:
            return None
        keys = await self._key_set(header.get("kid"))
        if keys is None:
            return None
        try:
            decoded = jwt.decode(token, keys, algorithms=self.algorithms)
            self._claims.validate(decoded.claims)
            nbf = decoded.claims.get("nbf")
            if nbf is not None and float(nbf) > self.clock() + LEEWAY:
                return None
            claims = dict(decoded.claims)
            return OidcIdentity(
                subject=str(claims.get("sub", "")),
                email=str(claims["email"]),
                email_verified=claims.get("email_verified") is True,
                claims=claims,
            )
        except (JoseError, ValueError, TypeError, KeyError):
            return None

    async def aclose(self) -> None:
        await self._http.aclose()


def _has_kid(keys: KeySet, kid: str) -> bool:
    return any(key.kid == kid for key in keys.keys)
