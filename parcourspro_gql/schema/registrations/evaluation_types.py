"""Evaluation and EvaluationSummary (Q1): plain types that both the catalogue and the registrations read."""

from __future__ import annotations

from datetime import datetime

import strawberry

from parcourspro_gql import models
from parcourspro_gql.loaders.evaluations import EvaluationFigures


@strawberry.type(description="A participant's evaluation of the session he attended (Q1).")
class Evaluation:
    rating: int = strawberry.field(description="1 to 5.")
    would_recommend: bool
    comment: str | None
    submitted_at: datetime

    @classmethod
    def from_row(cls, row: models.Evaluation) -> Evaluation:
        return cls(
            rating=row.rating,
            would_recommend=row.would_recommend,
            comment=row.comment,
            submitted_at=row.submitted_at,
        )


@strawberry.type(description="Satisfaction of a session's participants (Qualiopi indicator 30).")
class EvaluationSummary:
    invited: int = strawberry.field(description="Participants asked (those who attended).")
    responses: int
    average_rating: float | None = strawberry.field(
        description="Mean of the ratings, 1 to 5; null without responses."
    )
    recommend_rate: float | None = strawberry.field(
        description="Share of responses that would recommend the training, 0 to 1."
    )
    comments: list[str]

    @classmethod
    def of(cls, figures: EvaluationFigures) -> EvaluationSummary:
        return cls(
            invited=figures.invited,
            responses=figures.responses,
            average_rating=figures.average_rating,
            recommend_rate=figures.recommend_rate,
            comments=figures.comments,
        )
