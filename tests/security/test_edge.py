"""X1, X3, X5 at the HTTP edge: bodies over PARCOURSPRO_MAX_BODY_BYTES get 413, unreadable or too deep JSON
gets a JSON 400, and every /graphql answer says `Cache-Control: no-store`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import orjson
import pytest

from parcourspro_gql.edge import MAX_JSON_DEPTH

ONE_MEGABYTE = 1_048_576


def refusal(measured) -> tuple[int, str]:
    body = measured.json()
    [error] = body["errors"]
    return measured.response.status_code, error["extensions"]["code"]


async def test_a_body_over_the_limit_is_refused_with_413_before_it_is_parsed(attack, settings):
    assert settings.max_body_bytes == ONE_MEGABYTE  # the default
    # A 15 MB string literal took 2.3 s to parse; it is not even read now.
    huge = '{ structures(search: "' + "x" * (15 * ONE_MEGABYTE) + '") { totalCount } }'
    measured = await attack.post({"query": huge})
    assert refusal(measured) == (413, "PAYLOAD_TOO_LARGE")
    assert (
        measured.json()["errors"][0]["message"]
        == f"Requête trop volumineuse : {ONE_MEGABYTE} octets au plus."
    )


async def test_a_body_that_streams_past_the_limit_without_a_length_is_refused(attack):
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "{ __typename }", "variables": {"pad": "'
        for _ in range(40):
            yield b"y" * 65_536
        yield b'"}}'

    measured = await attack.run(
        lambda: attack.client.post("/graphql", content=chunks(), headers={"Content-Type": "application/json"})
    )
    assert "content-length" not in measured.response.request.headers
    assert refusal(measured) == (413, "PAYLOAD_TOO_LARGE")


async def test_a_body_just_under_the_limit_is_served(client):
    padding = "z" * (ONE_MEGABYTE - 200)
    response = await client.post("/graphql", json={"query": "{ __typename }", "variables": {"p": padding}})
    assert response.status_code == 200
    assert response.json()["data"] == {"__typename": "Query"}


async def test_an_unreadable_json_body_gets_a_json_400(attack):
    measured = await attack.run(
        lambda: attack.client.post(
            "/graphql", content=b'{"query": "{ __typename }"', headers={"Content-Type": "application/json"}
        )
    )
    assert refusal(measured) == (400, "BAD_REQUEST")
    assert measured.response.headers["content-type"] == "application/json"


async def test_variables_nested_ten_thousand_deep_get_a_json_400(attack):
    # Was a plain-text 500 from a RecursionError in Python's json module (strawberry's other ways).
    deep = b'{"query": "query($v: String) { __typename }", "variables": {"v": ' + b"[" * 10_000
    deep += b"]" * 10_000 + b"}}"
    measured = await attack.run(
        lambda: attack.client.post("/graphql", content=deep, headers={"Content-Type": "application/json"})
    )
    assert refusal(measured) == (400, "INVALID_INPUT")


async def test_variables_nested_just_deeper_than_allowed_get_a_json_400(attack, client):
    def nested(depth: int) -> object:
        value: object = "x"
        for _ in range(depth - 1):
            value = [value]
        return value

    allowed = await client.post(
        "/graphql", json={"query": "{ __typename }", "variables": {"v": nested(MAX_JSON_DEPTH - 2)}}
    )
    assert allowed.status_code == 200
    measured = await attack.post({"query": "{ __typename }", "variables": {"v": nested(MAX_JSON_DEPTH + 1)}})
    assert refusal(measured) == (400, "INVALID_INPUT")
    assert (
        measured.json()["errors"][0]["message"]
        == f"Données trop imbriquées : {MAX_JSON_DEPTH} niveaux au plus."
    )


async def test_deep_variables_in_a_get_are_refused_before_strawberry_decodes_them(attack):
    variables = "[" * 5_000 + "]" * 5_000
    measured = await attack.run(
        lambda: attack.client.get("/graphql", params={"query": "{ __typename }", "variables": variables})
    )
    assert refusal(measured) == (400, "INVALID_INPUT")


async def test_every_graphql_answer_is_no_store(client):
    answers = [
        await client.post("/graphql", json={"query": "{ __typename }"}),
        await client.post("/graphql", json={"query": "{ nope }"}),
        await client.post("/graphql", content=b"{", headers={"Content-Type": "application/json"}),
        await client.post(
            "/graphql",
            content=orjson.dumps([{"query": "{ __typename }"}] * 2),
            headers={"Content-Type": "application/json"},
        ),
    ]
    for answer in answers:
        # Personal data: kept by no cache, shared or private (web/caching.py's PRIVATE_CACHE).
        assert answer.headers["cache-control"] == "private, no-store", answer.text


async def _socket(app, messages: list[str | bytes]) -> list[dict]:
    """What the app sends on a graphql-transport-ws socket to /graphql whose client sends `messages`, then
    waits (an ASGI driver: httpx has no websockets)."""
    incoming = [{"type": "websocket.connect"}] + [
        {"type": "websocket.receive", "text": m}
        if isinstance(m, str)
        else {"type": "websocket.receive", "bytes": m}
        for m in messages
    ]
    sent: list[dict] = []

    async def receive() -> dict:
        if incoming:
            return incoming.pop(0)
        await asyncio.sleep(3600)  # the client says nothing more; the server must close on its own
        raise AssertionError("unreachable")

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "scheme": "ws",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), (b"sec-websocket-protocol", b"graphql-transport-ws")],
        "subprotocols": ["graphql-transport-ws"],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    async with asyncio.timeout(30):
        await app(scope, receive, send)
    return sent


@pytest.mark.parametrize(
    ("message", "code"),
    [
        # A subscription's document of 15 MB, as the first message: uvicorn's own limit would let 16 MiB in.
        (
            orjson.dumps(
                {"type": "subscribe", "id": "1", "payload": {"query": "#" + "c" * (15 * ONE_MEGABYTE)}}
            ).decode(),
            1009,
        ),
        (b"[" * (2 * MAX_JSON_DEPTH) + b"]" * (2 * MAX_JSON_DEPTH), 4400),
        ('{"type": "connection_init", "payload": {"v": "\\u0000"}}', 4400),
    ],
    ids=["too-large", "too-deep", "nul"],
)
async def test_a_websocket_message_over_the_limits_closes_the_socket(app, attack, message, code):
    baseline = await attack.measure_baseline()
    started = time.process_time()
    sent = await _socket(app, [message])
    cpu = time.process_time() - started
    assert [m["type"] for m in sent] == ["websocket.accept", "websocket.close"], sent
    assert sent[-1]["code"] == code
    assert cpu < min(1.0, 60 * max(baseline.cpu, 0.002)), (
        f"{cpu:.3f} s of CPU (baseline {baseline.cpu:.4f} s)"
    )
