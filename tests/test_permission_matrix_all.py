"""Who may do what, for every operation of the API: operation × role × own/other structure.

One row per Query field, per Mutation field (roleGrant/roleRevoke once per role they change), per Node type
for node(id), and per field that carries its own permission (Structure.accounts, TrainingSession.registrations,
Account.registrations, Account.quota, Account.favourites). test_every_operation_is_in_the_matrix keeps it complete.

Roles: the caller is an active, verified account of structure "mine" holding that role only (every account is
also a BENEFICIARY), a manager (no structure), or nobody (anonymous). Each cell reads "own/other":
- own: the object belongs to the caller's structure (a person, pending account or change of "mine"; a
  registration of a person of "mine" for a session of a training that "mine" runs, which is what a provider
  acts on); other: the same object in another structure ("theirs");
- a cell without "/" holds on both sides; a cell ending in "-" means that no structure is involved (login,
  catalogue, me, …): the case runs once.
Outcomes: ok = done (no error, a value); U = UNAUTHENTICATED, F = FORBIDDEN (top-level or in the payload's
errors); N = node(id) answers null (invisible); H = the list answers but without the other structure's object;
A = ALREADY_AFFILIATED (every persona but the manager belongs to a structure); NA = NOT_AFFILIATED; any other
code is spelt out. Every case builds its own objects (tables are emptied after each test).

Cells whose behaviour contradicts RULES.md are listed in SUSPECT: the table holds what the rules
say, and those cells are strict xfails until the code is fixed.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import graphql
import pytest
from accounts_support import LOGIN, LOGOUT, PASSWORD, REFRESH, SIGN_UP
from course import RECORD, SEND
from registration_ops import CANCEL, MOTIVATION, REFUSE, REJECT, REQUEST, SELECT, VALIDATE, WAITLIST
from sqlalchemy import select, update
from world import Org, Person, Seats, World, member_of, training_session

from parcourspro_gql.auth.tokens import AccessTokens
from parcourspro_gql.clock import clock as app_clock
from parcourspro_gql.models import (
    Account,
    AffiliationStatus,
    Evaluation,
    Favourite,
    Notification,
    NotificationKind,
    OutboxMessage,
    Registration,
    RegistrationStatus,
    Role,
    StructureChange,
    StructureStatus,
    TrainingSession,
)
from parcourspro_gql.schema.relay import from_global_id, to_global_id
from parcourspro_gql.schema.schema import schema

ROLES = ("anonymous", "beneficiary", "employer", "referent", "provider", "manager")
CODES = {
    "U": "UNAUTHENTICATED",
    "F": "FORBIDDEN",
    "N": "null",
    "H": "hidden",
    "A": "ALREADY_AFFILIATED",
    "NA": "NOT_AFFILIATED",
    "B": "actor only",
}

# fmt: off
MATRIX: dict[str, tuple[str, ...]] = {
    # operation                       anonymous  beneficiary  employer  referent  provider  manager
    # --- Query ---
    "me":                             ("N-",     "ok-",       "ok-",    "ok-",    "ok-",    "ok-"),
    "myDataExport":                   ("U-",     "ok-",       "ok-",    "ok-",    "ok-",    "ok-"),
    "structures":                     ("ok",     "ok",        "ok",     "ok",     "ok",     "ok"),
    "trainings":                      ("ok",     "ok",        "ok",     "ok",     "ok",     "ok"),
    "sessions":                       ("ok",     "ok",        "ok",     "ok",     "ok",     "ok"),
    "providerSessions":               ("U",      "F",         "F",      "F",      "ok/H",   "F"),
    "pendingAffiliations":            ("U",      "F",         "F",      "ok/H",   "F",      "ok"),
    "managerDashboard":               ("U-",     "F-",        "F-",     "F-",     "F-",     "ok-"),
    "employerOverview":               ("U",      "F",         "ok/F",   "F",      "F",      "ok"),
    "statistics":                     ("U",      "F",         "ok/F",   "F",      "F",      "ok"),
    # --- node(id), one row per Node type ---
    "node(Account)":                  ("N",      "N",         "ok/N",   "ok/N",   "N",      "ok"),
    "node(Structure)":                ("ok",     "ok",        "ok",     "ok",     "ok",     "ok"),
    "node(Structure) PENDING":        ("N-",     "N-",        "N-",     "N-",     "N-",     "ok-"),
    "node(StructureChange)":          ("N",      "N",         "N",      "ok/N",   "N",      "ok"),
    "node(Training)":                 ("ok",     "ok",        "ok",     "ok",     "ok",     "ok"),
    "node(TrainingSession)":          ("ok",     "ok",        "ok",     "ok",     "ok",     "ok"),
    "node(Registration)":             ("N",      "N",         "ok/N",   "N",      "ok/N",   "ok"),
    "node(Notification)":             ("N-",     "ok-",       "ok-",    "ok-",    "ok-",    "ok-"),
    "node(Notification) other":       ("N",      "N",         "N",      "N",      "N",      "N"),
    # --- fields with their own permission, reached through node(id) ---
    "Structure.accounts":             ("U",      "F",         "ok/F",   "ok/F",   "F",      "ok"),
    "TrainingSession.registrations":  ("U",      "F",         "F",      "F",      "ok/F",   "ok"),
    "Account.registrations":          ("N",      "N",         "ok/N",   "F/N",    "N",      "ok"),
    "Account.quota":                  ("N",      "N",         "ok/N",   "F/N",    "N",      "ok"),
    "Account.favourites":             ("N",      "N",         "F/N",    "F/N",    "N",      "F"),
    "TrainingSession.evaluationSummary": ("N",   "N",         "N",      "N",      "ok/N",   "ok"),
    "Registration.evaluation":        ("N",      "N",         "N",      "N",      "ok/N",   "ok"),
    "Account.notifications":          ("N",      "N",         "F/N",    "F/N",    "N",      "F"),
    "Account.unreadNotificationCount": ("N",     "N",         "F/N",    "F/N",    "N",      "F"),
    "Structure.conventions":          ("U",      "F",         "ok/F",   "ok/F",   "F",      "ok"),
    "Structure.changes":              ("U",      "F",         "F",      "ok/F",   "F",      "ok"),
    # --- V1: a decision's account (by) for managers and the decider's structure, its actor for the others ---
    "Decision.by(employer)":          ("N",      "N",         "ok/N",   "N",      "ok/N",   "ok"),
    "Decision.by(manager)":           ("N",      "N",         "B/N",    "N",      "B/N",    "ok"),
    "Decision.by(provider)":          ("N",      "N",         "B/N",    "N",      "N",      "ok"),
    # --- Mutation: accounts and authentication ---
    "signUp":                         ("ok-",    "ok-",       "ok-",    "ok-",    "ok-",    "ok-"),
    "verifyEmail":                    ("ok-",    "ok-",       "ok-",    "ok-",    "ok-",    "ok-"),
    "verificationEmailResend":        ("U-",     "ok-",       "ok-",    "ok-",    "ok-",    "ok-"),
    "login":                          ("ok-",    "ok-",       "ok-",    "ok-",    "ok-",    "ok-"),
    "refreshToken":                   ("ok-",    "ok-",       "ok-",    "ok-",    "ok-",    "ok-"),
    "logout":                         ("ok-",    "ok-",       "ok-",    "ok-",    "ok-",    "ok-"),
    "passwordResetRequest":           ("ok-",    "ok-",       "ok-",    "ok-",    "ok-",    "ok-"),
    "passwordReset":                  ("ok-",    "ok-",       "ok-",    "ok-",    "ok-",    "ok-"),
    "accountAnonymise":               ("U",      "F",         "F",      "F",      "F",      "ok"),
    "accountDisable":                 ("U",      "F",         "F",      "F",      "F",      "ok"),
    "accountEnable":                  ("U",      "F",         "F",      "F",      "F",      "ok"),
    # --- Mutation: structures and affiliation ---
    "structureRequest":               ("U-",     "A-",        "A-",     "A-",     "A-",     "ok-"),
    "structureValidate":              ("U-",     "F-",        "F-",     "F-",     "F-",     "ok-"),
    "structureReject":                ("U-",     "F-",        "F-",     "F-",     "F-",     "ok-"),
    "structureUpdate":                ("U",      "F",         "F",      "F",      "F",      "ok"),
    "structureChangePropose":         ("U",      "F",         "F",      "ok/F",   "F",      "F"),
    "structureChangeApprove":         ("U",      "F",         "F",      "F",      "F",      "ok"),
    "structureChangeReject":          ("U",      "F",         "F",      "F",      "F",      "ok"),
    "membershipGrant":                ("U",      "F",         "F",      "F",      "F",      "ok"),
    "membershipRevoke":               ("U",      "F",         "F",      "F",      "F",      "ok"),
    "affiliationRequest":             ("U",      "A",         "A",      "A",      "A",      "ok"),
    "affiliationConfirm":             ("U",      "F",         "F",      "ok/F",   "F",      "ok"),
    "affiliationRefuse":              ("U",      "F",         "F",      "ok/F",   "F",      "ok"),
    "roleGrant(EMPLOYER)":            ("U",      "F",         "F",      "ok/F",   "F",      "ok"),
    "roleGrant(PROVIDER)":            ("U",      "F",         "F",      "F",      "F",      "ok"),
    "roleGrant(MANAGER)":             ("U",      "F",         "F",      "F",      "F",      "ok"),
    "roleRevoke(EMPLOYER)":           ("U",      "F",         "F",      "ok/F",   "F",      "ok"),
    "roleRevoke(PROVIDER)":           ("U",      "F",         "F",      "F",      "F",      "ok"),
    "referentTransfer":               ("U",      "F",         "F",      "ok/F",   "F",      "ok"),
    # --- Mutation: catalogue ---
    "trainingCreate":                 ("U",      "F",         "F",      "F",      "F",      "ok"),
    "trainingUpdate":                 ("U",      "F",         "F",      "F",      "F",      "ok"),
    "trainingSessionCreate":          ("U",      "F",         "F",      "F",      "ok/F",   "ok"),
    "trainingSessionUpdate":          ("U",      "F",         "F",      "F",      "ok/F",   "ok"),
    "trainingSessionCancel":          ("U",      "F",         "F",      "F",      "ok/F",   "ok"),
    "favouriteAdd":                   ("U",      "ok",        "ok",     "ok",     "ok",     "ok"),
    "favouriteRemove":                ("U",      "ok",        "ok",     "ok",     "ok",     "ok"),
    # --- Mutation: the inbox ---
    "notificationsMarkRead":          ("U-",     "ok-",       "ok-",    "ok-",    "ok-",    "ok-"),
    "notificationsMarkRead other":    ("U",      "NOT_FOUND", "NOT_FOUND", "NOT_FOUND", "NOT_FOUND", "NOT_FOUND"),
    # --- Mutation: registrations and sessions ---
    "registrationRequest":            ("U",      "ok",        "ok",     "ok",     "ok",     "NA"),
    "registrationValidate":           ("U",      "F",         "ok/F",   "F",      "F",      "ok"),
    "registrationRefuse":             ("U",      "F",         "ok/F",   "F",      "F",      "ok"),
    "registrationSelect":             ("U",      "F",         "F",      "F",      "ok/F",   "ok"),
    "registrationWaitlist":           ("U",      "F",         "F",      "F",      "ok/F",   "ok"),
    "registrationReject":             ("U",      "F",         "F",      "F",      "ok/F",   "ok"),
    "registrationCancel":             ("U",      "F",         "ok/F",   "F",      "ok/F",   "ok"),
    "convocationsSend":               ("U",      "F",         "F",      "F",      "ok/F",   "ok"),
    "attendanceRecord":               ("U",      "F",         "F",      "F",      "ok/F",   "ok"),
    "evaluationSubmit":               ("U",      "F",         "F",      "F",      "F",      "F"),
    "seatOfferAccept":                ("U",      "ok/F",      "ok/F",   "ok/F",   "ok/F",   "F"),
    "seatOfferDecline":               ("U",      "ok/F",      "ok/F",   "ok/F",   "ok/F",   "F"),
}
# fmt: on
# What some rows mean (the runners below build exactly this):
# - me: null for a visitor, no error. structures, trainings, sessions: public lists; ok = the target
#   structure (or a training or session it runs) is listed. providerSessions: a provider's own sessions only.
#   pendingAffiliations: ok = a pending account of the target is listed.
# - employerOverview, statistics: structureId = the target (statistics: ok = its registration is counted).
# - node(Structure) PENDING: a request no manager decided yet.
# - Account.registrations / Account.favourites: of another person of the target structure (favourites are
#   the account's own only, managers included).
# - verifyEmail, passwordReset: with a real link token of a fresh account, read in the outbox.
# - node(Notification), notificationsMarkRead: a notification of the caller (of a fresh account for a
#   visitor); "other": one of another person of the target structure. An inbox is its owner's only,
#   managers included. Account.notifications / unreadNotificationCount: of another person of the target.
#   verificationEmailResend: the caller's own address is made unconfirmed first (else INVALID_INPUT).
# - structureRequest, affiliationRequest: every persona but the manager already belongs to a structure (A).
# - Structure.conventions: ok = the convention of an accepted person of the target is listed.
# - Decision.by(X): a registration of a person of the target, accepted, whose decision X took: employer = an
#   employer of the target validated it (the target runs the training); manager = a manager validated it in the
#   employer's place; provider = a provider of a third structure, which runs the training, selected it. ok = the
#   caller reads `by` (and `actor`), B = `by` is null and `actor` answers, N = the registration is invisible.
# - structureUpdate: a manager renames the target, with a reason.
# - structureChangePropose: a referent of the structure proposes, managers only decide (approve/reject).
# - roleGrant(X) / roleRevoke(X): to / from an active account of the target structure.
# - trainingCreate: providerStructureId = the target; T1: managers create trainings, providers only sessions.
# - registrationRequest: one asks for oneself; own/other = the structure that runs the training; the manager
#   has no structure (NA). Decisions act on a registration in the state they need (PENDING_EMPLOYER for
#   validate/refuse, PENDING_PROVIDER otherwise). convocationsSend: a future session with one accepted
#   participant; attendanceRecord: a session that started two hours ago, with one.
# - TrainingSession.evaluationSummary, Registration.evaluation: a session that ran, whose participant (a person
#   of the target structure, not the caller) attended and evaluated it; N = the field answers null.
#   evaluationSubmit: on that participant's registration; only he may (tests/documents/test_evaluations.py).
# - seatOfferAccept / seatOfferDecline: a seat held for a waitlisted person (G7'): own = the caller's own
#   registration (only the person offered answers; a manager has no registration, and may not answer for one),
#   other = a person of the other structure.

# Cells where the application disagrees with RULES.md: (operation, role, side) -> what happens and why it is
# wrong. MATRIX keeps the rule; these cells are strict xfails until the code is fixed.
SUSPECT: dict[tuple[str, str, str], str] = {}


def no_structure(operation: str) -> bool:
    return all(cell.endswith("-") for cell in MATRIX[operation])


def sides(operation: str) -> tuple[str, ...]:
    return ("-",) if no_structure(operation) else ("own", "other")


def expected(operation: str, role: str, side: str) -> str:
    cell = MATRIX[operation][ROLES.index(role)].removesuffix("-")
    own, _, other = cell.partition("/")
    value = own if side != "other" or not other else other
    return CODES.get(value, value)


# --------------------------------------------------------------------------------------------------------------
# The scene of one cell, and how an answer reads as an outcome.


@dataclass
class Scene:
    world: World
    role: str
    caller: Person | None
    mine: Org
    theirs: Org
    side: str

    @property
    def target(self) -> Org:
        return self.theirs if self.side == "other" else self.mine

    async def ask(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.world.as_(self.caller, query, variables)

    async def anonymously(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.world.as_(None, query, variables)


def outcome(body: dict[str, Any]) -> str:
    """The first top-level error's code, else null/ok for a query, else the payload's first error code or ok."""
    if body.get("errors"):
        return body["errors"][0]["extensions"]["code"]
    value = next(iter(body["data"].values()))
    if value is None:
        return "null"
    if isinstance(value, dict) and isinstance(value.get("errors"), list):
        return value["errors"][0]["code"] if value["errors"] else "ok"
    return "ok"


def listed(body: dict[str, Any], wanted: str) -> str:
    """ok when the connection lists `wanted`, hidden when it answers without it, else the error."""
    if body.get("errors"):
        return outcome(body)
    connection = next(iter(body["data"].values()))
    return "ok" if wanted in {edge["node"]["id"] for edge in connection["edges"]} else "hidden"


async def mutation(scene: Scene, name: str, input_type: str, value: dict[str, Any]) -> str:
    query = f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ errors {{ code }} }} }}"
    return outcome(await scene.ask(query, {"input": value}))


NODE = "query($id: ID!) { node(id: $id) { id } }"


async def node(scene: Scene, global_id: str, fragment: str = "") -> str:
    query = f"query($id: ID!) {{ node(id: $id) {{ id {fragment} }} }}" if fragment else NODE
    return outcome(await scene.ask(query, {"id": global_id}))


# --------------------------------------------------------------------------------------------------------------
# Factories: each case builds the objects it acts on.


async def seats(scene: Scene, **options: Any) -> Seats:
    """A session, open for registration, of a training that the target structure runs."""
    return await training_session(scene.world, scene.target, **options)


async def registration(scene: Scene, status: RegistrationStatus, place: Seats | None = None) -> str:
    """A registration of a person of the target structure for a session of a training the target runs."""
    place = place or await seats(scene)
    person = await scene.world.person(scene.target)
    now = app_clock.now()
    async with scene.world.db.transaction() as session:
        row = Registration(
            beneficiary_id=person.pk,
            session_id=place.session_pk,
            training_id=place.training_pk,
            structure_id=scene.target.pk,
            motivation=MOTIVATION,
            status=status,
            over_structure_cap=False,
            requested_at=now,
            updated_at=now,
        )
        session.add(row)
        await session.flush()
        return to_global_id("Registration", row.id)


async def change(scene: Scene) -> str:
    """A referent's pending proposal to rename the target structure."""
    async with scene.world.db.transaction() as session:
        row = StructureChange(
            structure_id=scene.target.pk,
            requested_at=app_clock.now(),
            name="Nom proposé",
            status=StructureStatus.PENDING,
        )
        session.add(row)
        await session.flush()
        return to_global_id("StructureChange", row.id)


