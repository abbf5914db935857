"""V5: a year's figures, for managers (all structures or one) and employers (their own structure only)."""

from __future__ import annotations

import pytest
from world import World
from year_world import S, YearWorld

STATISTICS = """
query($year: Int!, $structure: ID) {
  statistics(year: $year, structureId: $structure) {
    year registrationsByStatus { status count } sessions seatsOffered seatsTaken fillRate attendanceRate
    averageRating beneficiaries structures
  }
}
"""


def by_status(figures: dict) -> dict[str, int]:
    counts = {row["status"]: row["count"] for row in figures.pop("registrationsByStatus")}
    # Every status is listed, in the life cycle's order, zeros included.
    assert list(counts) == [status.value for status in S]
    return {status: count for status, count in counts.items() if count}


async def statistics(world: World, who, year: int, structure: str | None = None) -> dict:
    body = await world.as_(who, STATISTICS, {"year": year, "structure": structure})
    assert "errors" not in body, body
    return body["data"]["statistics"]


async def test_a_manager_reads_the_figures_of_a_year_for_all_structures_and_for_one(world: World):
    year = await YearWorld(world).build()
    figures = await statistics(world, year.manager, 2026)
    assert by_status(figures) == {
        "PENDING_EMPLOYER": 1,
        "REFUSED_BY_EMPLOYER": 1,
        "ACCEPTED": 1,
        "CANCELLED": 1,
        "ATTENDED": 2,
        "ABSENT": 1,
    }
    # Two sessions start in 2026 in Paris (the 1 January one and the 2025 one do not; the cancelled one offered
    # nothing), 15 seats, 4 taken (accepted, attended, absent); attendance recorded for 1.0, 0.0 and 0.5; rated
    # 5 and 2; seven people of two structures (the colleague without a registration is not one of them).
    assert figures == {
        "year": 2026,
        "sessions": 2,
        "seatsOffered": 15,
        "seatsTaken": 4,
        "fillRate": pytest.approx(4 / 15),
        "attendanceRate": pytest.approx(0.5),
        "averageRating": pytest.approx(3.5),
        "beneficiaries": 7,
        "structures": 2,
    }
    mine = await statistics(world, year.manager, 2026, year.member.id)
    assert by_status(mine) == {"REFUSED_BY_EMPLOYER": 1, "ACCEPTED": 1, "ATTENDED": 1, "ABSENT": 1}
    assert mine == {
        "year": 2026,
        "sessions": 2,
        "seatsOffered": 15,
        "seatsTaken": 3,
        "fillRate": pytest.approx(0.2),
        "attendanceRate": pytest.approx(0.5),
        "averageRating": 5.0,
        "beneficiaries": 4,
        "structures": 1,
    }
    theirs = await statistics(world, year.manager, 2026, year.other.id)
    assert by_status(theirs) == {"PENDING_EMPLOYER": 1, "CANCELLED": 1, "ATTENDED": 1}
    assert (theirs["sessions"], theirs["seatsTaken"], theirs["beneficiaries"]) == (2, 1, 3)
    # 2027 holds the session that starts at 00:30 on 1 January in Paris; 2025 the archived one.
    new_year = await statistics(world, year.manager, 2027)
    assert by_status(new_year) == {"ACCEPTED": 1}
    assert (new_year["sessions"], new_year["seatsOffered"], new_year["fillRate"]) == (1, 10, 0.1)
    assert (new_year["attendanceRate"], new_year["averageRating"]) == (None, None)
    last_year = await statistics(world, year.manager, 2025)
    assert (last_year["sessions"], last_year["beneficiaries"], last_year["attendanceRate"]) == (1, 1, 1.0)
    empty = await statistics(world, year.manager, 2024)
    assert by_status(empty) == {}
    assert (empty["sessions"], empty["fillRate"], empty["attendanceRate"]) == (0, None, None)


async def test_an_employer_reads_his_own_structure_only(world: World):
    year = await YearWorld(world).build()
    own = await statistics(world, year.employer, 2026)
    assert own == await statistics(world, year.employer, 2026, year.member.id)
    assert (own["beneficiaries"], own["structures"], own["seatsTaken"]) == (4, 1, 3)
    refused = await world.as_(year.employer, STATISTICS, {"year": 2026, "structure": year.other.id})
    assert refused["data"] is None
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    for who in (year.referent, year.trainer, year.people["a1"]):
        body = await world.as_(who, STATISTICS, {"year": 2026})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = await world.as_(None, STATISTICS, {"year": 2026})
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_bad_years_and_unknown_structures_are_refused_plainly(world: World):
    manager = await world.manager()
    for variables, code in (
        ({"year": 1999}, "INVALID_INPUT"),
        ({"year": 2028}, "INVALID_INPUT"),
        ({"year": 2026, "structure": "U3RydWN0dXJlOjk5OTk="}, "NOT_FOUND"),  # Structure:9999
        ({"year": 2026, "structure": "pas un identifiant"}, "NOT_FOUND"),
    ):
        body = await world.as_(manager, STATISTICS, variables)
        assert body["errors"][0]["extensions"]["code"] == code, (variables, body)


async def test_the_figures_cost_the_same_statements_for_ten_or_a_hundred_registrations(
    world: World, statements
):
    year = await YearWorld(world).build()
    counts = []
    for extra in (0, 90):
        for n in range(extra):
            await year.add(f"extra{n}", year.member, year.december, S.ACCEPTED if n % 2 else S.ATTENDED)
        for structure in (None, year.member.id):
            # A first time reads the caller's account, which the next one finds cached.
            await statistics(world, year.manager, 2026, structure)
            statements.reset()
            figures = await statistics(world, year.manager, 2026, structure)
            counts.append(statements.count)
        assert figures["seatsTaken"] == 3 + extra
    # Three aggregates, and the structure named (checked to exist).
    assert counts == [3, 4, 3, 4], counts
