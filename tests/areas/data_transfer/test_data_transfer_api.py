"""POST /api/v1/stations/{id}/data-transfer through the real app: the command sent, the answer shown."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.api_fixtures import ScriptedLink
from voltline.areas.data_transfer.commands import DataTransfer, DataTransferAnswer
from voltline.kernel.commands import CommandResult, StatusInfo

BASE = "/api/v1/stations/CP-1"


@pytest.mark.parametrize(
    ("body", "command"),
    [
        ({"vendor_id": "com.example"}, DataTransfer("com.example")),
        ({"vendor_id": "v", "message_id": "m", "data": [1, {"a": None}]}, DataTransfer("v", "m", [1, {"a": None}])),
    ],
)
async def test_the_request_becomes_its_neutral_command(
    client: httpx.AsyncClient, link: ScriptedLink, body: dict[str, Any], command: DataTransfer
) -> None:
    link.online.add("CP-1")
    link.answer = CommandResult("Rejected", {"status": "Rejected"})
    response = await client.post(f"{BASE}/data-transfer", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "Rejected"
    assert link.sent == [("CP-1", command)]


async def test_the_answer_carries_status_info_data_and_the_raw_payload(
    client: httpx.AsyncClient, link: ScriptedLink
) -> None:
    link.online.add("CP-1")
    payload = {"status": "Rejected", "statusInfo": {"reasonCode": "Busy"}, "data": {"n": 1}}
    link.answer = CommandResult("Rejected", payload, DataTransferAnswer({"n": 1}, StatusInfo("Busy")))
    response = await client.post(f"{BASE}/data-transfer", json={"vendor_id": "v"})
    assert response.json() == {
        "status": "Rejected",
        "status_info": {"reason_code": "Busy", "additional_info": None},
        "response": payload,
        "data": {"n": 1},
    }


async def test_an_offline_station_gets_409(client: httpx.AsyncClient) -> None:
    response = await client.post(f"{BASE}/data-transfer", json={"vendor_id": "v"})
    assert response.status_code == 409