async def member(scene: Scene, *roles: Role, status: AffiliationStatus = AffiliationStatus.ACTIVE) -> Person:
    return await scene.world.person(scene.target, *roles, status=status)


async def signed_up(scene: Scene) -> str:
    """A new account made through signUp (as a visitor would); its email."""
    email = f"nouveau{scene.world._next()}@example.org"
    value = {"email": email, "password": PASSWORD, "firstName": "Camille", "lastName": "Dupont"}
    body = await scene.anonymously(SIGN_UP, {"input": value})
    assert body["data"]["signUp"]["errors"] == [], body
    return email


async def link_token(scene: Scene, email: str, template: str) -> str:
    """The `token` of the last link emailed to `email` with `template`, read in the outbox."""
    async with scene.world.db.read() as session:
        text = await session.scalar(
            select(OutboxMessage.body_text)
            .where(OutboxMessage.to_address == email, OutboxMessage.template == template)
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        )
    found = re.search(r"token=([A-Za-z0-9_-]+)", text or "")
    assert found, text
    return found.group(1)


async def logged_in(scene: Scene) -> str:
    """A fresh account's refresh token, from a login."""
    email = await signed_up(scene)
    body = await scene.anonymously(LOGIN, {"email": email, "password": PASSWORD})
    assert body["data"]["login"]["errors"] == [], body
    return body["data"]["login"]["refreshToken"]


