"""CORS for browser apps on their own origin (PARCOURSPRO_CORS_ORIGINS), with Starlette's middleware.

Exact origins only (no wildcard, no pattern), credentials off: the API authenticates with a bearer header,
never with cookies, so a page of another origin gains nothing a cookie would give it. Preflights are
answered for GET and POST with the headers clients send; X-Request-ID is exposed so that a web app can
quote it when reporting "Erreur interne".
"""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

ALLOWED_HEADERS = ("Authorization", "Content-Type", "Accept", "X-Request-ID")
# How long a browser may keep a preflight's answer (Chromium caps it at 2 hours).
PREFLIGHT_MAX_AGE = 7200


def parse_origins(raw: str) -> tuple[str, ...]:
    """The comma-separated origins of the setting, each `scheme://host[:port]` without a path."""
    return tuple(origin.strip().rstrip("/") for origin in raw.split(",") if origin.strip())


def cors_middleware(origins: tuple[str, ...]) -> Middleware | None:
    """Starlette's CORS middleware for `origins`; None when none is configured (same-origin only)."""
    if not origins:
        return None
    return Middleware(
        CORSMiddleware,
        allow_origins=list(origins),
        allow_methods=["GET", "POST"],
        allow_headers=list(ALLOWED_HEADERS),
        expose_headers=["X-Request-ID"],
        allow_credentials=False,
        max_age=PREFLIGHT_MAX_AGE,
    )
