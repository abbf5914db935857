"""The NAF reference (APE codes, S2): versioned data shipped in the package."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources

_FORM = re.compile(r"^(\d{2})\.?(\d{2})([A-Za-z])$")


@dataclass(frozen=True)
class NafVersion:
    name: str
    applies_from: date
    file_name: str


# Newest last. NAF 2025 applies from 2027-01-01: add its file and a line here.
VERSIONS = (NafVersion("NAF rév. 2", date(2008, 1, 1), "rev2.csv"),)


def version_on(day: date) -> NafVersion:
    """The NAF version in force on `day`."""
    applicable = [version for version in VERSIONS if version.applies_from <= day]
    return applicable[-1] if applicable else VERSIONS[0]


@cache
def _labels(file_name: str) -> dict[str, str]:
    text = resources.files("parcourspro_gql").joinpath(f"data/naf/{file_name}").read_text("utf-8")
    return {row["code"]: row["label"] for row in csv.DictReader(text.splitlines())}


def normalize(code: str) -> str | None:
    """`85.59a`, `8559A`, ` 85.59A ` -> `85.59A`; None when the form is not NN.NNX."""
    match = _FORM.match(code.strip())
    return f"{match[1]}.{match[2]}{match[3].upper()}" if match else None


def label(code: str, day: date) -> str | None:
    """The French label of a normalised code in the version in force on `day`, or None if it is not in it."""
    return _labels(version_on(day).file_name).get(code)


def label_any(code: str) -> str | None:
    """The label in the newest version that knows the code (stored codes may predate a change of version)."""
    for version in reversed(VERSIONS):
        found = _labels(version.file_name).get(code)
        if found:
            return found
    return None
