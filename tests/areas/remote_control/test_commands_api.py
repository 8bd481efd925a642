"""Commands to stations: remote start/stop and raw OCPP calls, and how station trouble maps to HTTP."""

from __future__ import annotations

import httpx
import pytest

from tests.support.api_builders import a_v16_transaction, a_v201_transaction
from tests.support.api_fixtures import ScriptedLink
from voltline.areas.authorization.model import IdToken
from voltline.areas.authorization.service import AuthorizationService
from voltline.areas.remote_control.commands import RemoteStart, RemoteStartAnswer, RemoteStop
from voltline.kernel.commands import CommandResult, StatusInfo
from voltline.kernel.errors import InvalidRequest, StationRejectedCall, StationTimeout
from voltline.kernel.services import ServiceRegistry


@pytest.fixture(autouse=True)
async def registered_tokens(services: ServiceRegistry) -> None:
    """The tokens these tests start with, registered: a remote start of an unknown one is refused (see
    test_remote_start_api.py)."""
    for value in ("TOKEN-A", "T"):
        await services[AuthorizationService].create(IdToken(value))


async def test_remote_start_to_an_offline_station_is_409(client: httpx.AsyncClient, link: ScriptedLink) -> None:
    response = await client.post("/api/v1/stations/CP-1/remote-start", json={"id_token": "TOKEN-A"})
    assert response.status_code == 409
    assert "not connected" in response.json()["detail"]
    assert link.sent == []


async def test_remote_start_relays_the_stations_answer(client: httpx.AsyncClient, link: ScriptedLink) -> None:
    link.online.add("CP-1")
    payload = {"status": "Rejected", "statusInfo": {"reasonCode": "Busy"}}
    link.answer = CommandResult("Rejected", payload, RemoteStartAnswer(42, StatusInfo("Busy")))
    response = await client.post("/api/v1/stations/CP-1/remote-start", json={"id_token": "TOKEN-A", "evse_id": 2})
    assert response.status_code == 200
    [(station_id, command)] = link.sent
    assert station_id == "CP-1"
    assert isinstance(command, RemoteStart)
    assert command.id_token == "TOKEN-A"
    assert command.evse_id == 2
    assert response.json() == {
        "status": "Rejected",
        "status_info": {"reason_code": "Busy", "additional_info": None},
        "response": payload,
        "remote_start_id": command.remote_start_id,  # the one sent
        "transaction": None,
    }


@pytest.mark.parametrize(
    ("body", "evse_id"),
    [
        ({"id_token": "T", "connector_id": 3}, 3),
        ({"id_token": "T", "connector_id": 3, "evse_id": 3}, 3),
        ({"id_token": "T"}, None),
    ],
)
async def test_connector_id_is_the_16_name_of_the_evse(
    client: httpx.AsyncClient, link: ScriptedLink, body: dict[str, object], evse_id: int | None
) -> None:
    link.online.add("CP-1")
    assert (await client.post("/api/v1/stations/CP-1/remote-start", json=body)).status_code == 200
    [(_, command)] = link.sent
    assert isinstance(command, RemoteStart)
    assert command.evse_id == evse_id


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"id_token": ""},
        {"id_token": "T" * 37},
        {"id_token": "T", "evse_id": 0},
        {"id_token": "T", "evse_id": "one"},
        {"id_token": "T", "evse_id": 1, "connector_id": 2},
        {"id_token": "T", "evse": 1},
    ],
)
async def test_invalid_remote_starts_are_422_and_send_nothing(
    client: httpx.AsyncClient, link: ScriptedLink, body: dict[str, object]
) -> None:
    link.online.add("CP-1")
    response = await client.post("/api/v1/stations/CP-1/remote-start", json=body)
    assert response.status_code == 422
    assert response.json()["detail"]
    assert link.sent == []


async def test_a_station_timeout_is_504(client: httpx.AsyncClient, link: ScriptedLink) -> None:
    link.online.add("CP-1")
    link.answer = StationTimeout("CP-1 did not answer RequestStartTransaction within 30 s")
    response = await client.post("/api/v1/stations/CP-1/remote-start", json={"id_token": "T"})
    assert response.status_code == 504
    assert response.json() == {"detail": "CP-1 did not answer RequestStartTransaction within 30 s", "errors": []}


async def test_a_callerror_is_502_with_its_code_and_description(client: httpx.AsyncClient, link: ScriptedLink) -> None:
    link.online.add("CP-1")
    link.answer = StationRejectedCall("NotSupported", "no remote start here")
    response = await client.post("/api/v1/stations/CP-1/remote-start", json={"id_token": "T"})
    assert response.status_code == 502
    assert response.json() == {
        "detail": "NotSupported: no remote start here",
        "errors": [],
        "error_code": "NotSupported",
        "description": "no remote start here",
    }


