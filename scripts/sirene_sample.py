"""Writes a sample of INSEE's SIRENE establishments file (same column names) to try `import-structures`.

    .venv/bin/python scripts/sirene_sample.py --rows 100000 --out var/sirene-sample.csv

Every row has a valid SIRET; about 5 % are closed establishments ("F"), and with --invalid N the first
N*4 rows after the header carry one mistake each (bad SIRET, unknown APE code, no name, bad postcode).
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from pathlib import Path

from stdnum import luhn

COLUMNS = [
    "siret",
    "denominationUniteLegale",
    "enseigne1Etablissement",
    "denominationUsuelleEtablissement",
    "activitePrincipaleEtablissement",
    "numeroVoieEtablissement",
    "typeVoieEtablissement",
    "libelleVoieEtablissement",
    "codePostalEtablissement",
    "libelleCommuneEtablissement",
    "etatAdministratifEtablissement",
]
KINDS = [
    "Mission Locale",
    "CIO",
    "Association",
    "Maison de l'Emploi",
    "Centre de formation",
    "Cap Emploi",
    "GRETA",
]
CITIES = [
    ("33600", "PESSAC"),
    ("33000", "BORDEAUX"),
    ("64000", "PAU"),
    ("87000", "LIMOGES"),
    ("86000", "POITIERS"),
    ("17000", "LA ROCHELLE"),
    ("24000", "PÉRIGUEUX"),
    ("40100", "DAX"),
    ("47000", "AGEN"),
    ("19100", "BRIVE"),
]
APE = ["85.59A", "88.99B", "84.12Z", "85.59B", "94.99Z", "78.10Z", "70.22Z"]
STREETS = [
    ("RUE", "DE LA RÉPUBLIQUE"),
    ("AV", "JEAN JAURÈS"),
    ("BD", "DU PRÉSIDENT WILSON"),
    ("PL", "DE LA MAIRIE"),
    ("ALL", "DES TILLEULS"),
    ("CRS", "DE L'INTENDANCE"),
    ("RTE", "DE TOULOUSE"),
]


def siret(number: int) -> str:
    """A valid SIRET (SIREN and SIRET both pass Luhn), distinct for each number below 10**7."""
    siren_body = f"8{number:07d}"
    siren = siren_body + luhn.calc_check_digit(siren_body)
    body = f"{siren}{number % 10000:04d}"
    return body + luhn.calc_check_digit(body)


def rows(count: int, invalid: int, seed: int) -> list[list[str]]:
    generator = random.Random(seed)
    result = []
    for number in range(count):
        kind, (postal, city), (street_type, street) = (
            generator.choice(KINDS),
            generator.choice(CITIES),
            generator.choice(STREETS),
        )
        row = [
            siret(number),
            f"{kind} {city.title()} {number}",
            "",
            "",
            generator.choice(APE),
            str(generator.randint(1, 120)),
            street_type,
            street,
            postal,
            city,
            "F" if generator.random() < 0.05 else "A",
        ]
        if number < invalid * 4:
            mistake = number % 4
            row[10] = "A"
            if mistake == 0:
                row[0] = row[0][:-1] + str((int(row[0][-1]) + 1) % 10)
            elif mistake == 1:
                row[4] = "99.99Z"
            elif mistake == 2:
                row[1] = ""
            else:
                row[8] = "3300"
        result.append(row)
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--invalid", type=int, default=0, help="groups of 4 invalid rows at the start")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(rows(args.rows, args.invalid, args.seed))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
