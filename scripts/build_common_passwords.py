"""Builds parcourspro_gql/auth/data/common_passwords.txt from Django's list plus common French passwords.

    pip download --no-deps -d /tmp/dj django
    .venv/bin/python scripts/build_common_passwords.py /tmp/dj/Django-*.whl

Django (BSD-3-Clause) ships `django/contrib/auth/common-passwords.txt.gz`: 20,000 passwords from leaked
lists. We add what French users choose and Django's list misses, with the long variants that pass our
12-character minimum.
"""

from __future__ import annotations

import gzip
import re
import sys
import zipfile
from pathlib import Path

TARGET = Path(__file__).resolve().parents[1] / "parcourspro_gql" / "auth" / "data" / "common_passwords.txt"

FRENCH_WORDS = [
    "azerty",
    "azertyuiop",
    "azertyuiopqsdfghjklm",
    "qsdfghjklm",
    "wxcvbn",
    "azeqsdwxc",
    "aqwzsxedc",
    "motdepasse",
    "mot de passe",
    "monmotdepasse",
    "nouveaumotdepasse",
    "soleil",
    "doudou",
    "chouchou",
    "loulou",
    "bonjour",
    "bonsoir",
    "coucou",
    "jetaime",
    "jet'aime",
    "tequiero",
    "amour",
    "monamour",
    "bisous",
    "chocolat",
    "princesse",
    "nicolas",
    "camille",
    "julien",
    "thomas",
    "alexandre",
    "maxime",
    "marie",
    "sophie",
    "julie",
    "isabelle",
    "nathalie",
    "stephanie",
    "celine",
    "aurelie",
    "laurent",
    "sebastien",
    "frederic",
    "christophe",
    "francois",
    "pierre",
    "antoine",
    "louise",
    "emma",
    "lucas",
    "marseille",
    "bordeaux",
    "toulouse",
    "paris",
    "lyon",
    "nantes",
    "pessac",
    "poitiers",
    "limoges",
    "allezlom",
    "allezlesbleus",
    "olympiquedemarseille",
    "girondins",
    "psg",
    "parisiens",
    "ohana",
    "capmetiers",
    "cap-metiers",
    "parcourspro",
    "nouvelleaquitaine",
    "nouvelle-aquitaine",
    "aquitaine",
    "formation",
    "orientation",
    "missionlocale",
    "poleemploi",
    "francetravail",
    "bienvenue",
    "vacances",
    "liberte",
    "france",
    "motdepasseoublie",
    "secret",
    "confidentiel",
    "administrateur",
    "utilisateur",
    "changeme",
    "changemoi",
    "abcdef",
    "qwertz",
    "louloute",
    "minette",
    "nounours",
    "titou",
    "tresor",
]
SUFFIXES = ["", "1", "12", "123", "1234", "12345", "123456", "!", "01", "13", "33", "75", "2020", "2021",
            "2022", "2023", "2024", "2025", "2026", "2027", "13013", "33000", "123456789"]  # fmt: skip
EXTRA = [
    "1234567890", "12345678901", "123456789012", "0123456789", "azertyuiop123", "123456789azerty",
    "azerty123456", "motdepasse123", "motdepasse1234", "jetaime123456", "bonjour123456", "soleil123456",
    "marseille13013", "bordeaux33000", "azertyazerty", "motdepassemotdepasse", "azertyuiop1234",
]  # fmt: skip


def french_passwords() -> set[str]:
    found = set(EXTRA)
    for word in FRENCH_WORDS:
        for suffix in SUFFIXES:
            found.add(f"{word}{suffix}")
            found.add(f"{word.capitalize()}{suffix}")
    return {entry.lower() for entry in found}


def django_passwords(wheel: Path) -> tuple[str, set[str]]:
    with zipfile.ZipFile(wheel) as archive:
        raw = gzip.decompress(archive.read("django/contrib/auth/common-passwords.txt.gz")).decode()
    version = re.search(r"[Dd]jango-([\d.]+)", wheel.name)
    return (version.group(1) if version else "?"), {
        line.strip().lower() for line in raw.splitlines() if line.strip()
    }


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    version, django = django_passwords(Path(argv[0]))
    french = french_passwords() - django
    lines = [
        "# Common passwords refused at sign-up and password reset (RULES.md A2). Compared lower-cased.",
        f"# Django {version}, django/contrib/auth/common-passwords.txt.gz: {len(django)} entries, BSD-3-Clause",
        "#   (see LICENSE.django-common-passwords).",
        f"# French additions of parcourspro-gql (scripts/build_common_passwords.py): {len(french)} entries.",
        *sorted(django | french),
    ]
    TARGET.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{TARGET}: {len(django | french)} passwords")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
