"""Signed document links: a URL that opens one document for one viewer, for a few minutes, without a header
(an `<a href>`, a WebView, a share sheet).

The link carries a JWT (HS256, joserfc) with the viewer (`sub`), the document's reference (`doc`), `iat` and
`exp`, signed with a key derived from the secret key. Opening it re-checks everything at that moment: the
account (not disabled, no logout since the link was made) and D5's rules for the document.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import quote

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from parcourspro_gql.clock import clock
from parcourspro_gql.config import Settings

ALGORITHM = "HS256"
AUDIENCE = "parcourspro-gql/documents"


@dataclass(frozen=True)
class LinkClaims:
    account_id: int
    issued_at: float


class DocumentLinks:
    """Makes and checks the signed links of `/documents/{ref}`."""

    def __init__(self, secret_key: str, public_url: str, minutes: int) -> None:
        material = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"parcourspro-gql document links HS256"
        ).derive(secret_key.encode())
        self.key = OctKey.import_key(material)
        self.base = public_url.rstrip("/")
        self.ttl_seconds = minutes * 60
        self._claims = jwt.JWTClaimsRegistry(
            now=lambda: int(clock.now().timestamp()),
            leeway=0,
            aud={"essential": True, "value": AUDIENCE},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
        )

    def url(self, ref_token: str, account_id: int) -> str:
        """The link to the document `ref_token` for `account_id`, valid `ttl_seconds` from now."""
        now = clock.now().timestamp()
        claims = {
            "aud": AUDIENCE,
            "sub": str(account_id),
            "doc": ref_token,
            # Milliseconds kept, as access tokens do: a logout in the same second, but before, must not end it.
            "iat": math.floor(now * 1000) / 1000,
            "exp": int(now) + self.ttl_seconds,
        }
        link = jwt.encode({"alg": ALGORITHM}, claims, self.key, algorithms=[ALGORITHM])
        return f"{self.base}/documents/{ref_token}?link={quote(link)}"

    def check(self, ref_token: str, link: str) -> LinkClaims | None:
        """The viewer of a valid, unexpired link made for this very document; None otherwise."""
        try:
            decoded = jwt.decode(link, self.key, algorithms=[ALGORITHM])
            self._claims.validate(decoded.claims)
            if decoded.claims.get("doc") != ref_token:
                return None
            return LinkClaims(account_id=int(decoded.claims["sub"]), issued_at=float(decoded.claims["iat"]))
        except (JoseError, ValueError, TypeError, KeyError):
            return None


@lru_cache(maxsize=8)
def document_links(settings: Settings) -> DocumentLinks:
    """The links of these settings (one key derivation per process)."""
    return DocumentLinks(settings.secret_key, settings.public_url, settings.document_link_minutes)
