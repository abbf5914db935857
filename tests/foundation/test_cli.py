"""The `parcourspro-gql` command, run as a real process the way an operator runs it."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from email import message_from_bytes, policy

import httpx
import pytest
from sqlalchemy import func, select

from parcourspro_gql.cli import derived_public_url
from parcourspro_gql.db import Database
from parcourspro_gql.mail.outbox import enqueue
from parcourspro_gql.models import (
    Account,
    AccountRole,
    AffiliationStatus,
    AuditEntry,
    OutboxMessage,
    OutboxStatus,
    Registration,
    RegistrationStatus,
    Role,
    Structure,
    StructureStatus,
)
from parcourspro_gql.schema.export import export_sdl

COMMAND = [sys.executable, "-m", "parcourspro_gql.cli"]


def run(environ: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args], env=environ, capture_output=True, text=True, timeout=120, check=False
    )


def test_help_lists_every_command(environ):
    result = run(environ, "--help")
    assert result.returncode == 0
    for command in ("serve", "migrate", "seed-demo", "worker", "export-schema", "create-manager"):
        assert command in result.stdout


def test_export_schema_writes_the_sorted_sdl(environ, tmp_path):
    target = tmp_path / "out.graphql"
    assert run(environ, "export-schema", "--output", str(target)).returncode == 0
    assert target.read_text() == export_sdl()


async def test_migrate_create_manager_seed_and_worker(environ, empty_database_url, tmp_path):
    assert run(environ, "migrate").returncode == 0
    created = run(
        environ,
        "create-manager",
        "--email",
        " Chef@Cap-Metiers.fr ",
        "--password",
        "correct horse battery",
        "--first-name",
        "Anne",
        "--last-name",
        "Roux",
    )
    assert created.returncode == 0, created.stderr
    again = run(
        environ,
        "create-manager",
        "--email",
        "chef@cap-metiers.fr",
        "--password",
        "correct horse battery",
        "--first-name",
        "Anne",
        "--last-name",
        "Roux",
    )
    assert again.returncode == 2
    assert "EMAIL_ALREADY_USED" in again.stderr
    weak = run(
        environ,
        "create-manager",
        "--email",
        "b@cap-metiers.fr",
        "--password",
        "short",
        "--first-name",
        "B",
        "--last-name",
        "C",
    )
    assert weak.returncode == 2
    assert "WEAK_PASSWORD" in weak.stderr

    first = run(environ, "seed-demo")
    assert first.returncode == 0, first.stderr
    assert "Données de démonstration créées." in first.stdout
    assert "manager@demo.parcourspro.fr" in first.stdout
    second = run(environ, "seed-demo")
    assert "déjà présentes" in second.stdout

    db = Database.from_url(empty_database_url)
    try:
        async with db.read() as session:
            manager = await session.scalar(
                select(Account).where(Account.email_normalized == "chef@cap-metiers.fr")
            )
            assert manager is not None
            assert manager.email == "Chef@Cap-Metiers.fr"
            roles = set(
                await session.scalars(select(AccountRole.role).where(AccountRole.account_id == manager.id))
            )
            assert roles == {Role.MANAGER}
            audit = await session.scalar(select(AuditEntry).where(AuditEntry.entity_id == manager.id))
            assert (audit.entity_type, audit.action, audit.to_state, audit.actor_id) == (
                "Account",
                "role.grant",
                "MANAGER",
                None,
            )
            registration_states = set(await session.scalars(select(Registration.status).distinct()))
            structure_states = set(await session.scalars(select(Structure.status).distinct()))
            affiliation_states = set(await session.scalars(select(Account.affiliation_status).distinct()))
            accounts = await session.scalar(select(func.count()).select_from(Account))
        # The demo world has every state a newcomer should be able to look at, and only once.
        assert registration_states == set(RegistrationStatus)
        assert structure_states == set(StructureStatus)
        assert {
            AffiliationStatus.NONE,
            AffiliationStatus.PENDING,
            AffiliationStatus.ACTIVE,
        } <= affiliation_states
        assert accounts == 12

        async with db.transaction() as session:
            await enqueue(
                session,
                to="x@example.org",
                template="verify_email",
                context={"first_name": "X", "link": "https://t/verify-email?token=1", "valid_hours": 48},
            )
        delivered = run(environ, "worker", "--once")
        assert delivered.returncode == 0, delivered.stderr
        assert "1 envoyé(s), 0 en échec." in delivered.stdout
        [eml] = (tmp_path / "mail").glob("*.eml")
        message = message_from_bytes(eml.read_bytes(), policy=policy.default)
        assert message["To"] == "x@example.org"
        assert "verify-email?token=1" in message.get_body(("plain",)).get_content()
        async with db.read() as session:
            assert set(await session.scalars(select(OutboxMessage.status))) == {OutboxStatus.SENT}
    finally:
        await db.dispose()


SIGN_UP = """mutation { signUp(input: {email: "z@example.org", password: "une phrase de passe solide",
  firstName: "Zoé", lastName: "Martin"}) { errors { code } } }"""


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:8011"),
        ("0.0.0.0", "http://127.0.0.1:8011"),
        ("::", "http://[::1]:8011"),
        ("api.local", "http://api.local:8011"),
    ],
)
def test_serve_derives_the_public_url_from_its_host_and_port(host, url):
    assert derived_public_url(host, 8011) == url


def test_serve_refuses_production_without_a_public_url(environ):
    environ = {**environ, "PARCOURSPRO_ENV": "production", "PARCOURSPRO_SECRET_KEY": "p" * 48}
    environ.pop("PARCOURSPRO_PASSWORD_HASH_PROFILE")
    result = run(environ, "serve", "--port", "1")
    assert result.returncode == 2
    assert "PARCOURSPRO_PUBLIC_URL" in result.stderr


async def test_serve_answers_graphql_and_health_and_delivers_mail(
    environ, empty_database_url, unused_port, tmp_path
):
    assert run(environ, "migrate").returncode == 0
    db = Database.from_url(empty_database_url)
    try:
        async with db.transaction() as session:
            await enqueue(
                session,
                to="y@example.org",
                template="verify_email",
                context={"first_name": "Y", "link": "https://t/verify-email?token=2", "valid_hours": 48},
            )
    finally:
        await db.dispose()
    server = await asyncio.create_subprocess_exec(
        *COMMAND,
        "serve",
        "--port",
        str(unused_port),
        env=environ,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    mail = tmp_path / "mail"
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{unused_port}", timeout=5) as http:
            health = await wait_for_server(http, server)
            assert health.json()["status"] == "ok"
            answer = await http.post("/graphql", json={"query": "{ __typename }"})
            assert answer.json()["data"] == {"__typename": "Query"}
            signed_up = await http.post("/graphql", json={"query": SIGN_UP})
            assert signed_up.json()["data"]["signUp"]["errors"] == []
        # `serve` delivers the outbox in-process (no --no-mail-dispatch given); the loop polls every 2 s.
        for _ in range(100):
            if len(list(mail.glob("*.eml"))) == 2:
                break
            await asyncio.sleep(0.1)
        emails = [
            message_from_bytes(path.read_bytes(), policy=policy.default).get_body(("plain",)).get_content()
            for path in mail.glob("*.eml")
        ]
        assert len(emails) == 2
        # Without PARCOURSPRO_PUBLIC_URL, links point at the port `serve` was given.
        assert any(f"http://127.0.0.1:{unused_port}/verify-email?token=" in email for email in emails)
    finally:
        server.terminate()
        output, _ = await asyncio.wait_for(server.communicate(), timeout=20)
    assert b'"message": "POST /graphql 200"' in output


async def wait_for_server(http: httpx.AsyncClient, server: asyncio.subprocess.Process) -> httpx.Response:
    for _ in range(150):
        try:
            return await http.get("/health")
        except httpx.TransportError:
            if server.returncode is not None:
                raise
            await asyncio.sleep(0.2)
    raise TimeoutError("the server did not start within 30 s")


def test_purge_counts_then_deletes_what_outlived_its_period(environ):
    assert run(environ, "migrate").returncode == 0
    assert run(environ, "seed-demo").returncode == 0
    # The demo's unverified account is a few days old: kept with the default period, gone with a zero one.
    kept = run(environ, "purge", "--dry-run")
    assert kept.returncode == 0, kept.stderr
    assert "à supprimer" in kept.stdout
    assert "unverified accounts    0" in kept.stdout
    environ = {**environ, "PARCOURSPRO_RETENTION_UNVERIFIED_DAYS": "0"}
    counted = run(environ, "purge", "--dry-run")
    assert "unverified accounts    1" in counted.stdout
    deleted = run(environ, "purge")
    assert "supprimés" in deleted.stdout
    assert "unverified accounts    1" in deleted.stdout
    assert "unverified accounts    0" in run(environ, "purge").stdout
    bad = run({**environ, "PARCOURSPRO_RETENTION_MAIL_DAYS": "ninety"}, "purge")
    assert bad.returncode != 0
    assert "PARCOURSPRO_RETENTION_MAIL_DAYS" in bad.stderr
