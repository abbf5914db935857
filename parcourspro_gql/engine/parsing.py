"""GraphQL documents parsed once: the request pipeline, the cost limit and the read-only check of the account
cache all read the same parse of a document, from one cache bounded in bytes (X1).

A parsed document weighs far more than its text: some 600 bytes per token (its nodes, locations and the
linked list of its tokens, which any node's location keeps alive), 1.2 MB for a document at MAX_TOKENS. The
cache therefore counts each entry's text and tokens against CACHE_BYTES and drops the least recently used
entries beyond it; documents longer than MAX_CACHED_CHARS are never cached (each request parses its own, which
MAX_TOKENS bounds). Entries are keyed by a digest of the text, so the cache keeps no second copy of it, and
what is derived from a document (its validation, its measures) lives in its entry and leaves with it.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from graphql import DocumentNode, Source
from graphql.language.parser import Parser, nested_too_deeply_error

MAX_TOKENS = 2_000
# Client documents are a few kilobytes; bigger ones are parsed for their request only.
MAX_CACHED_CHARS = 32_768
CACHE_BYTES = 64 * 1024 * 1024
# Measured with tracemalloc: about 620 bytes per token of a dense document, plus its text.
BYTES_PER_TOKEN = 700
ENTRY_BYTES = 2_048

T = TypeVar("T")


@dataclass
class _Entry:
    document: DocumentNode
    weight: int
    derived: dict[Hashable, Any] = field(default_factory=dict)


class DocumentCache:
    """Parsed documents and what is derived from them, least recently used dropped first, within `budget`
    bytes (as estimated: text, tokens, a fixed overhead)."""

    def __init__(self, budget: int = CACHE_BYTES) -> None:
        self.budget = budget
        self.weight = 0
        self._entries: OrderedDict[bytes, _Entry] = OrderedDict()
        # The last document too long to cache, so that the steps of its one request (the read-only check,
        # the guards, validation) share one parse: one document at most, of at most the body limit.
        self._last_long: tuple[str, DocumentNode] | None = None
        # Parsing and validation may run in threads (schemathesis' sync client, the CLI): one lock.
        self._lock = threading.Lock()
        # The entry last found, by the very string object it was found for: the steps of one request (the
        # read-only check, the guards, the cost, validation, the operation plan) hand the same `query` string
        # to the cache in turn, which then digests it and takes the lock once. One tuple, replaced whole.
        self._last: tuple[str, _Entry] | None = None

    def __len__(self) -> int:
        return len(self._entries)

    @staticmethod
    def key(text: str) -> bytes:
        return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()

    def _get(self, key: bytes) -> _Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def _entry(self, text: str) -> _Entry | None:
        """The cached entry of `text` (a short one), the last one found when `text` is its very string."""
        last = self._last
        if last is not None and last[0] is text:
            return last[1]
        entry = self._get(self.key(text))
        if entry is not None:
            self._last = (text, entry)
        return entry

    def _put(self, key: bytes, entry: _Entry) -> None:
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = entry
            self.weight += entry.weight
            while self.weight > self.budget and self._entries:
                _, dropped = self._entries.popitem(last=False)
                self.weight -= dropped.weight
                if self._last is not None and self._last[1] is dropped:
                    self._last = None

    def parse(self, text: str, max_tokens: int = MAX_TOKENS) -> DocumentNode:
        """The parse of `text` (GraphQLSyntaxError when it does not parse; failures are not cached)."""
        if len(text) > MAX_CACHED_CHARS:
            last = self._last_long
            if last is not None and last[0] == text:
                return last[1]
            document = _parse(text, max_tokens)[0]
            self._last_long = (text, document)
            return document
        entry = self._entry(text)
        if entry is None:
            document, tokens = _parse(text, max_tokens)
            entry = _Entry(document, len(text) + tokens * BYTES_PER_TOKEN + ENTRY_BYTES)
            self._put(self.key(text), entry)
        return entry.document

    def derived(self, text: str, what: Hashable, compute: Callable[[DocumentNode], T]) -> T:
        """`what` of the document `text` (already parsed by `parse`), computed once per cached document;
        each time for a document that is not cached. Derived values are small (a list of errors, numbers):
        they count in the entry's fixed overhead."""
        entry = self._entry(text) if len(text) <= MAX_CACHED_CHARS else None
        if entry is None:
            return compute(self.parse(text))
        if what not in entry.derived:
            entry.derived[what] = compute(entry.document)
        return entry.derived[what]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.weight = 0
            self._last_long = None
            self._last = None


def _parse(text: str, max_tokens: int) -> tuple[DocumentNode, int]:
    parser = Parser(Source(text), max_tokens=max_tokens)
    try:
        document = parser.parse_document()
    except RecursionError:  # graphql-core's parse() answers the same for a document nested too deep
        raise nested_too_deeply_error(parser) from None
    return document, parser.token_count


documents = DocumentCache()


def parse_document(text: str, max_tokens: int = MAX_TOKENS) -> DocumentNode:
    """The parse of a document's text, from the shared cache."""
    return documents.parse(text, max_tokens)
