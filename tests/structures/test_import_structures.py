"""`parcourspro-gql import-structures`: a SIRENE extract loaded as validated, searchable structures."""

from __future__ import annotations

import asyncio
import csv
import os
import subprocess
import sys
from pathlib import Path

import httpx
from sqlalchemy import func, select

from parcourspro_gql.app import create_app
from parcourspro_gql.config import load_settings
from parcourspro_gql.db import Database
from parcourspro_gql.models import AuditEntry, Structure, StructureStatus

ROOT = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "parcourspro_gql.cli"]


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=300, check=False)


async def arun(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return await asyncio.to_thread(run, env, *args)


async def test_import_creates_updates_skips_and_reports(empty_database_url, tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("PARCOURSPRO_")}
    env |= {"PARCOURSPRO_DATABASE_URL": empty_database_url, "PARCOURSPRO_VAR_DIR": str(tmp_path / "var")}
    sample = tmp_path / "sirene.csv"
    generate = [sys.executable, str(ROOT / "scripts/sirene_sample.py"), "--rows", "400", "--invalid", "2"]
    await asyncio.to_thread(subprocess.run, [*generate, "--out", str(sample)], check=True)
    rows = list(csv.DictReader(sample.open(encoding="utf-8")))
    closed = sum(1 for row in rows if row["etatAdministratifEtablissement"] != "A")
    assert (await arun(env, "migrate")).returncode == 0

    first = await arun(env, "import-structures", str(sample))
    assert first.returncode == 0, first.stderr
    assert (
        f"400 lignes lues : {392 - closed} structures créées, 0 mises à jour, {closed} établissements fermés"
        in first.stdout
    )
    assert "8 lignes invalides" in first.stdout
    for line, reason in [
        (2, "SIRET invalide"),
        (3, "Code APE inconnu"),
        (4, "dénomination"),
        (5, "code postal"),
    ]:
        assert f"ligne {line} ignorée : " in first.stderr
        assert reason in first.stderr.split(f"ligne {line} ignorée : ")[1].splitlines()[0]

    # A renamed establishment is updated in place, not duplicated.
    target = next(i for i, row in enumerate(rows) if i >= 8 and row["etatAdministratifEtablissement"] == "A")
    rows[target]["denominationUniteLegale"] = "Mission Locale des Graves"
    with sample.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    second = await arun(env, "import-structures", str(sample))
    assert f"0 structures créées, {392 - closed} mises à jour" in second.stdout, second.stdout

    db = Database.from_url(empty_database_url)
    try:
        async with db.read() as session:
            assert await session.scalar(select(func.count()).select_from(Structure)) == 392 - closed
            assert set(await session.scalars(select(Structure.status).distinct())) == {
                StructureStatus.VALIDATED
            }
            imports = (
                await session.scalars(select(AuditEntry).where(AuditEntry.action == "structures.import"))
            ).all()
            assert [entry.data["created"] for entry in imports] == [392 - closed, 0]
        settings = load_settings(env | {"PARCOURSPRO_MAIL_DISPATCH": "false"})
        app = create_app(settings, db=db)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http:
            query = "query($s: String) { structures(search: $s) { edges { node { name siret address { street } } } } }"
            found = (await http.post("/graphql", json={"query": query, "variables": {"s": "graves"}})).json()
        edges = found["data"]["structures"]["edges"]
        assert [edge["node"]["siret"] for edge in edges] == [rows[target]["siret"]]
    finally:
        await db.dispose()


def test_a_file_without_sirene_columns_is_refused(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("nom,ville\nA,B\n")
    env = dict(os.environ) | {
        "PARCOURSPRO_VAR_DIR": str(tmp_path),
        "PARCOURSPRO_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db",
    }
    result = run(env, "import-structures", str(bad))
    assert result.returncode == 2
    assert "colonnes manquantes" in result.stderr
