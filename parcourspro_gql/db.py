"""Engine, sessions, naming convention and the declarative Base."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, DateTime, MetaData, Result, event, exc
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

log = logging.getLogger(__name__)
T = TypeVar("T")

# PostgreSQL's serialization failure and deadlock: the transaction was rolled back as a whole and running it
# again from the start is correct (every use case re-reads what it decides on).
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
TRANSACT_ATTEMPTS = 5


def is_retryable(error: BaseException) -> bool:
    """A serialization failure or a deadlock, as asyncpg reports them through SQLAlchemy."""
    original = getattr(error, "orig", None)
    return getattr(original, "sqlstate", None) in RETRYABLE_SQLSTATES


NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# SQLite's primary result codes that mean "the database cannot serve now" rather than "a bug".
_SQLITE_UNAVAILABLE = {
    5: "busy",  # SQLITE_BUSY: the busy timeout ran out
    6: "busy",  # SQLITE_LOCKED
    8: "read_only",  # SQLITE_READONLY: a read-only file, folder or mount
    10: "unreachable",  # SQLITE_IOERR
    13: "disk_full",  # SQLITE_FULL
    14: "unreachable",  # SQLITE_CANTOPEN
}
# PostgreSQL SQLSTATEs (and their classes) that mean the same.
_POSTGRES_UNAVAILABLE = {
    "08": "unreachable",  # connection exceptions
    "57P": "unreachable",  # admin/crash shutdown, cannot connect now
    "57014": "timeout",  # statement_timeout (or a cancelled statement)
    "55P03": "busy",  # lock_timeout
    "25006": "read_only",  # read-only transaction (a standby, default_transaction_read_only)
    "53": "busy",  # insufficient resources: disk full, out of memory, too many connections
}


def database_unavailable(error: BaseException | None) -> str | None:
    """Why `error` means that the database cannot serve now (down, unreachable, frozen past a time limit,
    read-only, full, locked), or None when it does not: such errors are answered 503 "retry later", never
    "internal error". Looks through SQLAlchemy's wrapping and the exception's causes."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
            return "unreachable"
        if isinstance(error, exc.TimeoutError):  # no pooled connection came free within pool_timeout
            return "busy"
        if isinstance(error, TimeoutError):  # connect or command timeout of the driver
            return "timeout"
        if isinstance(error, OSError):  # refused, reset, no route
            return "unreachable"
        kind = _classify_driver_error(error)
        if kind is not None:
            return kind
        error = getattr(error, "orig", None) or error.__cause__ or error.__context__
    return None


def _classify_driver_error(error: BaseException) -> str | None:
    code = getattr(error, "sqlite_errorcode", None)
    if isinstance(code, int):
        return _SQLITE_UNAVAILABLE.get(code & 0xFF)
    sqlstate = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    if isinstance(sqlstate, str):
        for prefix in (sqlstate, sqlstate[:3], sqlstate[:2]):
            if prefix in _POSTGRES_UNAVAILABLE:
                return _POSTGRES_UNAVAILABLE[prefix]
    # asyncpg's own errors for a connection that is gone (they carry no SQLSTATE).
    name = type(error).__name__
    if name in {"ConnectionDoesNotExistError", "ConnectionFailureError"} or (
        name == "InterfaceError" and "connection is closed" in str(error)
    ):
        return "unreachable"
    return None


