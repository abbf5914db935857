"""Search input (S4, X1, X3): what a client types in a search box, normalised and bounded before any SQL is
built from it. The catalogue and structure queries (their SQL and indexes) take the words this returns."""

from __future__ import annotations

import unicodedata

from parcourspro_gql.domain.errors import DomainError, ErrorCode
from parcourspro_gql.models._types import normalize_search

# A person types a few words; the bounds leave room and keep every statement small: one index range scan
# (structures) or one LIKE (catalogue) per word, each pattern far below SQLite's 50,000-byte LIKE limit.
MAX_SEARCH_CHARS = 200
MAX_SEARCH_WORDS = 8
MAX_WORD_CHARS = 60

# Control, format, surrogate, private-use and unassigned characters: nothing a person types, and some of them
# (NUL, a lone surrogate) are refused by PostgreSQL or by the driver.
_DROPPED = {"Cc", "Cf", "Cs", "Co", "Cn"}


def search_words(search: str | None, field: str = "search") -> list[str]:
    """The distinct words of `search`, lower-case and accent-free, in the order typed; an empty list for no
    search. INVALID_INPUT beyond MAX_SEARCH_CHARS characters, MAX_SEARCH_WORDS words or MAX_WORD_CHARS per
    word: nobody types that, and each word costs the database a scan."""
    if search is None:
        return []
    if len(search) > MAX_SEARCH_CHARS:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            f"Recherche trop longue : {MAX_SEARCH_CHARS} caractères au plus.",
            field,
        )
    printable = "".join(" " if unicodedata.category(char) in _DROPPED else char for char in search)
    words = list(dict.fromkeys(normalize_search(printable).split()))
    if len(words) > MAX_SEARCH_WORDS:
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"Recherche trop longue : {MAX_SEARCH_WORDS} mots au plus.", field
        )
    if any(len(word) > MAX_WORD_CHARS for word in words):
        raise DomainError(
            ErrorCode.INVALID_INPUT, f"Mot trop long : {MAX_WORD_CHARS} caractères au plus.", field
        )
    return words
