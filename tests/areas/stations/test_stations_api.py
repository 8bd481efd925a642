"""/api/v1/stations: registration round trips, the live view, and secrets that never leave."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from tests.support.api_builders import STATION_PASSWORD, a_booted_station, station_body
from tests.support.api_fixtures import ScriptedLink
from voltline.areas.stations.model import ConnectorStatus, Registration
from voltline.areas.stations.service import StationService
from voltline.kernel.credentials import verify_secret
from voltline.kernel.services import ServiceRegistry


async def test_put_creates_an_accepted_station_without_credentials_by_default(client: httpx.AsyncClient) -> None:
    # Without a password the default profile is 0, as the importer picks for the same row: profile 1
    # without a password would be a station that can never connect.
    response = await client.put("/api/v1/stations/CP-1", json={})
    assert response.status_code == 201
    station = response.json()
    assert station["id"] == "CP-1"
    assert station["registration"] == "Accepted"
    assert station["security_profile"] == 0
    assert station["has_password"] is False
    assert station["online"] is False
    assert station["connectors"] == []
    assert station["created_at"] is not None


async def test_put_again_updates_and_answers_200(client: httpx.AsyncClient, services: ServiceRegistry) -> None:
    assert (await client.put("/api/v1/stations/CP-1", json=station_body())).status_code == 201
    response = await client.put(
        "/api/v1/stations/CP-1",
        json=station_body(registration="Pending", security_profile=..., password=..., description="moved"),
    )
    assert response.status_code == 200
    assert response.json()["registration"] == "Pending"
    # Left out, the profile is the default of a station with a password: 1.
    assert response.json()["security_profile"] == 1
    assert response.json()["description"] == "moved"
    # No password in the update: the station keeps the one it had.
    assert response.json()["has_password"] is True
    stored = await services[StationService].get("CP-1")
    assert stored is not None
    assert stored.registration is Registration.PENDING
    assert verify_secret(STATION_PASSWORD, stored.password_hash)


async def test_a_new_password_replaces_the_old_one(client: httpx.AsyncClient, services: ServiceRegistry) -> None:
    await client.put("/api/v1/stations/CP-1", json=station_body())
    await client.put("/api/v1/stations/CP-1", json=station_body(password="another-secret-of-24-chars"))
    stored = await services[StationService].get("CP-1")
    assert stored is not None
    assert verify_secret("another-secret-of-24-chars", stored.password_hash)
    assert not verify_secret(STATION_PASSWORD, stored.password_hash)


async def test_the_password_and_its_hash_never_appear_in_any_response(
    client: httpx.AsyncClient, services: ServiceRegistry
) -> None:
    responses = [
        await client.put("/api/v1/stations/CP-1", json=station_body()),
        await client.put("/api/v1/stations/CP-1", json=station_body()),
        await client.get("/api/v1/stations/CP-1"),
        await client.get("/api/v1/stations"),
        await client.put("/api/v1/stations/CP-2", json=station_body(password="Secret-15-chars")),
        await client.get("/openapi.json"),
    ]
    stored = await services[StationService].get("CP-1")
    assert stored is not None and stored.password_hash
    salt_and_digest = stored.password_hash.split("$", 1)[1]
    for response in responses:
        assert STATION_PASSWORD not in response.text
        assert salt_and_digest not in response.text
        assert "password_hash" not in response.text
    # Even the validation error for a too short password does not echo it.
    assert responses[4].status_code == 422
    assert "Secret-15-chars" not in responses[4].text


async def test_the_station_list_comes_in_pages_by_id(client: httpx.AsyncClient) -> None:
    for station_id in ("CP-3", "CP-1", "CP-4", "CP-2"):
        await client.put(f"/api/v1/stations/{station_id}", json=station_body())

    async def ids(**params: int) -> list[str]:
        response = await client.get("/api/v1/stations", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["total"] == 4
        assert (page["limit"], page["offset"]) == (params.get("limit", 100), params.get("offset", 0))
        return [s["id"] for s in page["items"]]

    assert await ids() == ["CP-1", "CP-2", "CP-3", "CP-4"]
    assert await ids(limit=2) == ["CP-1", "CP-2"]
    assert await ids(limit=2, offset=2) == ["CP-3", "CP-4"]
    assert await ids(limit=1000, offset=3) == ["CP-4"]
    assert await ids(offset=4) == []
    for bad in ({"limit": 0}, {"limit": 1001}, {"offset": -1}, {"offset": 2**31}):
        assert (await client.get("/api/v1/stations", params=bad)).status_code == 422, bad

    # Documented like the other lists: the same bounds and defaults.
    spec = (await client.get("/openapi.json")).json()
    parameters = {p["name"]: p["schema"] for p in spec["paths"]["/api/v1/stations"]["get"]["parameters"]}
    for name, (minimum, maximum, default) in {"limit": (1, 1000, 100), "offset": (0, 2**31 - 1, 0)}.items():
        schema = parameters[name]
        assert (schema["minimum"], schema["maximum"], schema["default"]) == (minimum, maximum, default), name


async def test_list_and_view_show_the_registered_stations(client: httpx.AsyncClient) -> None:
    await client.put("/api/v1/stations/CP-2", json=station_body(description="second"))
    await client.put("/api/v1/stations/CP-1", json=station_body(registration="Rejected"))
    listed = (await client.get("/api/v1/stations")).json()["items"]
    assert {s["id"]: s["registration"] for s in listed} == {"CP-1": "Rejected", "CP-2": "Accepted"}
    assert all(s["connectors"] == [] for s in listed)
    viewed = (await client.get("/api/v1/stations/CP-2")).json()
    assert viewed["description"] == "second"


async def test_view_shows_boot_data_and_connector_statuses(
    client: httpx.AsyncClient, services: ServiceRegistry, link: ScriptedLink
) -> None:
    await a_booted_station(services, "CP-1")
    link.online.add("CP-1")
    at = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    await services[StationService].report_status(
        ConnectorStatus("CP-1", 2, 1, "Faulted", "GroundFailure", "relay stuck", "Acme", "E-17", at)
    )
    await services[StationService].report_status(ConnectorStatus("CP-1", 1, 1, "Available", "NoError", timestamp=at))
    view = (await client.get("/api/v1/stations/CP-1")).json()
    assert view["vendor"] == "Acme"
    assert view["model"] == "Volt 22"
    assert view["serial_number"] == "SN-001"
    assert view["firmware_version"] == "1.2.3"
    assert view["boot_reason"] == "PowerUp"
    assert view["ocpp_version"] == "ocpp1.6"
    assert view["last_boot_at"] is not None
    assert view["online"] is True
    assert view["connectors"] == [
        {
            "evse_id": 1,
            "connector_id": 1,
            "status": "Available",
            "error_code": "NoError",
            "info": None,
            "vendor_id": None,
            "vendor_error_code": None,
            "timestamp": "2025-03-01T09:30:00Z",
        },
        {
            "evse_id": 2,
            "connector_id": 1,
            "status": "Faulted",
            "error_code": "GroundFailure",
            "info": "relay stuck",
            "vendor_id": "Acme",
            "vendor_error_code": "E-17",
            "timestamp": "2025-03-01T09:30:00Z",
        },
    ]


async def test_online_follows_the_live_link_not_the_stored_flag(
    client: httpx.AsyncClient, services: ServiceRegistry, link: ScriptedLink
) -> None:
    # Stored as connected (say, by a node that crashed), but no link reaches it now.
    await a_booted_station(services, "CP-1")
    assert (await client.get("/api/v1/stations/CP-1")).json()["online"] is False
    assert (await client.get("/api/v1/stations")).json()["items"][0]["online"] is False
    link.online.add("CP-1")
    assert (await client.get("/api/v1/stations/CP-1")).json()["online"] is True
    assert (await client.get("/api/v1/stations")).json()["items"][0]["online"] is True


async def test_delete_removes_the_station(client: httpx.AsyncClient) -> None:
    await client.put("/api/v1/stations/CP-1", json=station_body())
    response = await client.delete("/api/v1/stations/CP-1")
    assert response.status_code == 204
    assert response.content == b""
    missing = await client.get("/api/v1/stations/CP-1")
    assert missing.status_code == 404
    assert "CP-1" in missing.json()["detail"]
    assert (await client.delete("/api/v1/stations/CP-1")).status_code == 404


async def test_unknown_station_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/stations/nope")
    assert response.status_code == 404
    assert response.json() == {"detail": "station 'nope' is not registered", "errors": []}


async def test_a_48_character_id_is_accepted(client: httpx.AsyncClient) -> None:
    station_id = "S" * 48
    assert (await client.put(f"/api/v1/stations/{station_id}", json={})).status_code == 201
    assert (await client.get(f"/api/v1/stations/{station_id}")).json()["id"] == station_id


@pytest.mark.parametrize("station_id", ["S" * 49, "CP:1", "CP%3A1", "CP%00", "%09tab"])
async def test_invalid_station_ids_are_422(client: httpx.AsyncClient, station_id: str) -> None:
    for method in ("GET", "PUT", "DELETE"):
        response = await client.request(method, f"/api/v1/stations/{station_id}", json={})
        assert response.status_code == 422, (method, station_id)
        assert response.json()["detail"]
    assert (await client.get("/api/v1/stations")).json()["items"] == []


@pytest.mark.parametrize(
    "body",
    [
        {"registration": "Maybe"},
        {"security_profile": 4},
        {"security_profile": -1},
        {"security_profile": "high"},
        {"password": "x" * 15},
        {"password": "x" * 41},
        {"password": 1234567890123456},
        {"description": "d" * 501},
        {"registation": "Accepted"},
    ],
)
async def test_invalid_registrations_are_422_and_change_nothing(
    client: httpx.AsyncClient, body: dict[str, object]
) -> None:
    response = await client.put("/api/v1/stations/CP-1", json=body)
    assert response.status_code == 422
    assert response.json()["detail"]
    assert (await client.get("/api/v1/stations/CP-1")).status_code == 404


async def test_password_length_bounds_are_inclusive(client: httpx.AsyncClient) -> None:
    assert (await client.put("/api/v1/stations/CP-1", json={"password": "p" * 16})).status_code == 201
    assert (await client.put("/api/v1/stations/CP-2", json={"password": "p" * 40})).status_code == 201
