"""schema/ declares the API: the SQL of its lists comes from loaders/ (the relation tables, the page loader)
and domain/. What it may take from SQLAlchemy is names for type annotations, never a statement builder."""

from __future__ import annotations

import ast
from pathlib import Path

import parcourspro_gql.schema

# Types only: a session to hand to domain/, the statement and column types that relay's connection passes
# through to the page loader.
ALLOWED = {
    "sqlalchemy.ext.asyncio": {"AsyncSession"},
    "sqlalchemy.orm": {"InstrumentedAttribute"},
    "sqlalchemy.sql": {"Select"},
}


def test_schema_imports_no_statement_builder_from_sqlalchemy():
    root = Path(parcourspro_gql.schema.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
                names = {alias.name for alias in node.names}
                if not names <= ALLOWED.get(node.module or "", set()):
                    found.append(f"{path.relative_to(root)}: from {node.module} import {sorted(names)}")
            elif isinstance(node, ast.Import):
                found += [
                    f"{path.relative_to(root)}: import {a.name}"
                    for a in node.names
                    if a.name.startswith("sqlalchemy")
                ]
    assert not found, found
