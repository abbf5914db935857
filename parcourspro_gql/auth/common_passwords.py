"""The list of common passwords that A2 refuses, loaded once from the package's data file."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def _passwords() -> frozenset[str]:
    text = resources.files("parcourspro_gql").joinpath("auth/data/common_passwords.txt").read_text("utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def is_common(password: str) -> bool:
    """True when the password, trimmed and lower-cased, is in the list."""
    return password.strip().lower() in _passwords()