# --------------------------------------------------------------------------------------------------------------
# Query


async def run_me(scene: Scene) -> str:
    return outcome(await scene.ask("{ me { id } }"))


async def run_my_data_export(scene: Scene) -> str:
    return outcome(await scene.ask("{ myDataExport }"))


async def run_structures(scene: Scene) -> str:
    body = await scene.ask("{ structures(first: 100) { edges { node { id } } } }")
    return listed(body, scene.target.id)


async def run_trainings(scene: Scene) -> str:
    place = await seats(scene)
    body = await scene.ask("{ trainings(first: 100) { edges { node { id } } } }")
    return listed(body, place.training_id)


async def run_sessions(scene: Scene) -> str:
    place = await seats(scene)
    body = await scene.ask("{ sessions(first: 100) { edges { node { id } } } }")
    return listed(body, place.session_id)


async def run_provider_sessions(scene: Scene) -> str:
    place = await seats(scene)
    body = await scene.ask("{ providerSessions(first: 100) { edges { node { id } } } }")
    return listed(body, place.session_id)


async def run_pending_affiliations(scene: Scene) -> str:
    waiting = await member(scene, status=AffiliationStatus.PENDING)
    body = await scene.ask("{ pendingAffiliations(first: 100) { edges { node { id } } } }")
    return listed(body, waiting.id)


