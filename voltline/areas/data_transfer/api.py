"""POST /api/v1/stations/{id}/data-transfer: a vendor-specific DataTransfer to a station."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from voltline.api.deps import Provided
from voltline.api.errors import STATION_ANSWER_NOTE, STATION_COMMAND_ERRORS
from voltline.api.params import StationId
from voltline.areas.data_transfer.schemas import DataTransferAnswerBody, DataTransferRequest
from voltline.areas.data_transfer.service import DataTransferService

router = APIRouter(prefix="/stations/{station_id}", tags=["commands"])


@router.post(
    "/data-transfer",
    summary="Send a vendor-specific DataTransfer",
    description="Sends DataTransfer with the vendor id, message id and data. OCPP 1.6 data is a string: a "
    "non-string value is sent to 1.6 stations as its compact JSON text. Answers: Accepted, Rejected, "
    "UnknownMessageId, UnknownVendorId, with the data the station sent back." + STATION_ANSWER_NOTE,
    response_model=DataTransferAnswerBody,
    responses=STATION_COMMAND_ERRORS,
)
async def send_data_transfer(
    station_id: StationId,
    body: DataTransferRequest,
    data_transfer_service: Annotated[DataTransferService, Provided(DataTransferService)],
) -> DataTransferAnswerBody:
    return DataTransferAnswerBody.of(await data_transfer_service.send(station_id, body.to_command()))
