"""Fuzzing: schemathesis generates every query and mutation of the schema the app serves, in-process.

The schema is introspected from the running app; schemathesis (hypothesis-graphql) draws, with a fixed seed,
a few documents per operation, sent as an authorised manager and, separately, as a beneficiary. Refusals
(UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, INVALID_INPUT, QUERY_TOO_COMPLEX, payload `errors`...) are data; what
fails the test is an HTTP status other than 200, a body that is not valid JSON or not a GraphQL response, an
INTERNAL_SERVER_ERROR, or a null where the schema promises a value. Every such answer is reported with its
document and the server's trace.

The world holds a manager, a structure with its employer-referent, the beneficiary and a pending member, a
provider with a training, an open and a past session, a registration and a proposed change. Arguments and input
fields whose name says what they hold (ids of each type, page cursors and sizes, emails, SIRETs, dates...) take
one of the world's values half of the time, so that most documents get past "not found" to the rules; the rest
is schemathesis' own draw. The same documents are sent on every run.
"""

from __future__ import annotations

import json
import logging
from collections import Counter, defaultdict
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import graphql
import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from registration_ops import MOTIVATION, REQUEST, payload
from schemathesis.graphql import nodes
from schemathesis.hooks import HookDispatcher, HookScope
from world import Person, World, training_session

from parcourspro_gql.auth.tokens import AccessTokens
from parcourspro_gql.clock import clock as app_clock
from parcourspro_gql.models import AffiliationStatus, Role, StructureStatus
from parcourspro_gql.schema.relay import to_global_id
from parcourspro_gql.seed import demo_siret

SEED = 20261128
EXAMPLES_PER_OPERATION = 20
INTERNAL = "INTERNAL_SERVER_ERROR"
NON_NULL_MARKER = "Cannot return null for non-nullable field"

CURSORS = """
{
  structures { edges { cursor } }
  trainings { edges { cursor } }
  me { registrations { edges { cursor } } }
}
"""
PROPOSE_CHANGE = """
mutation($structure: ID!) {
  structureChangePropose(input: {structureId: $structure, name: "Mission Locale des Graves et du Sauternais"}) {
    change { id }
    errors { code message }
  }
}
"""


@dataclass
class Scene:
    manager: Person
    beneficiary: Person
    hints: dict[str, list[Any]]  # argument or input field name -> values of the world that fit it


@pytest.fixture
def world(db: Any, settings: Any, gql: Any, clock: Any) -> World:
    return World(db, AccessTokens(settings), gql)


@pytest.fixture
async def scene(world: World) -> Scene:
    """A manager, a beneficiary with his employer, a provider and its sessions, a registration, a change."""
    manager = await world.manager()
    provider_org = await world.structure("Institut de Formation")
    provider = await world.person(provider_org, Role.PROVIDER)
    org = await world.structure("Mission Locale des Graves")
    employer = await world.person(org, Role.EMPLOYER, Role.REFERENT)
    beneficiary = await world.person(org)  # every account is a beneficiary
    newcomer = await world.person(org, status=AffiliationStatus.PENDING)
    loner = await world.person(None)
    pending_org = await world.structure("Association en attente", status=StructureStatus.PENDING)
    seats = await training_session(world, provider_org)
    past = await training_session(
        world, provider_org, training_pk=seats.training_pk, starts_in=timedelta(days=-3)
    )
    asked = await world.as_(beneficiary, REQUEST, {"session": seats.session_id, "motivation": MOTIVATION})
    registration = payload(asked)["registration"]
    assert registration is not None, asked
    proposed = await world.as_(employer, PROPOSE_CHANGE, {"structure": org.id})
    change = payload(proposed)["change"]
    assert change is not None, proposed
    pages = (await world.as_(beneficiary, CURSORS))["data"]
    cursors = [
        edge["cursor"]
        for connection in (pages["structures"], pages["trainings"], pages["me"]["registrations"])
        for edge in connection["edges"]
    ]
    people = [manager, provider, employer, beneficiary, newcomer, loner]
    structures = [provider_org, org, pending_org]
    accounts = [person.id for person in people]
    structure_ids = [structure.id for structure in structures]
    sessions = [seats.session_id, past.session_id]
    registrations = [registration["id"], to_global_id("Registration", 999_999)]
    now = app_clock.now()
    instants = [(now + timedelta(days=days)).isoformat() for days in (-30, -1, 0, 1, 7, 30, 60, 365)]
    return Scene(
        manager,
        beneficiary,
        {
            "id": [*accounts, *structure_ids, seats.training_id, *sessions, *registrations, change["id"]],
            "accountId": accounts,
            "structureId": structure_ids,
            "providerStructureId": structure_ids,
            "trainingId": [seats.training_id],
            "sessionId": sessions,
            "registrationId": registrations,
            "changeId": [change["id"]],
            "first": list(range(0, 101, 10)),
            "after": [None, *cursors],
            "year": [2026, 2027],
            "email": [person.email for person in people],
            "password": ["Un mot de passe très long et sûr 2026 !"],
            "newPassword": ["Un mot de passe très long et sûr 2026 !"],
            "siret": [*(structure.siret for structure in structures), demo_siret(900)],
            "apeCode": ["85.59A", "94.99Z"],
            "postalCode": ["33000", "64100"],
            "motivation": [MOTIVATION],
            "halfDays": [0, 1, 2, 4],
            "halfDaysAttended": [0, 1, 2, 4],
            "capacity": [1, 12],
            "durationHours": [3.5, 14.0],
            **dict.fromkeys(["startsAt", "endsAt", "registrationOpensAt", "registrationClosesAt"], instants),
        },
    )