async def test_remote_stop_accepts_the_api_id_or_the_stations_id(
    client: httpx.AsyncClient, services: ServiceRegistry, link: ScriptedLink
) -> None:
    v16 = await a_v16_transaction(services, "CP-1")
    v201 = await a_v201_transaction(services, "CP-2", "tx-7f3a")
    link.online.update({"CP-1", "CP-2"})
    references: list[tuple[str, object]] = [
        ("CP-1", v16.id),
        ("CP-1", int(v16.station_tx_id)),
        ("CP-1", str(v16.id)),
        ("CP-2", v201.id),
        ("CP-2", "tx-7f3a"),
    ]
    for station_id, reference in references:
        response = await client.post(f"/api/v1/stations/{station_id}/remote-stop", json={"transaction_id": reference})
        assert response.status_code == 200, (station_id, reference, response.text)
        assert response.json()["status"] == "Accepted"
    assert link.sent == [
        ("CP-1", RemoteStop(v16.station_tx_id)),
        ("CP-1", RemoteStop(v16.station_tx_id)),
        ("CP-1", RemoteStop(v16.station_tx_id)),
        ("CP-2", RemoteStop("tx-7f3a")),
        ("CP-2", RemoteStop("tx-7f3a")),
    ]


async def test_remote_stop_of_an_unknown_or_foreign_transaction_is_404(
    client: httpx.AsyncClient, services: ServiceRegistry, link: ScriptedLink
) -> None:
    foreign = await a_v16_transaction(services, "CP-OTHER")
    link.online.add("CP-1")
    for reference in (foreign.id, 424242, "no-such-tx", str(2**63), "99999999999999999999999999999999"):
        response = await client.post("/api/v1/stations/CP-1/remote-stop", json={"transaction_id": reference})
        assert response.status_code == 404, (reference, response.text)
        assert response.json()["detail"]
    assert link.sent == []


async def test_remote_stop_to_an_offline_station_is_409(
    client: httpx.AsyncClient, services: ServiceRegistry, link: ScriptedLink
) -> None:
    tx = await a_v16_transaction(services, "CP-1")
    response = await client.post("/api/v1/stations/CP-1/remote-stop", json={"transaction_id": tx.id})
    assert response.status_code == 409
    assert link.sent == []


@pytest.mark.parametrize(
    "body",
    [{}, {"transaction_id": None}, {"transaction_id": ""}, {"transaction_id": -1}, {"transaction_id": [1]}],
)
async def test_invalid_remote_stops_are_422(client: httpx.AsyncClient, link: ScriptedLink, body: object) -> None:
    link.online.add("CP-1")
    response = await client.post("/api/v1/stations/CP-1/remote-stop", json=body)
    assert response.status_code == 422
    assert link.sent == []


async def test_a_raw_call_returns_the_callresult_payload(client: httpx.AsyncClient, link: ScriptedLink) -> None:
    link.online.add("CP-1")
    link.raw_answer = {"status": "Accepted"}
    payload = {"requestedMessage": "StatusNotification", "evse": {"id": 1}}
    response = await client.post("/api/v1/stations/CP-1/ocpp/TriggerMessage", json=payload)
    assert response.status_code == 200
    assert response.json() == {"payload": {"status": "Accepted"}}
    assert link.raw_calls == [("CP-1", "TriggerMessage", payload)]


async def test_a_raw_call_to_an_offline_station_is_409(client: httpx.AsyncClient, link: ScriptedLink) -> None:
    response = await client.post("/api/v1/stations/CP-1/ocpp/Reset", json={"type": "Soft"})
    assert response.status_code == 409
    assert link.raw_calls == []


async def test_a_payload_the_schema_refuses_is_422(client: httpx.AsyncClient, link: ScriptedLink) -> None:
    link.online.add("CP-1")
    link.raw_answer = InvalidRequest("Reset payload: 'type' is a required property")
    response = await client.post("/api/v1/stations/CP-1/ocpp/Reset", json={})
    assert response.status_code == 422
    assert response.json() == {"detail": "Reset payload: 'type' is a required property", "errors": []}


async def test_a_raw_call_answered_with_callerror_is_502(client: httpx.AsyncClient, link: ScriptedLink) -> None:
    link.online.add("CP-1")
    link.raw_answer = StationRejectedCall("NotImplemented", "")
    response = await client.post("/api/v1/stations/CP-1/ocpp/DataTransfer", json={"vendorId": "x"})
    assert response.status_code == 502
    assert response.json() == {
        "detail": "NotImplemented",
        "errors": [],
        "error_code": "NotImplemented",
        "description": "",
    }


@pytest.mark.parametrize(
    ("action", "body"),
    [("Reset", [1, 2]), ("Reset", "Soft"), ("Reset", None), ("Re set", {}), ("1Reset", {}), ("R" * 65, {})],
)
async def test_raw_calls_need_an_action_name_and_an_object(
    client: httpx.AsyncClient, link: ScriptedLink, action: str, body: object
) -> None:
    link.online.add("CP-1")
    response = await client.post(f"/api/v1/stations/CP-1/ocpp/{action}", json=body)
    assert response.status_code == 422
    assert response.json()["detail"]
    assert link.raw_calls == []
