"""Structures: who may see which, and the public picker's search (S4)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.sql import Select

from parcourspro_gql.auth.viewer import Viewer
from parcourspro_gql.models import Structure, StructureStatus
from parcourspro_gql.models._types import normalize_search


def search_text(name: str, siret: str, city: str) -> str:
    """What the search column of a structure stores: name, SIRET and city, without case or accents."""
    return normalize_search(f"{name} {siret} {city}")


def can_view(viewer: Viewer, structure: Structure) -> bool:
    """Validated structures are public; others only to managers, their requester and their own accounts."""
    if structure.status is StructureStatus.VALIDATED or viewer.is_manager:
        return True
    if viewer.account_id is None:
        return False
    return structure.requested_by_id == viewer.account_id or structure.id == viewer.structure_id


def public_search(search: str | None) -> Select[Any]:
    """Validated structures whose name, SIRET or city contain every word of `search`."""
    statement = select(Structure).where(Structure.status == StructureStatus.VALIDATED)
    for word in normalize_search(search or "").split():
        statement = statement.where(Structure.search_text.contains(word, autoescape=True))
    return statement