def connection_dropped(error: BaseException | None) -> bool:
    """True when `error` ended a connection that the pool had handed out (the server restarted, a proxy cut
    it): the pool has been invalidated and a retry takes a fresh connection."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
            return True
        error = error.__cause__ or error.__context__
    return False


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class _SQLiteUTCDateTime(sqlite.DATETIME):
    """SQLite keeps UTC as naive text ("2026-11-28 09:00:00.000000"); it is read straight into an aware UTC
    datetime. One C call per value instead of SQLAlchemy's parse plus `replace(tzinfo=...)`, which cost about
    1 ms on a page of 100 registrations with their sessions, trainings and people."""

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        def process(value: str | None) -> datetime | None:
            if value is None:
                return None
            try:
                return datetime.fromisoformat(value + "+00:00")
            except ValueError:  # written with an offset, by hand
                parsed = datetime.fromisoformat(value)
                return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)

        return process


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on SQLite (which stores no zone) as on PostgreSQL (whose driver
    hands back `timestamptz` values in UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(_SQLiteUTCDateTime())
        return dialect.type_descriptor(self.impl)

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value


# SQLite: a write transaction takes the database's write lock when it starts (BEGIN IMMEDIATE), so two
# writers queue on busy_timeout instead of one failing with "database is locked" when it upgrades a read
# lock. Read transactions stay DEFERRED and, with WAL, never block writers.
_WRITE_OPTION = "parcourspro_write"


def _configure_sqlite(engine: AsyncEngine, busy_timeout: float) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # Reads run without an explicit transaction: in WAL mode each statement sees one consistent snapshot,
        # and every read session of ours issues one statement. That saves two round trips to aiosqlite's
        # thread per read session, which is most of its cost.
        if connection.get_execution_options().get(_WRITE_OPTION, False):
            connection.exec_driver_sql("BEGIN IMMEDIATE")


# Counts the write transactions of this process: bumped when one commits (before the commit, by the engine's
# event, and once more when Database.transaction() has ended). Caches of what a read saw (the caller's
# account, auth/cache.py) note its value before reading and refill once it has moved, so a read that raced a
# commit is never kept.
_write_generation = 0


def write_generation() -> int:
    return _write_generation


def _bump_write_generation(*_: Any) -> None:
    global _write_generation
    _write_generation += 1


@dataclass(frozen=True)
class DatabaseLimits:
    """How long anything may wait on the database (seconds; 0 turns a server-side limit off). Without them a
    frozen database holds every request, and every pooled connection, for as long as it stays frozen."""

    connect: float = 5.0  # opening a connection (asyncpg)
    command: float = 20.0  # one statement, measured by the driver (asyncpg), above `statement`
    pool: float = 10.0  # waiting for a pooled connection to come free
    statement: float = 15.0  # PostgreSQL's statement_timeout
    lock: float = 5.0  # PostgreSQL's lock_timeout
    sqlite_busy: float = 10.0  # SQLite's busy timeout: waiting for another writer

    @classmethod
    def from_settings(cls, settings: Any) -> DatabaseLimits:
        return cls(
            connect=settings.db_connect_timeout_seconds,
            command=settings.db_command_timeout_seconds,
            pool=settings.db_pool_timeout_seconds,
            statement=settings.db_statement_timeout_seconds,
            lock=settings.db_lock_timeout_seconds,
            sqlite_busy=settings.sqlite_busy_timeout_seconds,
        )


def create_engine(database_url: str, limits: DatabaseLimits | None = None, **kwargs: Any) -> AsyncEngine:
    """An async engine for SQLite (aiosqlite) or PostgreSQL (asyncpg), configured for our use."""
    engine = _create_engine(database_url, limits or DatabaseLimits(), **kwargs)
    event.listen(engine.sync_engine, "commit", _bump_write_generation)
    return engine


def _create_engine(database_url: str, limits: DatabaseLimits, **kwargs: Any) -> AsyncEngine:
    if kwargs.get("poolclass") is None:
        kwargs.setdefault("pool_timeout", limits.pool)
    if database_url.startswith("sqlite"):
        # Sessions always end their transaction themselves; a second ROLLBACK when the pool takes the connection
        # back would be one more thread round trip for nothing.
        kwargs.setdefault("pool_reset_on_return", None)
        engine = create_async_engine(database_url, connect_args={"timeout": limits.sqlite_busy}, **kwargs)
        _configure_sqlite(engine, limits.sqlite_busy)
        return engine
    if kwargs.get("poolclass") is None:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 10)
    # No ping at each checkout (one more round trip for every read session): a connection that the server
    # dropped fails one statement, SQLAlchemy then invalidates the pool and the next request reconnects (a
    # query is retried once, app.py); connections are renewed every 30 minutes, before idle timeouts of
    # proxies and balancers.
    kwargs.setdefault("pool_pre_ping", False)
    kwargs.setdefault("pool_recycle", 1800)
    connect_args = {
        "timeout": limits.connect,
        "command_timeout": limits.command,
        # Sent with the startup packet: no round trip per connection. PgBouncer in transaction mode refuses
        # unknown startup parameters: list them in its ignore_startup_parameters, or set them on the role.
        "server_settings": {
            "statement_timeout": str(int(limits.statement * 1000)),
            "lock_timeout": str(int(limits.lock * 1000)),
            # Every statement planned for its own parameters (issue 19). asyncpg prepares each statement and,
            # after five executions, PostgreSQL may switch to a generic plan built for an average parameter:
            # for a big structure's cursor page that plan read and sorted all its registrations (57 ms instead
            # of 0.3). Planning each time costs ~0.1 ms per statement; see docs/decisions.md.
            "plan_cache_mode": "force_custom_plan",
        },
        **kwargs.pop("connect_args", {}),
    }
    return create_async_engine(database_url, connect_args=connect_args, **kwargs)


class Database:
    """The engine and its two session factories: short read sessions and write transactions."""

    def __init__(self, engine: AsyncEngine, settings: Any = None) -> None:
        self.engine = engine
        # Domain functions read the settings (quotas, windows) from `session.info["settings"]`.
        info = {"settings": settings}
        # Reads run outside any transaction (autocommit): on PostgreSQL no BEGIN and ROLLBACK round trips around
        # each loader's statement, as on SQLite (see _configure_sqlite). Reads that need one snapshot for
        # several statements use transaction().
        reader = (
            engine
            if engine.dialect.name == "sqlite"
            else engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        self._reader = reader
        self._read = async_sessionmaker(reader, expire_on_commit=False, autoflush=False, info=info)
        self._write = async_sessionmaker(
            engine.execution_options(**{_WRITE_OPTION: True}),
            expire_on_commit=False,
            autoflush=False,
            info=info,
        )

    @classmethod
    def from_url(cls, database_url: str, settings: Any = None, **engine_kwargs: Any) -> Database:
        """A database whose time limits are the settings' (the defaults of DatabaseLimits without them)."""
        limits = DatabaseLimits.from_settings(settings) if settings is not None else None
        return cls(create_engine(database_url, limits, **engine_kwargs), settings)

    @property
    def url(self) -> str:
        """The engine's URL, password included (the event listener opens its own connection with it)."""
        return self.engine.url.render_as_string(hide_password=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for reads; its transaction is rolled back at the end."""
        async with self._read() as session:
            yield session

    @asynccontextmanager
    async def read_rows(self) -> AsyncIterator[AsyncConnection]:
        """A connection for one read whose result is rows of columns, not entities: the reads of read(),
        without an ORM session around them (a page read narrow, say); rolled back at the end."""
        async with self._reader.connect() as connection:
            yield connection

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One write transaction: committed when the block ends, rolled back on any exception."""
        try:
            async with self._write() as session, session.begin():
                yield session
        finally:
            _bump_write_generation()

    async def transact(
        self, work: Callable[[AsyncSession], Awaitable[T]], *, attempts: int = TRANSACT_ATTEMPTS
    ) -> T:
        """`work` in one write transaction, run again from the start (in a new transaction) when PostgreSQL
        aborts it for a serialization failure or a deadlock, at most `attempts` times in all.

        A short random pause before each new attempt keeps two colliding transactions from meeting again.
        Anything else (a refusal, another database error) propagates at once.
        """
        attempt = 1
        while True:
            try:
                async with self.transaction() as session:
                    return await work(session)
            except DBAPIError as error:
                if attempt >= attempts or not is_retryable(error):
                    raise
                log.info(
                    "transaction retried",
                    extra={"attempt": attempt, "sqlstate": getattr(error.orig, "sqlstate", None)},
                )
            await asyncio.sleep(random.uniform(0, 0.005 * 2**attempt))
            attempt += 1

    async def analyze(self, *tables: str) -> None:
        """Refreshes the planner's statistics after a bulk load (SQLite needs them to prefer selective indexes)."""
        async with self.engine.connect() as connection:
            for table in tables:
                await connection.exec_driver_sql(f"ANALYZE {table}")
            await connection.commit()

    async def dispose(self) -> None:
        await self.engine.dispose()


def rows_changed(result: Result[Any]) -> int:
    """How many rows the UPDATE or DELETE that answered `result` changed. session.execute is annotated as
    returning a Result; for these statements it is a CursorResult, which holds the count."""
    return cast("CursorResult[Any]", result).rowcount
