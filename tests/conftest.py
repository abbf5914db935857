"""Fixtures: a freshly migrated database (SQLite, or PostgreSQL when asked), the real app, real SMTP."""

from __future__ import annotations

import os
import secrets
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from differential import TWIN_RUNNING, Differential
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from parcourspro_gql.app import create_app
from parcourspro_gql.clock import clock as app_clock
from parcourspro_gql.config import Settings, load_settings
from parcourspro_gql.db import Base, Database, DatabaseLimits, create_engine
from parcourspro_gql.engine import fallbacks
from parcourspro_gql.migrate import upgrade

# Helpers shared by the test folders (world builders, operations) import as plain modules.
sys.path.insert(0, str(Path(__file__).with_name("support")))
from suite_limits import SUITE_LIMITS

TEST_DATABASE_URL = os.environ.get("PARCOURSPRO_TEST_DATABASE_URL", "")
# The suite runs with the engine's fast paths on (the default) and, in CI's second pass, off.
FAST_PATHS = os.environ.get("PARCOURSPRO_FAST_PATHS", "true")
# A shortcut of the engine that fails unexpectedly raises here instead of quietly taking the normal way.
fallbacks.switch.raise_in_tests = True
# CREATE and DROP DATABASE wait for a checkpoint, which takes a while on a busy machine: no statement limit
# for the suite's own set-up (the app's limits are tested in tests/faults).
UNLIMITED = DatabaseLimits(statement=0, command=600)
Gql = Callable[..., Awaitable[dict[str, Any]]]


def _postgres_admin_url(url: str) -> tuple[str, str]:
    """(URL of the server's maintenance connection, name of a fresh database for this run)."""
    parsed = make_url(url)
    name = f"{parsed.database or 'test'}_pp_{os.getpid()}_{secrets.token_hex(3)}"
    return parsed.render_as_string(hide_password=False), name


async def create_test_database(tmp_dir: Path) -> tuple[str, Callable[[], Awaitable[None]]]:
    """A new, empty database: a file in tmp_dir, or a new PostgreSQL database when the suite runs on it."""
    if not TEST_DATABASE_URL.startswith("postgresql"):
        path = tmp_dir / f"test-{secrets.token_hex(4)}.db"

        def remove_files() -> None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

        async def drop_file() -> None:
            remove_files()

        return f"sqlite+aiosqlite:///{path}", drop_file
    admin_url, name = _postgres_admin_url(TEST_DATABASE_URL)
    admin = create_engine(admin_url, UNLIMITED, isolation_level="AUTOCOMMIT", pool_size=1, max_overflow=0)
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OSError as error:  # unreachable server: a failure, never a skip
        await admin.dispose()
        raise RuntimeError(f"PostgreSQL at {TEST_DATABASE_URL} is unreachable: {error}") from error

    async def drop_database() -> None:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop_database


@pytest.fixture(scope="session")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("var")


@pytest.fixture(scope="session")
async def database_url(var_dir: Path) -> AsyncIterator[str]:
    url, drop = await create_test_database(var_dir)
    engine = create_engine(url, UNLIMITED)
    await upgrade(engine)
    await engine.dispose()
    yield url
    await drop()


@pytest.fixture
async def empty_database_url(var_dir: Path) -> AsyncIterator[str]:
    """A brand-new, never migrated database of the kind the suite runs on."""
    url, drop = await create_test_database(var_dir)
    yield url
    await drop()


@pytest.fixture(scope="session")
def settings(database_url: str, var_dir: Path) -> Settings:
    return load_settings(
        {
            "PARCOURSPRO_ENV": "development",
            "PARCOURSPRO_DATABASE_URL": database_url,
            "PARCOURSPRO_VAR_DIR": str(var_dir),
            "PARCOURSPRO_PUBLIC_URL": "https://parcourspro.test",
            "PARCOURSPRO_MAIL_URL": f"file://{var_dir}/mail",
            "PARCOURSPRO_MAIL_DISPATCH": "false",
            "PARCOURSPRO_PASSWORD_HASH_PROFILE": "test",
            "PARCOURSPRO_FAST_PATHS": FAST_PATHS,
            **SUITE_LIMITS,
        }
    )


@pytest.fixture(scope="session")
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = Database.from_url(settings.database_url, settings)
    yield database
    await database.dispose()