async def run_manager_dashboard(scene: Scene) -> str:
    return outcome(await scene.ask("{ managerDashboard { overdueCount pendingStructures { totalCount } } }"))


async def run_employer_overview(scene: Scene) -> str:
    await registration(scene, RegistrationStatus.PENDING_EMPLOYER)
    query = "query($id: ID) { employerOverview(structureId: $id) { pendingCount } }"
    return outcome(await scene.ask(query, {"id": scene.target.id}))


async def run_statistics(scene: Scene) -> str:
    await registration(scene, RegistrationStatus.PENDING_EMPLOYER)
    query = "query($id: ID) { statistics(year: 2026, structureId: $id) { beneficiaries } }"
    body = await scene.ask(query, {"id": scene.target.id})
    if body.get("errors"):
        return outcome(body)
    return "ok" if body["data"]["statistics"] == {"beneficiaries": 1} else "hidden"


# node(id)


async def run_node_account(scene: Scene) -> str:
    return await node(scene, (await member(scene)).id)


async def run_node_structure(scene: Scene) -> str:
    return await node(scene, scene.target.id)


async def run_node_pending_structure(scene: Scene) -> str:
    return await node(scene, (await scene.world.structure(status=StructureStatus.PENDING)).id)


async def run_structure_conventions(scene: Scene) -> str:
    await registration(scene, RegistrationStatus.ACCEPTED)
    query = "query($id: ID!) { node(id: $id) { ... on Structure { conventions { kind } } } }"
    body = await scene.ask(query, {"id": scene.target.id})
    if body.get("errors"):
        return outcome(body)
    return "ok" if body["data"]["node"]["conventions"] == [{"kind": "CONVENTION"}] else "hidden"


async def run_structure_changes(scene: Scene) -> str:
    wanted = await change(scene)
    query = "query($id: ID!) { node(id: $id) { ... on Structure { changes { edges { node { id } } } } } }"
    body = await scene.ask(query, {"id": scene.target.id})
    if body.get("errors"):
        return outcome(body)
    edges = body["data"]["node"]["changes"]["edges"]
    return "ok" if [edge["node"]["id"] for edge in edges] == [wanted] else "hidden"


DECISIONS = """
query($id: ID!) { node(id: $id) { ... on Registration {
  employerDecision { by { id } actor { role } } providerDecision { by { id } actor { role } }
} } }
"""


def decision_by(decider: str) -> Callable[[Scene], Awaitable[str]]:
    """V1: what the caller reads of the decision that `decider` took on a registration of the target."""

    async def run(scene: Scene) -> str:
        world, place = scene.world, None
        if decider == "provider":
            third = await world.structure("Organisme tiers")
            who = await world.person(third, Role.PROVIDER)
            place = await training_session(world, third)
        elif decider == "manager":
            who = await world.manager()
        else:
            who = await world.person(scene.target, Role.EMPLOYER)
        registration_id = await registration(scene, RegistrationStatus.ACCEPTED, place)
        slot = "provider_decision" if decider == "provider" else "employer_decision"
        async with world.db.transaction() as session:
            await session.execute(
                update(Registration)
                .where(Registration.id == from_global_id(registration_id)[1])
                .values({f"{slot}_by_id": who.pk, f"{slot}_at": app_clock.now()})
            )
        body = await scene.ask(DECISIONS, {"id": registration_id})
        if body.get("errors") or body["data"]["node"] is None:
            return outcome(body)
        seen = body["data"]["node"]["providerDecision" if decider == "provider" else "employerDecision"]
        expected_role = {"provider": "PROVIDER", "manager": "MANAGER", "employer": "EMPLOYER"}[decider]
        assert seen["actor"] == {"role": expected_role}, seen
        return "ok" if seen["by"] == {"id": who.id} else "actor only"

    return run


