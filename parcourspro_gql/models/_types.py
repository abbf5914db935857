"""Column helpers shared by the models."""

from __future__ import annotations

import enum
import re
import unicodedata

from sqlalchemy import Enum


def enum_column(enum_class: type[enum.Enum]) -> Enum:
    """A portable enum: VARCHAR with a CHECK constraint, values stored by name."""
    return Enum(
        enum_class,
        native_enum=False,
        create_constraint=True,
        length=32,
        name=enum_class.__name__.lower(),
        validate_strings=True,
    )


def normalize_search(text: str) -> str:
    """Lower-case, accent-free, single-spaced text: what search columns store and queries compare."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(stripped.casefold().replace("œ", "oe").replace("æ", "ae").split())


def search_terms(normalized: str) -> set[str]:
    """The words of a normalised text that the search-term index stores (letters and digits, 60 at most)."""
    return {word[:60] for word in re.findall(r"[0-9a-z]+", normalized)}