@pytest.fixture(autouse=True)
def _no_shortcut_failed() -> Iterator[None]:
    """A shortcut that failed fails the test, even when the error only reached the answer's `errors`."""
    fallbacks.switch.failures.clear()
    yield
    failures, fallbacks.switch.failures[:] = list(fallbacks.switch.failures), []
    assert not failures, failures


@pytest.fixture(autouse=True)
async def _clean_tables(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Every test starts from empty tables (the schema itself is migrated once per run)."""
    yield
    if "db" not in request.fixturenames:
        return
    database: Database = request.getfixturevalue("db")
    tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
    async with database.engine.begin() as connection:
        if database.dialect == "postgresql":
            await connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            # structures and accounts reference each other; outside a transaction (our SQLite read connections
            # run in autocommit) the checks can simply be paused.
            await connection.execute(text("PRAGMA foreign_keys=OFF"))
            for table in tables:
                await connection.execute(text(f"DELETE FROM {table}"))
            await connection.execute(text("PRAGMA foreign_keys=ON"))


@pytest.fixture
def clock() -> Iterator[Any]:
    """The application's clock, frozen at a fixed instant for the test; move it with clock.advance()."""
    app_clock.freeze(datetime(2026, 11, 28, 9, 0, tzinfo=UTC))
    yield app_clock
    app_clock.unfreeze()


@pytest.fixture(scope="session")
def app(settings: Settings, db: Database) -> Any:
    return create_app(settings, db=db)


@pytest.fixture(scope="session")
def differential(settings: Settings, db: Database, app: Any) -> Differential | None:
    """With the fast paths on, the differential harness (tests/support/differential.py): every read a test
    sends through `client` is answered by a twin app with the fast paths off too, and must be the same."""
    if not settings.fast_paths:
        return None
    return Differential(app, create_app(replace(settings, fast_paths=False), db=db))


@pytest.fixture
async def client(app: Any, differential: Differential | None) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=differential or app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def gql(client: httpx.AsyncClient) -> Gql:
    """Posts one GraphQL operation as a client would and returns the decoded JSON body."""

    async def run(
        query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        assert response.headers["content-type"].startswith("application/json"), response.text
        return response.json()

    return run


@dataclass
class StatementCounter:
    statements: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)

    def reset(self) -> None:
        self.statements.clear()


@pytest.fixture
def statements(db: Database) -> Iterator[StatementCounter]:
    """Counts the SQL statements sent to the database while the test runs."""
    counter = StatementCounter()

    def before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if TWIN_RUNNING.get():  # the differential harness's second answer: not the test's
            return
        if not statement.startswith(("BEGIN", "PRAGMA", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT")):
            counter.statements.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", before)
    yield counter
    event.remove(db.engine.sync_engine, "before_cursor_execute", before)


class Mailbox:
    """What a real SMTP server (aiosmtpd on 127.0.0.1) received."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[Any]:
        from email import message_from_bytes, policy

        return [message_from_bytes(envelope.content, policy=policy.default) for envelope in self.envelopes]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def unused_port() -> int:
    return free_port()


@dataclass
class SmtpServer:
    mailbox: Mailbox
    port: int
    controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(Mailbox(), free_port())
    server.start()
    yield server
    server.stop()


class Outbox:
    """Delivers the outbox to the test's SMTP server and hands back what arrived since the last call."""

    def __init__(self, db: Database, smtp: SmtpServer) -> None:
        from parcourspro_gql.mail.dispatcher import Dispatcher
        from parcourspro_gql.mail.sender import SmtpSender

        self.dispatcher = Dispatcher(
            db, SmtpSender(smtp.url, timeout=5), "ParcoursPro <no-reply@parcourspro.test>"
        )
        self.smtp = smtp
        self.seen = 0

    async def deliver(self) -> list[Any]:
        await self.dispatcher.run_once()
        messages = self.smtp.mailbox.messages()
        fresh, self.seen = messages[self.seen :], len(messages)
        return fresh


@pytest.fixture
def outbox(db: Database, smtp: SmtpServer) -> Outbox:
    return Outbox(db, smtp)


def link_token(message: Any, path: str) -> str:
    """The `token` parameter of the link to `path` in an email's text."""
    import re
    from urllib.parse import parse_qs, urlsplit

    body = message.get_body(("plain",)).get_content()
    [link] = re.findall(r"https?://\S+", body)
    parts = urlsplit(link)
    assert parts.path == path, link
    return parse_qs(parts.query)["token"][0]


@pytest.fixture
def token_from() -> Callable[[Any, str], str]:
    return link_token
