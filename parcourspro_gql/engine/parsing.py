"""GraphQL documents parsed once: the request pipeline, the cost limit and the read-only check of the account
cache all read the same parse of a document, cached by its text."""

from __future__ import annotations

from functools import lru_cache

from graphql import parse

MAX_TOKENS = 2_000

# Keyed by the document's text (and the parse options): a string hashes once and compares fast, where a
# parsed document would hash its whole syntax tree on every lookup.
parse_document = lru_cache(maxsize=256)(parse)