async def run_node_structure_change(scene: Scene) -> str:
    return await node(scene, await change(scene))


async def run_node_training(scene: Scene) -> str:
    return await node(scene, (await seats(scene)).training_id)


async def run_node_training_session(scene: Scene) -> str:
    return await node(scene, (await seats(scene)).session_id)


async def run_node_registration(scene: Scene) -> str:
    return await node(scene, await registration(scene, RegistrationStatus.PENDING_PROVIDER))


# Fields with their own permission


async def run_structure_accounts(scene: Scene) -> str:
    return await node(scene, scene.target.id, "... on Structure { accounts { totalCount } }")


async def run_session_registrations(scene: Scene) -> str:
    place = await seats(scene)
    await registration(scene, RegistrationStatus.PENDING_PROVIDER, place)
    return await node(scene, place.session_id, "... on TrainingSession { registrations { totalCount } }")


async def run_account_registrations(scene: Scene) -> str:
    return await node(scene, (await member(scene)).id, "... on Account { registrations { totalCount } }")


async def run_account_quota(scene: Scene) -> str:
    return await node(scene, (await member(scene)).id, "... on Account { quota { used } }")


async def run_account_favourites(scene: Scene) -> str:
    return await node(scene, (await member(scene)).id, "... on Account { favourites { totalCount } }")


async def run_account_notifications(scene: Scene) -> str:
    return await node(scene, (await member(scene)).id, "... on Account { notifications { totalCount } }")


async def run_account_unread_count(scene: Scene) -> str:
    return await node(scene, (await member(scene)).id, "... on Account { unreadNotificationCount }")


async def notification_of(scene: Scene, owner: Person | None) -> str:
    """A notification in the inbox of `owner` (of a fresh person of the target structure when None)."""
    owner = owner or await member(scene)
    async with scene.world.db.transaction() as session:
        row = Notification(
            account_id=owner.pk,
            kind=NotificationKind.REGISTRATION_UPDATED,
            message="Votre inscription a changé.",
            created_at=app_clock.now(),
        )
        session.add(row)
        await session.flush()
        return to_global_id("Notification", row.id)


async def run_node_notification(scene: Scene) -> str:
    return await node(scene, await notification_of(scene, scene.caller))


async def run_node_notification_other(scene: Scene) -> str:
    return await node(scene, await notification_of(scene, None))


async def run_mark_read(scene: Scene) -> str:
    notification = await notification_of(scene, scene.caller)
    return await mutation(
        scene, "notificationsMarkRead", "NotificationsMarkReadInput", {"ids": [notification]}
    )


async def run_mark_read_other(scene: Scene) -> str:
    notification = await notification_of(scene, None)
    return await mutation(
        scene, "notificationsMarkRead", "NotificationsMarkReadInput", {"ids": [notification]}
    )


# --------------------------------------------------------------------------------------------------------------
# Mutation: accounts and authentication. None involves a structure; "ok" is a real success of each.


async def run_sign_up(scene: Scene) -> str:
    email = f"nouveau{scene.world._next()}@example.org"
    value = {"email": email, "password": PASSWORD, "firstName": "Camille", "lastName": "Dupont"}
    return outcome(await scene.ask(SIGN_UP, {"input": value}))


async def run_verify_email(scene: Scene) -> str:
    token = await link_token(scene, await signed_up(scene), "verify_email")
    query = "mutation($t: String!) { verifyEmail(input: {token: $t}) { errors { code } } }"
    return outcome(await scene.ask(query, {"t": token}))


async def run_verification_email_resend(scene: Scene) -> str:
    # The caller's own address is made unconfirmed first: a confirmed one is refused (INVALID_INPUT).
    if scene.caller is not None:
        async with scene.world.db.transaction() as session:
            await session.execute(
                update(Account).where(Account.id == scene.caller.pk).values(email_verified_at=None)
            )
    return outcome(await scene.ask("mutation { verificationEmailResend { errors { code } } }"))


async def run_login(scene: Scene) -> str:
    email = await signed_up(scene)
    return outcome(await scene.ask(LOGIN, {"email": email, "password": PASSWORD}))


async def run_refresh_token(scene: Scene) -> str:
    return outcome(await scene.ask(REFRESH, {"token": await logged_in(scene)}))


async def run_logout(scene: Scene) -> str:
    return outcome(await scene.ask(LOGOUT, {"token": await logged_in(scene)}))


async def run_password_reset_request(scene: Scene) -> str:
    return await mutation(
        scene, "passwordResetRequest", "PasswordResetRequestInput", {"email": "x@example.org"}
    )


async def run_password_reset(scene: Scene) -> str:
    email = await signed_up(scene)
    body = await scene.anonymously(
        "mutation($e: String!) { passwordResetRequest(input: {email: $e}) { ok } }", {"e": email}
    )
    assert body["data"]["passwordResetRequest"]["ok"], body
    value = {
        "token": await link_token(scene, email, "password_reset"),
        "newPassword": "un tout autre secret long",
    }
    return await mutation(scene, "passwordReset", "PasswordResetInput", value)


async def run_account_anonymise(scene: Scene) -> str:
    person = await member(scene)
    value = {"accountId": person.id, "reason": "Demande de la personne"}
    return await mutation(scene, "accountAnonymise", "AccountAnonymiseInput", value)


async def run_account_disable(scene: Scene) -> str:
    person = await member(scene)
    value = {"accountId": person.id, "reason": "Départ de la structure"}
    return await mutation(scene, "accountDisable", "AccountDisableInput", value)


