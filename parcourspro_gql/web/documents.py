"""Which document a request runs: its `query`, an Apollo APQ hash (`extensions.persistedQuery`), or a
`documentId` of the trusted-documents manifest; and, in trusted-only mode, nothing else.

- The manifest (`PARCOURSPRO_TRUSTED_DOCUMENTS`) is the JSON file GraphQL Codegen's client preset writes
  (`persisted-documents.json`): `{"<sha256 hex>": "<document>"}`. Each key is checked against its document
  at start-up: a manifest that does not hash to its keys is a configuration error.
- `documentId: "sha256:<hex>"` (GraphQL over HTTP's persisted documents; the bare hex too) names a manifest
  document. An APQ hash names a manifest document or one registered earlier by APQ in this process (an LRU
  bounded in bytes): unknown, it answers `PERSISTED_QUERY_NOT_FOUND` and Apollo's link sends the document
  with its hash, which registers it.
- `PARCOURSPRO_TRUSTED_DOCUMENTS_ONLY`: only manifest documents run, whichever way they are named (their
  exact text as `query` too); APQ registers nothing; anything else answers `TRUSTED_DOCUMENT_REQUIRED`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson
from cachetools import LRUCache

from parcourspro_gql.web.negotiation import JSON

_HEX = re.compile(r"^[0-9a-f]{64}$")

NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
REQUIRED = "TRUSTED_DOCUMENT_REQUIRED"


class DocumentRefused(Exception):
    """A request whose document cannot run; answered as a JSON refusal (web/negotiation.py)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def status_in(self, media_type: str) -> int:
        """An unknown hash answers 200 in `application/json`, as Apollo Server does and as Apollo Client's
        persisted-queries link expects before it sends the document; 404 with graphql-response+json, whose
        answers without data must not be 2xx."""
        if self.code == NOT_FOUND and media_type == JSON:
            return 200
        return self.status


def sha256(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


class ManifestError(ValueError):
    """The trusted-documents manifest cannot be read or does not hash to its keys."""


def load_manifest(path: str) -> dict[str, str]:
    """The manifest at `path`: hash (lower-case hex, without prefix) -> document, each hash checked."""
    try:
        raw = orjson.loads(Path(path).read_bytes())
    except (OSError, orjson.JSONDecodeError) as error:
        raise ManifestError(f"{path}: unreadable trusted-documents manifest ({error})") from error
    if not isinstance(raw, dict):
        raise ManifestError(f"{path}: a JSON object of sha256 -> document is expected")
    manifest: dict[str, str] = {}
    for key, document in raw.items():
        digest = str(key).lower().removeprefix("sha256:")
        if not isinstance(document, str) or not _HEX.match(digest) or sha256(document) != digest:
            raise ManifestError(f"{path}: entry {key!r} is not the sha256 of its document")
        manifest[digest] = document
    return manifest


class TrustedDocuments:
    """The manifest, the APQ registrations of this process, and the trusted-only switch."""

    def __init__(self, manifest: Mapping[str, str], *, only: bool, apq_cache_bytes: int) -> None:
        self.manifest = dict(manifest)
        self.trusted = frozenset(self.manifest.values())
        self.only = only
        # Bounded in bytes: a client cannot grow it past the setting however many documents it registers.
        self.registered: LRUCache[str, str] = LRUCache(maxsize=max(apq_cache_bytes, 1), getsizeof=len)
        self.apq_cache_bytes = apq_cache_bytes

    def needed(self, extensions: Mapping[str, Any] | None) -> bool:
        """Whether `resolve` has anything to do for a request with a `query` and these extensions."""
        return self.only or bool(extensions and "persistedQuery" in extensions)

    def resolve(
        self, query: str | None, extensions: Mapping[str, Any] | None, document_id: object
    ) -> str | None:
        """The document to run (None when the request names none), or DocumentRefused."""
        if document_id is not None:
            return self._by_id(query, document_id)
        persisted = extensions.get("persistedQuery") if extensions else None
        if persisted is not None:
            return self._by_apq(query, persisted)
        if query is not None and self.only and query not in self.trusted:
            raise _required()
        return query

    def _by_id(self, query: str | None, document_id: object) -> str:
        digest = document_id.lower().removeprefix("sha256:") if isinstance(document_id, str) else ""
        if not _HEX.match(digest):
            raise DocumentRefused(400, "BAD_REQUEST", "`documentId` attendu sous la forme sha256:<64 hex>.")
        document = self.manifest.get(digest)
        if document is None:
            raise DocumentRefused(404, NOT_FOUND, "PersistedQueryNotFound")
        if query is not None and query != document:
            raise DocumentRefused(400, "BAD_REQUEST", "`query` et `documentId` désignent deux documents.")
        return document

    def _by_apq(self, query: str | None, persisted: object) -> str:
        digest = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
        if not isinstance(persisted, dict) or persisted.get("version") != 1:
            raise DocumentRefused(
                400, "BAD_REQUEST", "`persistedQuery` : seule la version 1 est prise en charge."
            )
        if not isinstance(digest, str) or not _HEX.match(digest.lower()):
            raise DocumentRefused(
                400, "BAD_REQUEST", "`persistedQuery.sha256Hash` : 64 chiffres hexadécimaux."
            )
        digest = digest.lower()
        if query is None:
            document = self.manifest.get(digest) or (None if self.only else self.registered.get(digest))
            if document is None:
                raise DocumentRefused(404, NOT_FOUND, "PersistedQueryNotFound")
            return document
        if sha256(query) != digest:
            raise DocumentRefused(
                400, "BAD_REQUEST", "Le hachage sha256 ne correspond pas au document envoyé."
            )
        if digest in self.manifest:
            return query
        if self.only:
            raise _required()
        if len(query) <= self.apq_cache_bytes:
            self.registered[digest] = query
        return query


def _required() -> DocumentRefused:
    return DocumentRefused(
        400, REQUIRED, "Seuls les documents de confiance de nos applications sont acceptés ici (documentId)."
    )