async def served_schema(client: httpx.AsyncClient) -> Any:
    """The schema the app itself publishes, as schemathesis loads it."""
    response = await client.post("/graphql", json={"query": graphql.get_introspection_query()})
    assert response.status_code == 200, response.text
    return schemathesis.graphql.from_dict(response.json())


def _node(value: Any) -> graphql.ValueNode:
    if value is None:
        return nodes.Null
    if isinstance(value, bool):
        return nodes.Boolean(value)
    if isinstance(value, int):
        return nodes.Int(value)
    if isinstance(value, float):
        return nodes.Float(value)
    return nodes.String(value)


class _Replace(graphql.Visitor):
    """Visits the arguments and input fields named in `names`, in order, replacing those given a new value."""

    def __init__(self, names: Collection[str], values: tuple[graphql.ValueNode | None, ...] = ()) -> None:
        super().__init__()
        self.names = names
        self.values = values
        self.found: list[str] = []

    def _visit(self, node: Any, kind: type) -> Any:
        if node.name.value not in self.names:
            return None
        self.found.append(node.name.value)
        value = self.values[len(self.found) - 1] if self.values else None
        return None if value is None else kind(name=node.name, value=value)

    def enter_argument(self, node: graphql.ArgumentNode, *_: Any) -> Any:
        return self._visit(node, graphql.ArgumentNode)

    def enter_object_field(self, node: graphql.ObjectFieldNode, *_: Any) -> Any:
        return self._visit(node, graphql.ObjectFieldNode)


def world_values(hints: dict[str, list[Any]]) -> HookDispatcher:
    """A schemathesis hook: each argument or input field named in `hints` takes one of the world's values
    half of the time (a real id of the right type, a real cursor, a page size within 0-100...), and what
    schemathesis drew otherwise. Without it, nearly every document would be refused before its resolver runs.
    """
    choices = {
        name: st.one_of(st.none(), st.sampled_from([_node(value) for value in values]))
        for name, values in hints.items()
    }

    def flatmap_body(_context: Any, document: graphql.DocumentNode) -> st.SearchStrategy:
        sites = _Replace(hints)
        graphql.visit(document, sites)
        values = st.tuples(*(choices[name] for name in sites.found))
        return values.map(lambda chosen: graphql.visit(document, _Replace(hints, chosen)))

    hooks = HookDispatcher(scope=HookScope.TEST)
    hooks.register_hook_with_name(flatmap_body, "flatmap_body")
    return hooks


def draw(operation: Any, hooks: HookDispatcher) -> list[Any]:
    """A few distinct cases of one operation, always the same ones (fixed seed, no example database)."""
    drawn: dict[str, Any] = {}

    @seed(SEED)
    @hypothesis_settings(
        max_examples=EXAMPLES_PER_OPERATION,
        database=None,
        phases=[Phase.generate],
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(hooks=hooks))
    def collect(case: Any) -> None:
        drawn.setdefault(case.body, case)

    collect()
    assert drawn, f"schemathesis generated nothing for {operation.label}"
    return list(drawn.values())


def _invalid_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _fields(
    parent: graphql.GraphQLNamedType, selection_set: graphql.SelectionSetNode, schema: graphql.GraphQLSchema
) -> Iterator[tuple[graphql.FieldNode, graphql.GraphQLNamedType]]:
    """The fields of a selection set with the type they are selected on (inline fragments flattened)."""
    for selection in selection_set.selections:
        if isinstance(selection, graphql.FieldNode):
            yield selection, parent
        elif isinstance(selection, graphql.InlineFragmentNode):
            condition = selection.type_condition
            on = schema.get_type(condition.name.value) if condition else parent
            yield from _fields(on or parent, selection.selection_set, schema)