async def run_account_enable(scene: Scene) -> str:
    person = await member(scene)
    async with scene.world.db.transaction() as session:
        await session.execute(
            update(Account).where(Account.id == person.pk).values(disabled_at=app_clock.now())
        )
    return await mutation(scene, "accountEnable", "AccountEnableInput", {"accountId": person.id})


# Mutation: structures and affiliation


async def run_structure_request(scene: Scene) -> str:
    value = {"name": "Nouvelle structure", "siret": "35600000049837", "apeCode": "85.59A",
             "address": {"street": "1 rue", "postalCode": "33000", "city": "Bordeaux"}}  # fmt: skip
    return await mutation(scene, "structureRequest", "StructureRequestInput", value)


async def run_structure_validate(scene: Scene) -> str:
    org = await scene.world.structure(status=StructureStatus.PENDING)
    return await mutation(scene, "structureValidate", "StructureDecisionInput", {"structureId": org.id})


async def run_structure_reject(scene: Scene) -> str:
    org = await scene.world.structure(status=StructureStatus.PENDING)
    value = {"structureId": org.id, "reason": "Structure inconnue"}
    return await mutation(scene, "structureReject", "StructureDecisionInput", value)


async def run_structure_update(scene: Scene) -> str:
    value = {"structureId": scene.target.id, "name": "Nom corrigé", "reason": "Faute de frappe"}
    return await mutation(scene, "structureUpdate", "StructureUpdateInput", value)


async def run_change_propose(scene: Scene) -> str:
    value = {"structureId": scene.target.id, "name": "Nom proposé"}
    return await mutation(scene, "structureChangePropose", "StructureChangeProposeInput", value)


async def run_change_approve(scene: Scene) -> str:
    value = {"changeId": await change(scene)}
    return await mutation(scene, "structureChangeApprove", "StructureChangeDecisionInput", value)


async def run_change_reject(scene: Scene) -> str:
    value = {"changeId": await change(scene), "reason": "Nom inexact"}
    return await mutation(scene, "structureChangeReject", "StructureChangeDecisionInput", value)


async def run_membership_grant(scene: Scene) -> str:
    value = {"structureId": scene.target.id, "year": app_clock.now().year}
    return await mutation(scene, "membershipGrant", "MembershipGrantInput", value)


async def run_membership_revoke(scene: Scene) -> str:
    year = app_clock.now().year
    await member_of(scene.world, scene.target, year)
    value = {"structureId": scene.target.id, "year": year, "reason": "Cotisation impayée"}
    return await mutation(scene, "membershipRevoke", "MembershipRevokeInput", value)


async def run_affiliation_request(scene: Scene) -> str:
    value = {"structureId": scene.target.id}
    return await mutation(scene, "affiliationRequest", "AffiliationRequestInput", value)


async def run_affiliation_confirm(scene: Scene) -> str:
    waiting = await member(scene, status=AffiliationStatus.PENDING)
    return await mutation(scene, "affiliationConfirm", "AffiliationDecisionInput", {"accountId": waiting.id})


async def run_affiliation_refuse(scene: Scene) -> str:
    waiting = await member(scene, status=AffiliationStatus.PENDING)
    value = {"accountId": waiting.id, "reason": "Personne inconnue"}
    return await mutation(scene, "affiliationRefuse", "AffiliationDecisionInput", value)


def role_change(name: str, role: Role) -> Callable[[Scene], Awaitable[str]]:
    """roleGrant gives `role` to a plain account of the target; roleRevoke takes it from one who holds it."""

    async def run(scene: Scene) -> str:
        colleague = await member(scene, *([role] if name == "roleRevoke" else []))
        value = {"accountId": colleague.id, "role": role.value}
        return await mutation(scene, name, "RoleChangeInput", value)

    return run


async def run_referent_transfer(scene: Scene) -> str:
    colleague = await member(scene)
    return await mutation(scene, "referentTransfer", "ReferentTransferInput", {"accountId": colleague.id})


# Mutation: catalogue


async def run_training_create(scene: Scene) -> str:
    value = {"title": "Titre", "description": "D", "objectives": "O", "format": "WEBINAR",
             "reservedToMembers": False, "durationHours": 2, "providerStructureId": scene.target.id}  # fmt: skip
    return await mutation(scene, "trainingCreate", "TrainingCreateInput", value)


async def run_training_session_create(scene: Scene) -> str:
    place = await seats(scene)
    now = app_clock.now()
    start = now + timedelta(days=60)
    value = {
        "trainingId": place.training_id,
        "startsAt": start.isoformat(),
        "endsAt": (start + timedelta(hours=8)).isoformat(),
        "location": "Pessac",
        "capacity": 5,
        "registrationOpensAt": now.isoformat(),
        "registrationClosesAt": (start - timedelta(days=7)).isoformat(),
    }
    return await mutation(scene, "trainingSessionCreate", "TrainingSessionCreateInput", value)


async def run_training_update(scene: Scene) -> str:
    place = await seats(scene)
    value = {"trainingId": place.training_id, "content": "Programme détaillé de l'action."}
    return await mutation(scene, "trainingUpdate", "TrainingUpdateInput", value)


async def run_training_session_update(scene: Scene) -> str:
    place = await seats(scene)
    value = {"sessionId": place.session_id, "capacity": 12, "reason": "Une salle plus grande"}
    return await mutation(scene, "trainingSessionUpdate", "TrainingSessionUpdateInput", value)


async def run_training_session_cancel(scene: Scene) -> str:
    place = await seats(scene)
    value = {"sessionId": place.session_id, "reason": "Formateur indisponible"}
    return await mutation(scene, "trainingSessionCancel", "TrainingSessionCancelInput", value)


async def run_favourite_add(scene: Scene) -> str:
    place = await seats(scene)
    return await mutation(scene, "favouriteAdd", "FavouriteInput", {"trainingId": place.training_id})


async def run_favourite_remove(scene: Scene) -> str:
    place = await seats(scene)
    if scene.caller is not None:
        async with scene.world.db.transaction() as session:
            session.add(
                Favourite(
                    account_id=scene.caller.pk, training_id=place.training_pk, created_at=app_clock.now()
                )
            )
    return await mutation(scene, "favouriteRemove", "FavouriteInput", {"trainingId": place.training_id})


