"""The exported schema is fresh and stays a compatible superset of the contract clients rely on."""

from __future__ import annotations

from pathlib import Path

from graphql import build_schema, find_breaking_changes

from parcourspro_gql.schema.export import export_sdl

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = Path(__file__).with_name("contract.graphql")

# What later issues still have to add. This list may only shrink: an entry that no longer breaks
# makes the test fail until it is removed.
PENDING: set[str] = set()  # every part of the contract is served


def breaking_changes() -> set[str]:
    contract = build_schema(CONTRACT.read_text())
    exported = build_schema((ROOT / "schema.graphql").read_text())
    return {change.description for change in find_breaking_changes(contract, exported)}


def test_schema_graphql_is_freshly_exported():
    assert (ROOT / "schema.graphql").read_text() == export_sdl(), (
        "schema.graphql is stale: run `parcourspro-gql export-schema`"
    )


def test_no_breaking_change_outside_the_pending_list():
    unexpected = breaking_changes() - PENDING
    assert not unexpected, f"breaking changes against the contract: {sorted(unexpected)}"


def test_pending_list_only_names_what_is_still_missing():
    done = PENDING - breaking_changes()
    assert not done, f"these now exist, remove them from PENDING: {sorted(done)}"


def test_contract_copy_is_byte_for_byte_the_shared_one():
    shared = ROOT.parent / "shared" / "CONTRACT.graphql"
    if shared.exists():  # the checkout sits beside shared/ on developer machines and in CI
        assert CONTRACT.read_bytes() == shared.read_bytes()
