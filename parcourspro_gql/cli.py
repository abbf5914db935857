"""The `parcourspro-gql` command."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from parcourspro_gql.config import ConfigError, Settings, load_settings
from parcourspro_gql.db import Database
from parcourspro_gql.logs import configure_logging

log = logging.getLogger("parcourspro_gql.cli")


def _database(settings: Settings) -> Database:
    if settings.is_sqlite:
        # The default SQLite file lives under var/: make sure the folder exists.
        path = settings.database_url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    return Database.from_url(settings.database_url, settings)


async def _migrate(settings: Settings) -> None:
    from dataclasses import replace

    from parcourspro_gql.migrate import upgrade

    # An index built on a big table may take minutes: no statement limit for migrations (the lock limit
    # stays, so that a migration waiting behind traffic gives up instead of queueing everyone behind it).
    db = _database(replace(settings, db_statement_timeout_seconds=0.0, db_command_timeout_seconds=3600.0))
    try:
        await upgrade(db.engine)
    finally:
        await db.dispose()


def cmd_migrate(settings: Settings, _: argparse.Namespace) -> int:
    asyncio.run(_migrate(settings))
    print("Base de données à jour.")
    return 0


def derived_public_url(host: str, port: int) -> str:
    """The URL a browser on this machine reaches `serve --host HOST --port PORT` at: the base of the links
    in emails and of Document.url when PARCOURSPRO_PUBLIC_URL is not set."""
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "[::1]"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    if not os.environ.get("PARCOURSPRO_PUBLIC_URL"):
        if settings.is_production:
            # Behind a balancer the bind address is never what clients reach: links would be dead.
            print(
                "Configuration invalide : PARCOURSPRO_PUBLIC_URL est requis en production.", file=sys.stderr
            )
            return 2
        # Read again by each uvicorn worker's settings: `make run PORT=8011` links to port 8011.
        os.environ["PARCOURSPRO_PUBLIC_URL"] = derived_public_url(args.host, args.port)
    if args.no_mail_dispatch:
        os.environ["PARCOURSPRO_MAIL_DISPATCH"] = "false"
    uvicorn.run(
        "parcourspro_gql.app:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_config=None,
        # X4: X-Forwarded-* are believed from PARCOURSPRO_TRUSTED_PROXIES only (empty: from nobody), never
        # from uvicorn's default of 127.0.0.1: a local process in front would otherwise choose the client
        # address that login throttling counts. The app applies the same list itself (any ASGI server).
        proxy_headers=bool(settings.trusted_proxies),
        forwarded_allow_ips=settings.trusted_proxies or None,
        # X1: a websocket message (a subscription's document) is held to the body's limit, not uvicorn's
        # 16 MiB; the app checks it too (edge.bounded_messages), under any server.
        ws_max_size=settings.max_body_bytes,
    )
    return 0


async def _seed(settings: Settings) -> bool:
    from parcourspro_gql.seed import seed_demo

    db = _database(settings)
    try:
        return await seed_demo(db)
    finally:
        await db.dispose()


def cmd_seed_demo(settings: Settings, _: argparse.Namespace) -> int:
    from parcourspro_gql.seed import DEMO_LOGINS, DEMO_PASSWORD

    if settings.is_production:
        # X5: the demo world has a manager whose password is published (README, this command's output).
        print("seed-demo est refusé en production (PARCOURSPRO_ENV=production).", file=sys.stderr)
        return 2
    created = asyncio.run(_seed(settings))
    print("Données de démonstration créées." if created else "Données de démonstration déjà présentes.")
    print(f"Comptes de démonstration (mot de passe commun : {DEMO_PASSWORD}) :")
    for login in DEMO_LOGINS:
        print(f"  {login.email:34} {login.role}")
    print("Pour se connecter dans GraphiQL :")
    print(
        f'  mutation {{ login(input: {{email: "{DEMO_LOGINS[0].email}", password: "{DEMO_PASSWORD}"}}) '
        "{ accessToken } }"
    )
    print('  puis, dans l\'onglet Headers : {"Authorization": "Bearer <accessToken>"}')
    print(
        "Documents : `documents { kind url }` d'une inscription acceptée ou suivie, puis ouvrez <url> (PDF) : "
        "un lien signé pour vous, valable quelques minutes, sans en-tête."
    )
    print(
        'Sessions : `sessions(search: "orientation", withSeatsLeft: true)` (public) ; le formateur : '
        "`providerSessions`, `trainingSessionUpdate`, `trainingSessionCancel`, et `evaluationSummary` de la "
        "session passée (Camille l'a évaluée)."
    )
    return 0


async def _worker(settings: Settings, once: bool) -> int:
    from datetime import timedelta

    from parcourspro_gql.mail.dispatcher import Dispatcher
    from parcourspro_gql.mail.sender import sender_from_url
    from parcourspro_gql.scheduler import Scheduler

    db = _database(settings)
    dispatcher = Dispatcher.from_settings(db, sender_from_url(settings.mail_url), settings)
    scheduler = Scheduler(db, lease=timedelta(seconds=settings.scheduler_lease_seconds))
    try:
        if once:
            # Time-driven moves first: the e-mails they write leave in the same run.
            done = await scheduler.run_once()
            report = await dispatcher.run_once()
            print(f"{done.done} tâche(s) planifiée(s) exécutée(s), {done.failed} en échec.")
            print(f"{report.sent} envoyé(s), {report.failed} en échec.")
            return 0
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        import signal

        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        log.info("worker started", extra={"worker": dispatcher.worker_id})
        await asyncio.gather(
            dispatcher.run_forever(stop), scheduler.run_forever(stop, settings.scheduler_interval_seconds)
        )
        return 0
    finally:
        await db.dispose()


def cmd_worker(settings: Settings, args: argparse.Namespace) -> int:
    return asyncio.run(_worker(settings, args.once))


def cmd_export_schema(_: Settings | None, args: argparse.Namespace) -> int:
    from parcourspro_gql.schema.export import export_sdl

    sdl = export_sdl()
    if args.output == "-":
        sys.stdout.write(sdl)
    else:
        Path(args.output).write_text(sdl)
        print(f"Schéma écrit dans {args.output}.")
    return 0


async def _create_manager(settings: Settings, args: argparse.Namespace) -> int:
    from parcourspro_gql.domain import accounts
    from parcourspro_gql.domain.errors import DomainError

    db = _database(settings)
    try:
        async with db.transaction() as session:
            account = await accounts.create_manager(
                session,
                email=args.email,
                password=args.password,
                first_name=args.first_name,
                last_name=args.last_name,
            )
    except DomainError as error:
        print(f"Refusé ({error.code.value}) : {error.message}", file=sys.stderr)
        return 2
    finally:
        await db.dispose()
    print(f"Gestionnaire créé : {account.email} (id {account.id}).")
    return 0


def cmd_create_manager(settings: Settings, args: argparse.Namespace) -> int:
    return asyncio.run(_create_manager(settings, args))


async def _import_structures(settings: Settings, path: Path) -> int:
    from tqdm import tqdm

    from parcourspro_gql.domain.structure_import import ImportFormatError, import_structures, read_rows

    with path.open(encoding="utf-8-sig", newline="") as handle:
        total = max(sum(1 for _ in handle) - 1, 0)
    db = _database(settings)
    try:
        with (
            path.open(encoding="utf-8-sig", newline="") as handle,
            tqdm(total=total, unit=" lignes", file=sys.stderr, disable=None) as bar,
        ):
            report = await import_structures(db, read_rows(handle), bar.update)
    except ImportFormatError as error:
        print(f"Fichier refusé : {error}", file=sys.stderr)
        return 2
    finally:
        await db.dispose()
    for line, reason in report.invalid:
        print(f"ligne {line} ignorée : {reason}", file=sys.stderr)
    print(
        f"{report.read} lignes lues : {report.created} structures créées, {report.updated} mises à jour, "
        f"{report.inactive} établissements fermés ignorés, {len(report.invalid)} lignes invalides."
    )
    return 0


def cmd_import_structures(settings: Settings, args: argparse.Namespace) -> int:
    return asyncio.run(_import_structures(settings, Path(args.file)))


async def _purge(settings: Settings, dry_run: bool) -> dict[str, int]:
    from parcourspro_gql.domain.privacy import purge

    db = _database(settings)
    try:
        async with db.transaction() as session:
            return await purge(session, settings, dry_run=dry_run)
    finally:
        await db.dispose()


def cmd_purge(settings: Settings, args: argparse.Namespace) -> int:
    counts = asyncio.run(_purge(settings, args.dry_run))
    verb = "à supprimer" if args.dry_run else "supprimés"
    print(f"Durées de conservation dépassées ({verb}) :")
    for name, count in counts.items():
        print(f"  {name:22} {count}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="parcourspro-gql", description="ParcoursPro GraphQL API.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve the API with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument(
        "--no-mail-dispatch",
        action="store_true",
        help="leave email delivery and the scheduler to `parcourspro-gql worker`",
    )
    serve.set_defaults(handler=cmd_serve)

    commands.add_parser("migrate", help="apply the database migrations").set_defaults(handler=cmd_migrate)
    commands.add_parser("seed-demo", help="load the demo data (once)").set_defaults(handler=cmd_seed_demo)

    worker = commands.add_parser("worker", help="deliver the email outbox and run the scheduler")
    worker.add_argument("--once", action="store_true", help="run and deliver what is due, then exit")
    worker.set_defaults(handler=cmd_worker)

    export = commands.add_parser("export-schema", help="write the GraphQL SDL (sorted)")
    export.add_argument("--output", default="schema.graphql", help="file, or - for standard output")
    export.set_defaults(handler=cmd_export_schema, needs_settings=False)

    manager = commands.add_parser("create-manager", help="create a Cap Métiers manager account")
    manager.add_argument("--email", required=True)
    manager.add_argument("--password", required=True)
    manager.add_argument("--first-name", required=True)
    manager.add_argument("--last-name", required=True)
    manager.set_defaults(handler=cmd_create_manager)

    importer = commands.add_parser(
        "import-structures", help="load validated structures from a SIRENE establishments CSV"
    )
    importer.add_argument("file", help="CSV with SIRENE's column names (comma or semicolon separated)")
    importer.set_defaults(handler=cmd_import_structures)

    purge = commands.add_parser(
        "purge", help="delete what has outlived its retention period (PARCOURSPRO_RETENTION_*); run it daily"
    )
    purge.add_argument("--dry-run", action="store_true", help="count, delete nothing")
    purge.set_defaults(handler=cmd_purge)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings: Settings | None = None
    if getattr(args, "needs_settings", True):
        try:
            settings = load_settings()
        except ConfigError as error:
            print(f"Configuration invalide : {error}", file=sys.stderr)
            return 2
        configure_logging(settings.log_level, settings.log_tracebacks_per_minute)
    return int(args.handler(settings, args))


if __name__ == "__main__":
    sys.exit(main())
