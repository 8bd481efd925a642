"""POST /api/v1/stations/{id}/data-transfer: a vendor-specific DataTransfer to a station."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from voltline.api.deps import Provided
from voltline.api.errors import error_responses
from voltline.api.params import StationId
from voltline.areas.data_transfer.schemas import DataTransferAnswerBody, DataTransferRequest
from voltline.areas.data_transfer.service import DataTransferService

router = APIRouter(prefix="/stations/{station_id}", tags=["commands"])

REMOTE_ERRORS = error_responses(409, 422, 502, 504)
ANSWER_NOTE = (
    " Returns the station's answer: its status word as sent, the reason it gave (2.0.1 statusInfo) and the raw payload."
)


@router.post(
    "/data-transfer",
    summary="Send a vendor-specific DataTransfer",
    description="Sends DataTransfer with the vendor id, message id and data. OCPP 1.6 data is a string: a "
    "non-string value is sent to 1.6 stations as its compact JSON text. Answers: Accepted, Rejected, "
    "UnknownMessageId, UnknownVendorId, with the data the station sent back." + ANSWER_NOTE,
    response_model=DataTransferAnswerBody,
    responses=REMOTE_ERRORS,
)
async def send_data_transfer(
    station_id: StationId,
    body: DataTransferRequest,
    data_transfer_service: Annotated[DataTransferService, Provided(DataTransferService)],
) -> DataTransferAnswerBody:
    return DataTransferAnswerBody.of(await data_transfer_service.send(station_id, body.to_command()))
