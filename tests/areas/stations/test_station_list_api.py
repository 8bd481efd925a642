"""GET /api/v1/stations through the real app: pages with a total, every filter alone and combined, text
search that takes wildcards literally, connectors in each item, and 422 for values that cannot match."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.support.api_builders import station_body
from tests.support.api_fixtures import ScriptedLink
from voltline.areas.stations.model import ConnectorStatus
from voltline.areas.stations.service import BootInfo, StationService
from voltline.kernel.services import ServiceRegistry

AT = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)


async def booted(services: ServiceRegistry, station_id: str, vendor: str, model: str, version: str = "ocpp1.6") -> None:
    stations = services[StationService]
    await stations.connected(station_id, version)
    await stations.boot(station_id, BootInfo(vendor, model, "SN", "1.0", "PowerUp", version))


async def listed(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get("/api/v1/stations", params=params)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def ids(client: httpx.AsyncClient, **params: Any) -> list[str]:
    return [item["id"] for item in (await listed(client, **params))["items"]]


@pytest.fixture
async def fleet(client: httpx.AsyncClient, services: ServiceRegistry, link: ScriptedLink) -> None:
    """Five stations that differ in every filtered field.

    CP-1  Accepted  1.6    Acme/Volt 22   online   Charging + Available   "Car park level 2"
    CP-2  Accepted  2.0.1  Acme/Volt 50   online   Faulted                "Depot"
    CP-3  Pending   1.6    Zap/Mini       offline  Faulted (stored flag says online: presence wins)
    CP-4  Rejected  -      -              offline  -                      "100% ready_now"
    CP_5  Accepted  2.0.1  ZAP/MINI       online   Occupied               None
    """
    await client.put("/api/v1/stations/CP-1", json=station_body(description="Car park level 2"))
    await client.put("/api/v1/stations/CP-2", json=station_body(description="Depot"))
    await client.put("/api/v1/stations/CP-3", json=station_body(registration="Pending", description="Depot B"))
    await client.put("/api/v1/stations/CP-4", json=station_body(registration="Rejected", description="100% ready_now"))
    await client.put("/api/v1/stations/CP_5", json=station_body(description=None))
    await booted(services, "CP-1", "Acme", "Volt 22")
    await booted(services, "CP-2", "Acme", "Volt 50", "ocpp2.0.1")
    await booted(services, "CP-3", "Zap", "Mini")
    await booted(services, "CP_5", "ZAP", "MINI", "ocpp2.0.1")
    stations = services[StationService]
    await stations.report_status(ConnectorStatus("CP-1", 2, 1, "Available", "NoError", timestamp=AT))
    await stations.report_status(ConnectorStatus("CP-1", 1, 1, "Charging", "NoError", timestamp=AT))
    await stations.report_status(ConnectorStatus("CP-2", 1, 1, "Faulted", "GroundFailure", "relay", "Acme", "E-17", AT))
    await stations.report_status(ConnectorStatus("CP-3", 1, 1, "Faulted", "OtherError", timestamp=AT))
    await stations.report_status(ConnectorStatus("CP_5", 1, 1, "Occupied", timestamp=AT))
    link.online.update({"CP-1", "CP-2", "CP_5"})


@pytest.mark.usefixtures("fleet")
async def test_pages_carry_the_total_the_limit_and_the_offset(client: httpx.AsyncClient) -> None:
    page = await listed(client, limit=2, offset=1)
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 1)
    assert [item["id"] for item in page["items"]] == ["CP-2", "CP-3"]
    beyond = await listed(client, offset=10)
    assert (beyond["total"], beyond["items"]) == (5, [])
    # The total counts every match of the filters, not the page.
    filtered = await listed(client, registration="Accepted", limit=1, offset=1)
    assert (filtered["total"], [item["id"] for item in filtered["items"]]) == (3, ["CP-2"])


@pytest.mark.usefixtures("fleet")
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"online": "true"}, ["CP-1", "CP-2", "CP_5"]),
        # CP-3's stored flag is still set (it connected and never disconnected): presence says it is not.
        ({"online": "false"}, ["CP-3", "CP-4"]),
        ({"registration": "Accepted"}, ["CP-1", "CP-2", "CP_5"]),
        ({"registration": "Pending"}, ["CP-3"]),
        ({"ocpp_version": "ocpp2.0.1"}, ["CP-2", "CP_5"]),
        ({"ocpp_version": "ocpp1.6"}, ["CP-1", "CP-3"]),
        ({"vendor": "acme"}, ["CP-1", "CP-2"]),
        ({"vendor": "Zap"}, ["CP-3", "CP_5"]),
        ({"vendor": "Ac"}, []),  # equal, not a prefix
        ({"model": "mini"}, ["CP-3", "CP_5"]),
        ({"model": "Volt 22"}, ["CP-1"]),
        ({"status": "Faulted"}, ["CP-2", "CP-3"]),
        ({"status": "Charging"}, ["CP-1"]),
        ({"status": "Available"}, ["CP-1"]),
        ({"status": "Occupied"}, ["CP_5"]),
        ({"status": "Reserved"}, []),
        ({"q": "cp-"}, ["CP-1", "CP-2", "CP-3", "CP-4"]),
        ({"q": "DEPOT"}, ["CP-2", "CP-3"]),
        ({"q": "park"}, ["CP-1"]),
    ],
)
async def test_each_filter_alone(client: httpx.AsyncClient, params: dict[str, str], expected: list[str]) -> None:
    page = await listed(client, **params)
    assert [item["id"] for item in page["items"]] == expected
    assert page["total"] == len(expected)


@pytest.mark.usefixtures("fleet")
async def test_filters_combine(client: httpx.AsyncClient) -> None:
    assert await ids(client, status="Faulted", online="true") == ["CP-2"]
    assert await ids(client, status="Faulted", online="false") == ["CP-3"]
    assert await ids(client, vendor="zap", ocpp_version="ocpp2.0.1", online="true") == ["CP_5"]
    assert await ids(client, q="depot", registration="Pending") == ["CP-3"]
    assert await ids(client, vendor="acme", model="volt 50", status="Faulted", q="dep") == ["CP-2"]
    assert await ids(client, vendor="acme", status="Occupied") == []
    page = await listed(client, registration="Accepted", online="true", limit=1, offset=2)
    assert (page["total"], [item["id"] for item in page["items"]]) == (3, ["CP_5"])


@pytest.mark.usefixtures("fleet")
async def test_enumerated_filters_take_any_case_as_other_enumerations_do(client: httpx.AsyncClient) -> None:
    assert await ids(client, status="faulted") == ["CP-2", "CP-3"]
    assert await ids(client, status="SUSPENDEDEV") == []
    assert await ids(client, registration="pending") == ["CP-3"]
    assert await ids(client, ocpp_version="OCPP2.0.1") == ["CP-2", "CP_5"]


@pytest.mark.usefixtures("fleet")
async def test_text_search_takes_like_wildcards_literally(client: httpx.AsyncClient) -> None:
    assert await ids(client, q="_") == ["CP-4", "CP_5"]  # "ready_now" and "CP_5", not every station
    assert await ids(client, q="P_5") == ["CP_5"]
    assert await ids(client, q="P_1") == []  # `_` is not "any character": CP-1 does not match
    assert await ids(client, q="%") == ["CP-4"]  # "100% ready_now"
    assert await ids(client, q="0% r") == ["CP-4"]
    assert await ids(client, q="%%") == []
    assert await ids(client, q="\\") == []
    assert await ids(client, q="\\%") == []


async def test_a_backslash_in_a_description_is_found(client: httpx.AsyncClient) -> None:
    await client.put("/api/v1/stations/CP-9", json=station_body(description="bay A\\12 50%_off"))
    await client.put("/api/v1/stations/CP-8", json=station_body(description="bay A12"))
    assert await ids(client, q="A\\1") == ["CP-9"]
    assert await ids(client, q="%_") == ["CP-9"]


@pytest.mark.usefixtures("fleet")
async def test_every_item_has_its_connectors_as_the_view_shows_them(client: httpx.AsyncClient) -> None:
    items = {item["id"]: item for item in (await listed(client))["items"]}
    for station_id, item in items.items():
        view = (await client.get(f"/api/v1/stations/{station_id}")).json()
        assert item == view, station_id
    assert [(c["evse_id"], c["status"]) for c in items["CP-1"]["connectors"]] == [(1, "Charging"), (2, "Available")]
    assert items["CP-2"]["connectors"] == [
        {
            "evse_id": 1,
            "connector_id": 1,
            "status": "Faulted",
            "error_code": "GroundFailure",
            "info": "relay",
            "vendor_id": "Acme",
            "vendor_error_code": "E-17",
            "timestamp": "2025-03-01T09:30:00Z",
        }
    ]
    assert items["CP-4"]["connectors"] == []
    assert {station_id for station_id, item in items.items() if item["online"]} == {"CP-1", "CP-2", "CP_5"}


async def test_nobody_online_lists_everyone_as_offline(client: httpx.AsyncClient, services: ServiceRegistry) -> None:
    await client.put("/api/v1/stations/CP-1", json=station_body())
    await booted(services, "CP-1", "Acme", "X")  # stored flag set, no live connection
    assert await ids(client, online="true") == []
    assert await ids(client, online="false") == ["CP-1"]


@pytest.mark.parametrize(
    "params",
    [
        {"online": "maybe"},
        {"registration": "Approved"},
        {"ocpp_version": "1.6"},
        {"ocpp_version": "ocpp2.1"},
        {"status": "Broken"},
        {"q": ""},
        {"q": "x" * 101},
        {"vendor": ""},
        {"vendor": "v" * 51},
        {"model": ""},
        {"limit": 0},
        {"limit": 1001},
        {"offset": -1},
    ],
)
async def test_bad_filter_values_are_refused(client: httpx.AsyncClient, params: dict[str, Any]) -> None:
    response = await client.get("/api/v1/stations", params=params)
    assert response.status_code == 422, params
    assert next(iter(params)) in response.text


async def test_the_list_is_documented_as_a_page(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    operation = spec["paths"]["/api/v1/stations"]["get"]
    assert {p["name"] for p in operation["parameters"]} == {
        "online",
        "registration",
        "ocpp_version",
        "vendor",
        "model",
        "status",
        "q",
        "limit",
        "offset",
    }
    body = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    page = spec["components"]["schemas"][body]
    assert set(page["required"]) == {"total", "limit", "offset", "items"}