# Mutation: registrations and sessions


async def run_registration_request(scene: Scene) -> str:
    # One asks for oneself: own/other is the structure that runs the training.
    place = await seats(scene)
    return outcome(await scene.ask(REQUEST, {"session": place.session_id, "motivation": MOTIVATION}))


def decision(document: str, status: RegistrationStatus) -> Callable[[Scene], Awaitable[str]]:
    """A registration decision, on a registration in a state where it is allowed."""

    async def run(scene: Scene) -> str:
        registration_id = await registration(scene, status)
        return outcome(await scene.ask(document, {"id": registration_id, "reason": "Motif de la décision"}))

    return run


def seat_offer_answer(name: str) -> Callable[[Scene], Awaitable[str]]:
    """An answer to a seat held for a waitlisted person: the caller's own on the "own" side."""

    async def run(scene: Scene) -> str:
        place = await seats(scene, capacity=1)
        own = scene.side == "own" and scene.caller is not None and scene.role != "manager"
        person = scene.caller if own else await scene.world.person(scene.target)
        assert person is not None
        now = app_clock.now()
        async with scene.world.db.transaction() as session:
            row = Registration(
                beneficiary_id=person.pk,
                session_id=place.session_pk,
                training_id=place.training_pk,
                structure_id=scene.mine.pk if own else scene.target.pk,
                motivation=MOTIVATION,
                status=RegistrationStatus.WAITLISTED,
                over_structure_cap=False,
                requested_at=now,
                updated_at=now,
                offered_seat_at=now,
                offer_expires_at=now + timedelta(hours=1),
            )
            session.add(row)
            await session.execute(
                update(TrainingSession).where(TrainingSession.id == place.session_pk).values(seats_taken=1)
            )
            await session.flush()
            registration_id = to_global_id("Registration", row.id)
        query = f"mutation($id: ID!) {{ {name}(input: {{registrationId: $id}}) {{ errors {{ code }} }} }}"
        return outcome(await scene.ask(query, {"id": registration_id}))

    return run


async def run_convocations_send(scene: Scene) -> str:
    place = await seats(scene)
    await registration(scene, RegistrationStatus.ACCEPTED, place)
    return outcome(await scene.ask(SEND, {"session": place.session_id}))


async def run_attendance_record(scene: Scene) -> str:
    # A session that started two hours ago, with one accepted participant.
    place = await seats(scene, starts_in=timedelta(hours=-2))
    registration_id = await registration(scene, RegistrationStatus.ACCEPTED, place)
    entries = [{"registrationId": registration_id, "halfDaysAttended": 2}]
    return outcome(await scene.ask(RECORD, {"session": place.session_id, "halfDays": 2, "entries": entries}))


async def evaluated(scene: Scene) -> tuple[Seats, str]:
    """A session of the target that ran, and the registration of its participant, who attended and evaluated."""
    place = await seats(scene, starts_in=timedelta(days=-3))
    registration_id = await registration(scene, RegistrationStatus.ATTENDED, place)
    async with scene.world.db.transaction() as session:
        row = await session.get(Registration, from_global_id(registration_id)[1])
        assert row is not None
        session.add(
            Evaluation(
                registration_id=row.id,
                session_id=row.session_id,
                rating=4,
                would_recommend=True,
                comment="Très utile",
                submitted_at=app_clock.now(),
            )
        )
    return place, registration_id


def field_value(body: dict[str, Any], name: str) -> str:
    """ok when node(id) answers the field with a value, null when the node or the field is null."""
    if body.get("errors"):
        return outcome(body)
    node_value = body["data"]["node"]
    return "ok" if node_value and node_value[name] is not None else "null"


async def run_session_evaluation_summary(scene: Scene) -> str:
    place, _ = await evaluated(scene)
    query = "query($id: ID!) { node(id: $id) { ... on TrainingSession { evaluationSummary { responses } } } }"
    return field_value(await scene.ask(query, {"id": place.session_id}), "evaluationSummary")


async def run_registration_evaluation(scene: Scene) -> str:
    _, registration_id = await evaluated(scene)
    query = "query($id: ID!) { node(id: $id) { ... on Registration { evaluation { rating } } } }"
    return field_value(await scene.ask(query, {"id": registration_id}), "evaluation")


async def run_evaluation_submit(scene: Scene) -> str:
    place = await seats(scene, starts_in=timedelta(days=-3))
    registration_id = await registration(scene, RegistrationStatus.ATTENDED, place)
    value = {"registrationId": registration_id, "rating": 4, "wouldRecommend": True}
    return await mutation(scene, "evaluationSubmit", "EvaluationSubmitInput", value)


