"""The real server, 2 uvicorn workers on PostgreSQL, under a short bounded load of mixed queries and mutations
from the demo world's people: every answer is a 200 with valid JSON and no internal error.

It runs in the suite's PostgreSQL pass (CI runs both passes); the SQLite pass skips it, since several
processes writing one SQLite file is not a production setup.
"""

from __future__ import annotations

import asyncio
import itertools
import random

import httpx
import pytest
from test_cli import COMMAND, run, wait_for_server

from parcourspro_gql.seed import DEMO_PASSWORD

REQUESTS = 400
CONCURRENCY = 8
LOGIN = """
mutation($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { accessToken errors { code } }
}
"""
CATALOGUE = """
{ trainings(first: 20) { totalCount edges { node { id title format
    sessions(first: 5) { edges { node { id startsAt seatsLeft days } } } } } } }
"""
HISTORY = "{ me { registrations(first: 20) { edges { node { status session { startsAt } documents { kind } } } } } }"
OVERVIEW = """
{ employerOverview { pendingCount registrations(first: 50) { edges { node { status
    beneficiary { lastName } session { training { title } } } } } } }
"""
PICKER = '{ structures(search: "bordeaux", first: 10) { edges { node { id name siret } } } }'
FAVOURITE = "mutation($id: ID!) { %s(input: {trainingId: $id}) { training { isFavourite } errors { code } } }"
REQUEST = """
mutation($session: ID!) {
  registrationRequest(input: {sessionId: $session, motivation: "Pour mieux accompagner nos publics."}) {
    registration { id } errors { code } } }
"""
CANCEL = """
mutation($id: ID!) { registrationCancel(input: {registrationId: $id, reason: "Finalement indisponible."}) {
  registration { status } errors { code } } }
"""


async def test_two_workers_on_postgresql_serve_a_mixed_load_without_error(
    environ, empty_database_url, unused_port, tmp_path
):
    if not empty_database_url.startswith("postgresql"):
        pytest.skip("runs in the suite's PostgreSQL pass")
    assert run(environ, "migrate").returncode == 0
    assert run(environ, "seed-demo").returncode == 0
    server = await asyncio.create_subprocess_exec(
        *COMMAND,
        "serve",
        "--port",
        str(unused_port),
        "--workers",
        "2",
        "--no-mail-dispatch",
        env=environ,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    limits = httpx.Limits(max_connections=CONCURRENCY)
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{unused_port}", timeout=30, limits=limits
        ) as http:
            await wait_for_server(http, server)
            outcome = await load(http)
    finally:
        server.terminate()
        output, _ = await asyncio.wait_for(server.communicate(), timeout=30)
    assert outcome["failures"] == [], outcome["failures"][:5]
    assert outcome["answers"] == REQUESTS
    assert outcome["refusals"] < REQUESTS // 2  # expected refusals happen, as data, but the load did work
    assert (
        output.count(b"Started server process") >= 2
        or output.count(b'"message": "POST /graphql 200"') >= REQUESTS
    )


async def load(http: httpx.AsyncClient) -> dict:
    """REQUESTS operations from CONCURRENCY clients: the demo's people log in, browse, decide and register."""

    async def post(query: str, variables: dict | None = None, token: str | None = None) -> dict:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await http.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
        if response.status_code != 200:
            failures.append(f"{response.status_code} {response.text[:200]}")
            return {}
        body = response.json()  # raises on invalid JSON
        codes = [error.get("extensions", {}).get("code") for error in body.get("errors", [])]
        if "INTERNAL_SERVER_ERROR" in codes or (
            body.get("errors") and body.get("data") is None and not codes
        ):
            failures.append(str(body)[:300])
        return body

    failures: list[str] = []
    tokens = {}
    for email in (
        "camille@demo.parcourspro.fr",
        "employeur@demo.parcourspro.fr",
        "referente@demo.parcourspro.fr",
    ):
        body = await post(LOGIN, {"email": email, "password": DEMO_PASSWORD})
        tokens[email] = body["data"]["login"]["accessToken"]
    catalogue = await post(CATALOGUE)
    trainings = [edge["node"] for edge in catalogue["data"]["trainings"]["edges"]]
    sessions = [s["node"]["id"] for t in trainings for s in t["sessions"]["edges"]]
    camille, employer, referent = tokens.values()
    rng = random.Random(7)
    answers = refusals = 0
    counter = itertools.count()

    async def one() -> None:
        nonlocal answers, refusals
        kind = rng.choice(["catalogue", "history", "overview", "picker", "favourite", "register", "login"])
        training = rng.choice(trainings)["id"]
        if kind == "catalogue":
            body = await post(CATALOGUE)
        elif kind == "history":
            body = await post(HISTORY, token=camille)
        elif kind == "overview":
            body = await post(OVERVIEW, token=rng.choice([employer, referent]))
        elif kind == "picker":
            body = await post(PICKER)
        elif kind == "favourite":
            body = await post(
                FAVOURITE % rng.choice(["favouriteAdd", "favouriteRemove"]), {"id": training}, camille
            )
        elif kind == "login":
            body = await post(LOGIN, {"email": "camille@demo.parcourspro.fr", "password": DEMO_PASSWORD})
        else:
            body = await post(REQUEST, {"session": rng.choice(sessions)}, camille)
            registration = (body.get("data") or {}).get("registrationRequest", {}).get("registration")
            if registration:
                await post(CANCEL, {"id": registration["id"]}, camille)
        answers += 1
        payloads = (body.get("data") or {}).values()
        refusals += any(isinstance(p, dict) and p.get("errors") for p in payloads)

    async def client() -> None:
        while next(counter) < REQUESTS:
            await one()

    await asyncio.gather(*(client() for _ in range(CONCURRENCY)))
    return {"failures": failures, "answers": answers, "refusals": refusals}
