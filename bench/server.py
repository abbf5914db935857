"""The API plus raw-SQL baseline routes returning the same JSON, for bench/throughput.py.

Served by uvicorn with `--app-dir bench` (`server:app`); never part of the product. The baselines are one
hand-written JOIN each, serialised with the same field names as the GraphQL answer.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from parcourspro_gql.app import create_app
from parcourspro_gql.auth.tokens import AccessTokens
from parcourspro_gql.config import load_settings
from parcourspro_gql.domain.registrations import CATEGORY_OF

settings = load_settings()
CATEGORY = {status.name: category.name for status, category in CATEGORY_OF.items()}
api = create_app(settings)
tokens = AccessTokens(settings)

OVERVIEW_SQL = text("""
SELECT r.id, r.status, r.motivation, r.requested_at, r.over_structure_cap,
       b.id AS b_id, b.first_name, b.last_name, b.email,
       s.id AS s_id, s.starts_at, s.ends_at, s.location,
       t.id AS t_id, t.title, t.format, p.id AS p_id, p.name AS p_name,
       r.employer_decision_at, r.employer_decision_comment, e.id AS e_id, e.last_name AS e_last_name
FROM registrations r
JOIN accounts b ON b.id = r.beneficiary_id
JOIN training_sessions s ON s.id = r.session_id
JOIN trainings t ON t.id = r.training_id
JOIN structures p ON p.id = t.provider_structure_id
LEFT JOIN accounts e ON e.id = r.employer_decision_by_id
WHERE r.structure_id = (SELECT structure_id FROM accounts WHERE id = :viewer)
ORDER BY r.requested_at, r.id LIMIT 100
""")
HISTORY_SQL = text("""
SELECT r.id, r.status, r.requested_at, s.starts_at, s.location, t.title, t.format
FROM registrations r JOIN training_sessions s ON s.id = r.session_id JOIN trainings t ON t.id = r.training_id
WHERE r.beneficiary_id = :viewer ORDER BY r.requested_at, r.id LIMIT 20
""")


def gid(kind: str, pk: int) -> str:
    return base64.b64encode(f"{kind}:{pk}".encode()).decode()


def viewer_of(request: Request) -> int:
    claims = tokens.check(request.headers.get("authorization", "").removeprefix("Bearer "))
    if claims is None:
        raise PermissionError
    return claims.account_id


def iso(value: Any) -> str:
    """As the API prints datetimes: ISO 8601 in UTC (SQLite hands back naive text, PostgreSQL aware values)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


COUNTS_SQL = text("""
SELECT count(*) FILTER (WHERE status = 'PENDING_EMPLOYER'),
       count(*) FILTER (WHERE employer_decision_at IS NOT NULL AND status != 'REFUSED_BY_EMPLOYER'),
       count(*) FILTER (WHERE status = 'REFUSED_BY_EMPLOYER')
FROM registrations WHERE structure_id = (SELECT structure_id FROM accounts WHERE id = :viewer)
""")


def compact_node(r: Any) -> dict[str, Any]:
    """The fields of registrations.OVERVIEW."""
    return {
        "id": gid("Registration", r["id"]),
        "status": r["status"],
        "requestedAt": iso(r["requested_at"]),
        "beneficiary": {
            "id": gid("Account", r["b_id"]),
            "firstName": r["first_name"],
            "lastName": r["last_name"],
        },
        "session": {
            "id": gid("TrainingSession", r["s_id"]),
            "startsAt": iso(r["starts_at"]),
            "endsAt": iso(r["ends_at"]),
            "training": {"id": gid("Training", r["t_id"]), "title": r["title"]},
        },
    }


def wide_node(r: Any) -> dict[str, Any]:
    """The fields of registrations.OVERVIEW_WIDE."""
    return {
        "id": gid("Registration", r["id"]),
        "status": r["status"],
        "motivation": r["motivation"],
        "requestedAt": iso(r["requested_at"]),
        "overStructureCap": bool(r["over_structure_cap"]),
        "beneficiary": {
            "id": gid("Account", r["b_id"]),
            "firstName": r["first_name"],
            "lastName": r["last_name"],
            "email": r["email"],
        },
        "session": {
            "id": gid("TrainingSession", r["s_id"]),
            "startsAt": iso(r["starts_at"]),
            "endsAt": iso(r["ends_at"]),
            "location": r["location"],
            "training": {
                "id": gid("Training", r["t_id"]),
                "title": r["title"],
                "format": r["format"],
                "provider": {"id": gid("Structure", r["p_id"]), "name": r["p_name"]},
            },
        },
        "employerDecision": {
            "at": iso(r["employer_decision_at"]),
            "comment": r["employer_decision_comment"],
            "by": {"id": gid("Account", r["e_id"]), "lastName": r["e_last_name"]},
        }
        if r["e_id"]
        else None,
    }


async def _overview(request: Request, node: Any) -> Response:
    viewer = viewer_of(request)
    async with api.state.db.read() as session:
        counts = (await session.execute(COUNTS_SQL, {"viewer": viewer})).one()
        rows = (await session.execute(OVERVIEW_SQL, {"viewer": viewer})).mappings().all()
    body = {
        "data": {
            "employerOverview": {
                "pendingCount": counts[0],
                "validatedCount": counts[1],
                "refusedCount": counts[2],
                "registrations": {"edges": [{"node": node(r)} for r in rows]},
            }
        }
    }
    return Response(orjson.dumps(body), media_type="application/json")


async def overview(request: Request) -> Response:
    return await _overview(request, compact_node)


async def overview_wide(request: Request) -> Response:
    return await _overview(request, wide_node)


async def history(request: Request) -> Response:
    viewer = viewer_of(request)
    async with api.state.db.read() as session:
        rows = (await session.execute(HISTORY_SQL, {"viewer": viewer})).mappings().all()
    edges = [
        {
            "node": {
                "id": gid("Registration", r["id"]),
                "status": r["status"],
                "category": CATEGORY[r["status"]],
                "requestedAt": iso(r["requested_at"]),
                "session": {
                    "startsAt": iso(r["starts_at"]),
                    "location": r["location"],
                    "training": {"title": r["title"], "format": r["format"]},
                },
            }
        }
        for r in rows
    ]
    return Response(
        orjson.dumps({"data": {"me": {"registrations": {"edges": edges}}}}), media_type="application/json"
    )


# The baseline routes go into the product's own application, in front of its routes: both kinds of request
# then pass through the same server, the same middleware (request id, access log) and the same router.
api.router.routes[:0] = [
    Route("/baseline/overview", overview),
    Route("/baseline/overview-wide", overview_wide),
    Route("/baseline/history", history),
]
app = api
