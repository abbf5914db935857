"""Access tokens (ES256 JWT signed with joserfc) and opaque secrets (refresh and link tokens) (A3, A4)."""

from __future__ import annotations

import base64
import hashlib
import math
import os
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwk import ECKey

from parcourspro_gql.clock import clock
from parcourspro_gql.config import Settings

ALGORITHM = "ES256"
AUDIENCE = "parcourspro-gql"
# SECP256R1 group order: a derived private scalar must be in [1, n-1].
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def new_secret() -> str:
    """An opaque token of 256 bits, URL-safe."""
    return secrets.token_urlsafe(32)


def hash_secret(token: str) -> str:
    """What the database stores of an opaque token: its SHA-256 (the token itself has 256 bits of entropy)."""
    return hashlib.sha256(token.encode()).hexdigest()


def _sealing_key(secret: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"parcourspro-gql sealed by token"
    ).derive(secret.encode())


def seal(secret: str, payload: bytes) -> str:
    """`payload` encrypted (AES-256-GCM) under a key derived from `secret`, an opaque token of 256 bits: only
    whoever presents that token again can read it, and the database alone cannot."""
    nonce = os.urandom(12)
    return base64.urlsafe_b64encode(
        nonce + AESGCM(_sealing_key(secret)).encrypt(nonce, payload, None)
    ).decode()


def unseal(secret: str, sealed: str) -> bytes | None:
    """What `seal(secret, ...)` sealed, or None (another secret, or tampered)."""
    try:
        raw = base64.urlsafe_b64decode(sealed.encode())
        return AESGCM(_sealing_key(secret)).decrypt(raw[:12], raw[12:], None)
    except (InvalidTag, ValueError):
        return None


def _derived_key(secret_key: str) -> ec.EllipticCurvePrivateKey:
    material = HKDF(
        algorithm=hashes.SHA256(), length=48, salt=None, info=b"parcourspro-gql access token ES256"
    )
    scalar = int.from_bytes(material.derive(secret_key.encode()), "big") % (_P256_ORDER - 1) + 1
    return ec.derive_private_key(scalar, ec.SECP256R1())


def _dev_key_pem(var_dir: Path) -> bytes:
    path = var_dir / "jwt_es256.pem"
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    try:
        # "x" mode: when several workers start together, exactly one writes the key.
        with open(path, "xb", opener=lambda name, flags: os.open(name, flags, 0o600)) as handle:
            handle.write(pem)
    except FileExistsError:
        pass
    return path.read_bytes()


def load_signing_key(settings: Settings) -> ECKey:
    """The configured key; else a key generated into var/ (development) or derived from the secret key."""
    if settings.jwt_private_key:
        pem = settings.jwt_private_key.encode()
    elif settings.is_production:
        pem = _derived_key(settings.secret_key).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    else:
        pem = _dev_key_pem(settings.var_dir)
    key = ECKey.import_key(pem)
    return ECKey.import_key(pem, {"kid": key.thumbprint(), "use": "sig", "alg": ALGORITHM})


@dataclass(frozen=True)
class AccessClaims:
    account_id: int
    issued_at: float
    token_id: str
    expires_at: float = math.inf
    # The refresh-token family of the login the token comes from (claim `fam`): when the family is revoked
    # (reuse detected, logout), the token stops too (X5). None for tokens issued outside a login.
    family_id: str | None = None


@dataclass(frozen=True)
class TokenCheck:
    """What a bearer token is: valid (its claims), expired (signed by us, but too old), or neither."""

    claims: AccessClaims | None
    expired: bool = False


class AccessTokens:
    """Issues and checks the API's own access tokens: claims iss, aud, sub, exp, iat, jti, fam."""

    def __init__(self, settings: Settings) -> None:
        self.key = load_signing_key(settings)
        self.issuer = settings.public_url
        self.ttl_seconds = settings.access_token_ttl_minutes * 60
        self._claims = jwt.JWTClaimsRegistry(
            now=lambda: int(clock.now().timestamp()),
            leeway=5,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": AUDIENCE},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
            jti={"essential": True},
        )

    def issue(self, account_id: int, family_id: str | None = None) -> str:
        now = clock.now().timestamp()
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": str(account_id),
            # iat keeps its milliseconds, rounded down (a NumericDate may be fractional, RFC 7519 §2): a token
            # issued in the same second as a logout, but after it, must stay valid.
            "iat": math.floor(now * 1000) / 1000,
            "exp": int(now) + self.ttl_seconds,
            "jti": uuid.uuid4().hex,
        }
        if family_id is not None:
            claims["fam"] = family_id
        return jwt.encode({"alg": ALGORITHM, "kid": self.key.kid}, claims, self.key, algorithms=[ALGORITHM])

    def check(self, token: str) -> AccessClaims | None:
        """The claims of a valid token of ours, or None (bad signature, `alg: none`, expired, wrong audience...)."""
        return self.inspect(token).claims

    def inspect(self, token: str) -> TokenCheck:
        """As `check`, telling apart a token of ours that only expired: the client should refresh it."""
        try:
            decoded = jwt.decode(token, self.key, algorithms=[ALGORITHM])
            self._claims.validate(decoded.claims)
            return TokenCheck(
                AccessClaims(
                    account_id=int(decoded.claims["sub"]),
                    issued_at=float(decoded.claims["iat"]),
                    token_id=str(decoded.claims["jti"]),
                    expires_at=float(decoded.claims["exp"]),
                    family_id=str(decoded.claims["fam"]) if "fam" in decoded.claims else None,
                )
            )
        except ExpiredTokenError:
            # Only reached once the signature was verified: nobody can forge "expired" to probe us.
            return TokenCheck(None, expired=True)
        except (JoseError, ValueError, TypeError, KeyError):
            return TokenCheck(None)

    def public_jwks(self) -> dict[str, Any]:
        return {"keys": [self.key.as_dict(private=False)]}
