"""/api/v1/stations/{station_id}/messages: the OCPP message log of a station."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from voltline.api.deps import Provided
from voltline.api.errors import error_responses
from voltline.api.params import StationId
from voltline.api.schemas import MAX_DB_INT, PRINTABLE, AnyCase, UtcDatetime
from voltline.areas.message_log.model import LoggedFrame, MessageLogQuery
from voltline.areas.message_log.service import MessageLog
from voltline.kernel.errors import InvalidRequest

router = APIRouter(prefix="/stations/{station_id}", tags=["message log"])

MAX_LIMIT = 1000


class MessageBody(BaseModel):
    id: int = Field(description="The frame's number in the log.")
    at: datetime = Field(description="When the frame was received or handed to the socket (UTC).")
    direction: Literal["in", "out"] = Field(description="`in`: from the station; `out`: to the station.")
    message_type: Literal["CALL", "CALLRESULT", "CALLERROR"] | None = Field(
        description="The OCPP-J message type; null for a frame that could not be read as one."
    )
    message_id: str | None = Field(description="The OCPP-J message id.")
    action: str | None = Field(
        description="The action; for a CALLRESULT or CALLERROR the action of the call it answers, when known."
    )
    frame: str = Field(description="The frame's text as sent (cut short when `truncated`).")
    truncated: bool = Field(description="Whether the frame was longer than the log keeps (64 KiB).")

    @classmethod
    def of(cls, frame: LoggedFrame) -> MessageBody:
        return cls(
            id=frame.id,
            at=frame.at,
            direction=frame.direction,
            message_type=frame.message_type,
            message_id=frame.message_id,
            action=frame.action,
            frame=frame.frame,
            truncated=frame.truncated,
        )


class MessagePageBody(BaseModel):
    station_id: str
    capture: bool = Field(description="Whether this server logs frames (VOLTLINE_MESSAGE_LOG).")
    dropped: int = Field(
        description="Frames (of all stations) this server dropped since it started because the database "
        "could not keep up: the log is diagnostics and never slows stations down."
    )
    queued: int = Field(description="Frames captured but not yet written (they appear within about a second).")
    items: list[MessageBody]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


@router.get(
    "/messages",
    summary="Read a station's OCPP message log",
    description="Every OCPP-J frame in and out of the station, newest first (or oldest first with "
    "`order=asc`), with its time, direction, message type, id and action. Frames are written in batches "
    "about every half second and kept for VOLTLINE_MESSAGE_LOG_RETENTION_DAYS (7 by default). "
    "Page with `next_cursor`.",
    response_model=MessagePageBody,
    responses=error_responses(404, 422),
)
async def station_messages(
    station_id: StationId,
    message_log: Annotated[MessageLog, Provided(MessageLog)],
    action: Annotated[
        str | None,
        Query(min_length=1, max_length=64, pattern=PRINTABLE, description="Only frames of this action."),
    ] = None,
    direction: Annotated[
        AnyCase[Literal["in", "out"]] | None, Query(description="Only frames in this direction.")
    ] = None,
    message_type: Annotated[
        AnyCase[Literal["CALL", "CALLRESULT", "CALLERROR"]] | None,
        Query(description="Only frames of this message type."),
    ] = None,
    since: Annotated[UtcDatetime | None, Query(description="Only frames at or after this time.")] = None,
    until: Annotated[UtcDatetime | None, Query(description="Only frames before this time.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Frames per page.")] = 100,
    order: Annotated[
        AnyCase[Literal["desc", "asc"]], Query(description="`desc`: newest first; `asc`: oldest first.")
    ] = "desc",
    cursor: Annotated[
        str | None,
        Query(max_length=200, pattern=PRINTABLE, description="The `next_cursor` of the previous page."),
    ] = None,
) -> MessagePageBody:
    log = message_log
    page = await log.page(
        MessageLogQuery(
            station_id=station_id,
            action=action,
            direction=direction,
            message_type=message_type,
            since=since,
            until=until,
            limit=limit,
            order=order,
            after=_decode_cursor(cursor) if cursor is not None else None,
        )
    )
    return MessagePageBody(
        station_id=station_id,
        capture=log.config.enabled,
        dropped=log.dropped,
        queued=log.queued,
        items=[MessageBody.of(frame) for frame in page.frames],
        next_cursor=_encode_cursor(page.next_after) if page.next_after is not None else None,
    )


def _encode_cursor(after: tuple[int, int]) -> str:
    at_us, row_id = after
    return base64.urlsafe_b64encode(f"{at_us}.{row_id}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[int, int]:
    """The (time in microseconds, id) of the last frame of the previous page."""
    try:
        at_us, row_id = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split(".")
        after = int(at_us), int(row_id)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidRequest("cursor is not one this API returned") from exc
    if not all(0 <= value <= MAX_DB_INT for value in after):
        raise InvalidRequest("cursor is not one this API returned")
    return after
