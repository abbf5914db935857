"""Loaders of evaluations (Q1) and of each session's summary."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter

from sqlalchemy import Integer, case, func, select

from parcourspro_gql.loaders.base import Loader, group_by, index_by
from parcourspro_gql.models import Evaluation, Registration, RegistrationStatus


@dataclass(frozen=True)
class EvaluationFigures:
    """A session's summary: who was asked (those who attended), who answered, and what they said."""

    invited: int
    responses: int
    average_rating: float | None
    recommend_rate: float | None
    comments: list[str]


class EvaluationByRegistrationIdLoader(Loader[int, Evaluation | None]):
    async def batch_load_fn(self, keys: Sequence[int]) -> list[Evaluation | None]:
        rows = await self.fetch_all(select(Evaluation).where(Evaluation.registration_id.in_(keys)))
        return index_by(rows, attrgetter("registration_id"), keys)


class EvaluationSummaryBySessionIdLoader(Loader[int, EvaluationFigures]):
    """Three grouped statements for every session of the request, whatever their number of participants."""

    async def batch_load_fn(self, keys: Sequence[int]) -> list[EvaluationFigures]:
        async with self.db.read() as session:
            invited: dict[int, int] = dict(
                (
                    await session.execute(
                        select(Registration.session_id, func.count())
                        .where(
                            Registration.session_id.in_(keys),
                            Registration.status == RegistrationStatus.ATTENDED,
                        )
                        .group_by(Registration.session_id)
                    )
                ).all()
            )
            answered = {
                row.session_id: row
                for row in await session.execute(
                    select(
                        Evaluation.session_id,
                        func.count().label("responses"),
                        func.avg(Evaluation.rating).label("average"),
                        func.sum(case((Evaluation.would_recommend, 1), else_=0), type_=Integer).label(
                            "recommend"
                        ),
                    )
                    .where(Evaluation.session_id.in_(keys))
                    .group_by(Evaluation.session_id)
                )
            }
            commented = (
                await session.scalars(
                    select(Evaluation)
                    .where(Evaluation.session_id.in_(keys), Evaluation.comment.is_not(None))
                    .order_by(Evaluation.submitted_at, Evaluation.id)
                )
            ).all()
        comments = group_by(commented, attrgetter("session_id"), keys)
        result = []
        for key, said in zip(keys, comments, strict=True):
            row = answered.get(key)
            result.append(
                EvaluationFigures(
                    invited=invited.get(key, 0),
                    responses=row.responses if row else 0,
                    average_rating=round(float(row.average), 2) if row else None,
                    recommend_rate=round(row.recommend / row.responses, 4) if row else None,
                    comments=[evaluation.comment for evaluation in said if evaluation.comment],
                )
            )
        return result