def nulls_in_non_null_fields(
    schema: graphql.GraphQLSchema, document: graphql.DocumentNode, data: dict[str, Any]
) -> list[str]:
    """The paths of the answer where a field the schema declares non-null holds null."""
    found: list[str] = []

    def check(type_: graphql.GraphQLOutputType, field: graphql.FieldNode, value: Any, path: str) -> None:
        if graphql.is_non_null_type(type_):
            if value is None:
                found.append(path)
                return
            type_ = type_.of_type
        if value is None:
            return
        if graphql.is_list_type(type_):
            for index, item in enumerate(value):
                check(type_.of_type, field, item, f"{path}[{index}]")
        elif field.selection_set is not None and isinstance(value, dict):
            walk(graphql.get_named_type(type_), field.selection_set, value, path)

    def walk(
        parent: graphql.GraphQLNamedType, selection_set: graphql.SelectionSetNode, value: dict, path: str
    ) -> None:
        for field, on in _fields(parent, selection_set, schema):
            key = (field.alias or field.name).value
            definitions = getattr(on, "fields", {})
            if key not in value or field.name.value not in definitions:
                continue  # a fragment on another type, or __typename
            check(definitions[field.name.value].type, field, value[key], f"{path}.{key}" if path else key)

    operation = graphql.get_operation_ast(document)
    assert operation is not None
    root = schema.get_root_type(operation.operation)
    assert root is not None
    walk(root, operation.selection_set, data, "")
    return found


def problems_in(response: httpx.Response, document: str, schema: graphql.GraphQLSchema) -> list[str]:
    """What is wrong with an answer: nothing for a result or a refusal."""
    if response.status_code != 200:
        return [f"HTTP {response.status_code}"]
    if not response.headers.get("content-type", "").startswith("application/json"):
        return [f"content-type {response.headers.get('content-type')!r}"]
    try:
        body = json.loads(response.content, parse_constant=_invalid_constant)
    except ValueError as error:
        return [f"invalid JSON: {error}"]
    if not isinstance(body, dict) or not {"data", "errors"} & body.keys():
        return ["not a GraphQL response"]
    problems = []
    errors = body.get("errors") or []
    for error in errors:
        code = (error.get("extensions") or {}).get("code")
        if code == INTERNAL or NON_NULL_MARKER in str(error.get("message")):
            problems.append(f"server error at {error.get('path')}: {error}")
    data = body.get("data")
    if "data" in body and data is None and not errors:
        problems.append("data is null without an error")
    if isinstance(data, dict):
        for path in nulls_in_non_null_fields(schema, graphql.parse(document), data):
            problems.append(f"null in the non-null field {path}")
    return problems


def outcome(response: httpx.Response) -> str:
    """A one-word summary of an answer, for the report: ok, the refusal's code, or what went wrong."""
    try:
        body = response.json()
    except ValueError:
        return "not json"
    errors = body.get("errors") if isinstance(body, dict) else None
    if errors:
        return str((errors[0].get("extensions") or {}).get("code") or "GRAPHQL_ERROR")
    data = body.get("data") if isinstance(body, dict) else None
    value = next(iter(data.values()), None) if isinstance(data, dict) else None
    if isinstance(value, dict) and value.get("errors"):
        return f"payload {value['errors'][0].get('code') or 'refusal'}"
    return "ok"


def traces(records: list[logging.LogRecord]) -> str:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(record) for record in records if record.levelno >= logging.ERROR)


@pytest.mark.parametrize("role", ["manager", "beneficiary"])
async def test_fuzzed_operations_never_fail_on_the_server(
    role: str, scene: Scene, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    schema = await served_schema(client)
    caller = scene.manager if role == "manager" else scene.beneficiary
    hooks = world_values(scene.hints)
    operations = [result.ok() for result in schema.get_all_operations()]
    cases = [case for operation in operations for case in draw(operation, hooks)]
    url = f"{client.base_url}/graphql"
    failures: list[str] = []
    outcomes: dict[str, Counter[str]] = defaultdict(Counter)
    caplog.set_level(logging.ERROR, logger="parcourspro_gql")
    for case in cases:
        request = case.as_transport_kwargs(base_url=url, headers={"Authorization": f"Bearer {caller.token}"})
        caplog.clear()
        response = await client.request(
            request["method"], request["url"], headers=request["headers"], json=request["json"]
        )
        outcomes[case.operation.label][outcome(response)] += 1
        problems = problems_in(response, case.body, schema.client_schema)
        if problems:
            failures.append(
                f"--- {case.operation.label} as {role}\n{case.body}\n"
                + "\n".join(problems)
                + f"\nanswer: {response.text[:2000]}\n{traces(caplog.records)}"
            )
    summary = "\n".join(f"{label}: {dict(counts)}" for label, counts in outcomes.items())
    assert not failures, f"{len(failures)} of {len(cases)} answers failed:\n" + "\n".join(failures[:20])
    # The fuzzer reached every operation and the caller stayed signed in: most answers are not UNAUTHENTICATED.
    assert len(outcomes) == len(operations), summary
    refused = sum(counts["UNAUTHENTICATED"] for counts in outcomes.values())
    assert refused < len(cases) / 4, summary
