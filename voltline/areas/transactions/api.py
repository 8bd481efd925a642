"""/api/v1/transactions: charging sessions and their meter data."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query

from voltline.api.deps import Provided
from voltline.api.errors import error_responses
from voltline.api.params import STATION_ID_PATTERN
from voltline.api.schemas import MAX_INT32, PRINTABLE, AnyCase, UtcDatetime
from voltline.areas.transactions.model import ReviewKind
from voltline.areas.transactions.ports import TransactionFilter
from voltline.areas.transactions.reviews import ReviewService
from voltline.areas.transactions.schemas import ReviewItemBody, TransactionBody, TransactionDetailBody
from voltline.areas.transactions.service import TransactionService

router = APIRouter(prefix="/transactions", tags=["transactions"])
# /api/v1/review-items: station messages set aside for an operator to look at.
reviews_router = APIRouter(prefix="/review-items", tags=["transactions"])


@router.get(
    "",
    summary="List transactions, newest first",
    description="Filters combine with AND. `from` (inclusive) and `to` (exclusive) bound the start "
    "time; a time without a UTC offset is read as UTC.",
    response_model=list[TransactionBody],
)
async def list_transactions(
    transaction_service: Annotated[TransactionService, Provided(TransactionService)],
    station_id: Annotated[
        str | None,
        Query(min_length=1, max_length=48, pattern=STATION_ID_PATTERN, description="Only this station."),
    ] = None,
    active: Annotated[bool | None, Query(description="true: only ongoing; false: only finished.")] = None,
    id_token: Annotated[
        str | None, Query(min_length=1, max_length=36, pattern=PRINTABLE, description="Only this id token.")
    ] = None,
    remote_start_id: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_INT32,
            description="Only the transaction of this remote start (the `remote_start_id` its answer gave); "
            "give station_id too, which narrows the search to that station's transactions.",
        ),
    ] = None,
    started_from: Annotated[UtcDatetime | None, Query(alias="from", description="Started at or after.")] = None,
    started_to: Annotated[UtcDatetime | None, Query(alias="to", description="Started before.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many transactions.")] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_INT32, description="Skip this many first.")] = 0,
) -> list[TransactionBody]:
    start, end = started_from, started_to
    if start is not None and end is not None and start > end:
        raise HTTPException(status_code=422, detail="'from' must not be later than 'to'")
    query = TransactionFilter(
        station_id=station_id,
        active=active,
        id_token=id_token,
        remote_start_id=remote_start_id,
        started_from=start,
        started_to=end,
        limit=limit,
        offset=offset,
    )
    return [TransactionBody.of(tx) for tx in await transaction_service.list(query)]


@router.get(
    "/{transaction_id}",
    summary="View a transaction with its meter values",
    response_model=TransactionDetailBody,
    responses=error_responses(404),
)
async def get_transaction(
    transaction_id: Annotated[int, Path(ge=1, le=MAX_INT32, description="Voltline's id of the transaction.")],
    transaction_service: Annotated[TransactionService, Provided(TransactionService)],
) -> TransactionDetailBody:
    return TransactionDetailBody.with_meter_values(await transaction_service.get(transaction_id))


@reviews_router.get(
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
    kind: Annotated[AnyCase[ReviewKind] | None, Query(description="Only this kind.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many.")] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_INT32, description="Skip this many first.")] = 0,
) -> list[ReviewItemBody]:
    items = await review_service.list(station_id, kind, limit, offset)
    return [ReviewItemBody.of(item) for item in items]