RUNNERS: dict[str, Callable[[Scene], Awaitable[str]]] = {
    "me": run_me,
    "myDataExport": run_my_data_export,
    "structures": run_structures,
    "trainings": run_trainings,
    "sessions": run_sessions,
    "providerSessions": run_provider_sessions,
    "pendingAffiliations": run_pending_affiliations,
    "managerDashboard": run_manager_dashboard,
    "employerOverview": run_employer_overview,
    "statistics": run_statistics,
    "node(Account)": run_node_account,
    "node(Structure)": run_node_structure,
    "node(Structure) PENDING": run_node_pending_structure,
    "node(StructureChange)": run_node_structure_change,
    "node(Training)": run_node_training,
    "node(TrainingSession)": run_node_training_session,
    "node(Registration)": run_node_registration,
    "Structure.accounts": run_structure_accounts,
    "TrainingSession.registrations": run_session_registrations,
    "Account.registrations": run_account_registrations,
    "Account.quota": run_account_quota,
    "Account.favourites": run_account_favourites,
    "TrainingSession.evaluationSummary": run_session_evaluation_summary,
    "Registration.evaluation": run_registration_evaluation,
    "Account.notifications": run_account_notifications,
    "Account.unreadNotificationCount": run_account_unread_count,
    "node(Notification)": run_node_notification,
    "node(Notification) other": run_node_notification_other,
    "notificationsMarkRead": run_mark_read,
    "notificationsMarkRead other": run_mark_read_other,
    "Structure.conventions": run_structure_conventions,
    "Structure.changes": run_structure_changes,
    "Decision.by(employer)": decision_by("employer"),
    "Decision.by(manager)": decision_by("manager"),
    "Decision.by(provider)": decision_by("provider"),
    "signUp": run_sign_up,
    "verifyEmail": run_verify_email,
    "verificationEmailResend": run_verification_email_resend,
    "login": run_login,
    "refreshToken": run_refresh_token,
    "logout": run_logout,
    "passwordResetRequest": run_password_reset_request,
    "passwordReset": run_password_reset,
    "accountAnonymise": run_account_anonymise,
    "accountDisable": run_account_disable,
    "accountEnable": run_account_enable,
    "structureRequest": run_structure_request,
    "structureValidate": run_structure_validate,
    "structureReject": run_structure_reject,
    "structureUpdate": run_structure_update,
    "structureChangePropose": run_change_propose,
    "structureChangeApprove": run_change_approve,
    "structureChangeReject": run_change_reject,
    "membershipGrant": run_membership_grant,
    "membershipRevoke": run_membership_revoke,
    "affiliationRequest": run_affiliation_request,
    "affiliationConfirm": run_affiliation_confirm,
    "affiliationRefuse": run_affiliation_refuse,
    "roleGrant(EMPLOYER)": role_change("roleGrant", Role.EMPLOYER),
    "roleGrant(PROVIDER)": role_change("roleGrant", Role.PROVIDER),
    "roleGrant(MANAGER)": role_change("roleGrant", Role.MANAGER),
    "roleRevoke(EMPLOYER)": role_change("roleRevoke", Role.EMPLOYER),
    "roleRevoke(PROVIDER)": role_change("roleRevoke", Role.PROVIDER),
    "referentTransfer": run_referent_transfer,
    "trainingCreate": run_training_create,
    "trainingUpdate": run_training_update,
    "trainingSessionCreate": run_training_session_create,
    "trainingSessionUpdate": run_training_session_update,
    "trainingSessionCancel": run_training_session_cancel,
    "favouriteAdd": run_favourite_add,
    "favouriteRemove": run_favourite_remove,
    "registrationRequest": run_registration_request,
    "registrationValidate": decision(VALIDATE, RegistrationStatus.PENDING_EMPLOYER),
    "registrationRefuse": decision(REFUSE, RegistrationStatus.PENDING_EMPLOYER),
    "registrationSelect": decision(SELECT, RegistrationStatus.PENDING_PROVIDER),
    "registrationWaitlist": decision(WAITLIST, RegistrationStatus.PENDING_PROVIDER),
    "registrationReject": decision(REJECT, RegistrationStatus.PENDING_PROVIDER),
    "registrationCancel": decision(CANCEL, RegistrationStatus.PENDING_PROVIDER),
    "convocationsSend": run_convocations_send,
    "attendanceRecord": run_attendance_record,
    "evaluationSubmit": run_evaluation_submit,
    "seatOfferAccept": seat_offer_answer("seatOfferAccept"),
    "seatOfferDecline": seat_offer_answer("seatOfferDecline"),
}
ROLE_GRANTS = {"employer": (Role.EMPLOYER,), "referent": (Role.REFERENT,), "provider": (Role.PROVIDER,)}


def cells() -> list[Any]:
    found = []
    for operation in MATRIX:
        for role in ROLES:
            for side in sides(operation):
                marks = []
                if (operation, role, side) in SUSPECT:
                    marks.append(pytest.mark.xfail(strict=True, reason=SUSPECT[operation, role, side]))
                cell_id = f"{operation}-{role}" + ("" if side == "-" else f"-{side}")
                found.append(pytest.param(operation, role, side, marks=marks, id=cell_id))
    return found


@pytest.fixture
def world(db: Any, settings: Any, gql: Any, clock: Any) -> World:
    return World(db, AccessTokens(settings), gql)


@pytest.mark.parametrize(("operation", "role", "side"), cells())
async def test_permission_matrix(world: World, operation: str, role: str, side: str):
    mine, theirs = await world.structure("Ma structure"), await world.structure("Une autre structure")
    # Each structure keeps a referent of its own, so that no rule but the permission one can refuse.
    await world.person(mine, Role.REFERENT)
    await world.person(theirs, Role.REFERENT)
    if role == "anonymous":
        caller = None
    elif role == "manager":
        caller = await world.manager()
    else:
        caller = await world.person(mine, *ROLE_GRANTS.get(role, ()))
    scene = Scene(world, role, caller, mine, theirs, side)
    assert await RUNNERS[operation](scene) == expected(operation, role, side)


def field_of(row: str) -> str:
    """The schema field a row exercises: "roleGrant(EMPLOYER)" -> "roleGrant", "node(Account)" -> "node"."""
    return row.partition("(")[0]


def test_every_operation_is_in_the_matrix():
    live = graphql.build_schema(schema.as_str())
    query, mutation_type = live.query_type, live.mutation_type
    assert query is not None
    assert mutation_type is not None
    node_interface = live.get_type("Node")
    assert isinstance(node_interface, graphql.GraphQLInterfaceType)
    node_types = {kind.name for kind in live.get_possible_types(node_interface)}
    rows = set(MATRIX)
    assert set(query.fields) - {"node"} <= rows
    assert set(mutation_type.fields) <= {field_of(row) for row in rows}
    assert node_types <= {match[1] for row in rows if (match := re.match(r"node\((\w+)\)", row))}
    assert set(RUNNERS) == rows
    assert all(len(row) == len(ROLES) for row in MATRIX.values())
    # A row either involves a structure in every cell or in none; every code abbreviation is known.
    for operation, row in MATRIX.items():
        assert len({cell.endswith("-") for cell in row}) == 1, operation
        for cell in row:
            for value in cell.removesuffix("-").split("/"):
                assert value in CODES or value == "ok" or value.isupper(), (operation, cell)
    assert set(SUSPECT) <= {(operation, role, side) for operation in MATRIX for role in ROLES
                            for side in sides(operation)}  # fmt: skip
