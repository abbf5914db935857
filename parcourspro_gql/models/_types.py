"""Column helpers shared by the models."""

from __future__ import annotations

import enum
import re
import unicodedata
from typing import Any

from sqlalchemy import Boolean, Enum
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


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


def distinct_words(normalized: str) -> str:
    """Each word of a normalised text once, in order of first appearance: what a training's `search_text`
    stores. A searched word holds no space, so `LIKE '%word%'` finds it in these words exactly when it finds it
    in the text, punctuation included ("l'emploi"), while each match reads and rechecks a shorter value: a
    description repeats its words, and a long text is stored compressed, to be decompressed at each recheck
    (issue 19)."""
    return " ".join(dict.fromkeys(normalized.split()))


def search_terms(normalized: str) -> set[str]:
    """The words of a normalised text that the search-term index stores (letters and digits, 60 at most)."""
    return {word[:60] for word in re.findall(r"[0-9a-z]+", normalized)}


class in_ids(FunctionElement[bool]):
    """`column IN (SELECT ids ...)`, written `column = ANY(ARRAY(SELECT ids ...))` on PostgreSQL.

    There the ids are computed once (an InitPlan) and fetched by the column's index, a plan that follows the
    number of ids whatever the parameters; with `IN`, a custom or generic plan could instead walk the outer
    table in its ORDER BY index and probe the subquery for each row until the LIMIT is met (issue 19)."""

    type = Boolean()
    inherit_cache = True
    name = "in_ids"


@compiles(in_ids)
def _in_ids(element: in_ids, compiler: Any, **kw: Any) -> str:
    column, ids = element.clauses
    return f"{compiler.process(column, **kw)} IN {compiler.process(ids, **kw)}"


@compiles(in_ids, "postgresql")
def _in_ids_postgresql(element: in_ids, compiler: Any, **kw: Any) -> str:
    column, ids = element.clauses
    return f"{compiler.process(column, **kw)} = ANY(ARRAY{compiler.process(ids, **kw)})"
