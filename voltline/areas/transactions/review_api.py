"""/api/v1/review-items: station messages set aside for an operator to look at."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from voltline.api.deps import Provided
from voltline.api.params import STATION_ID_PATTERN
from voltline.areas.transactions.model import ReviewItem, ReviewKind
from voltline.areas.transactions.reviews import ReviewService

router = APIRouter(prefix="/review-items", tags=["transactions"])


class ReviewItemBody(BaseModel):
    id: int
    station_id: str = Field(description="The station that sent the message.")
    kind: ReviewKind = Field(
        description="UnknownTransaction: no such transaction; ForeignTransaction: it belongs to another station."
    )
    detail: dict[str, Any] = Field(description="What the message said: its action and the transaction id it named.")
    created_at: datetime

    @classmethod
    def of(cls, item: ReviewItem) -> ReviewItemBody:
        return cls(
            id=item.id, station_id=item.station_id, kind=item.kind, detail=item.detail, created_at=item.created_at
        )


@router.get(
    "",
    summary="List messages set aside for review, newest first",
    description="A StopTransaction, MeterValues or TransactionEvent naming a transaction the station does not "
    "own (another station's, or one Voltline does not know) is answered normally, never applied, and listed "
    "here.",
    response_model=list[ReviewItemBody],
)
async def list_review_items(
    review_service: Annotated[ReviewService, Provided(ReviewService)],
    station_id: Annotated[
        str | None,
        Query(min_length=1, max_length=48, pattern=STATION_ID_PATTERN, description="Only this station's."),
    ] = None,
    kind: Annotated[ReviewKind | None, Query(description="Only this kind.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many.")] = 100,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1, description="Skip this many first.")] = 0,
) -> list[ReviewItemBody]:
    items = await review_service.list(station_id, kind, limit, offset)
    return [ReviewItemBody.of(item) for item in items]
