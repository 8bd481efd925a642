"""/api/v1/transactions: filters, the detail view, and both generations' transaction ids."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from tests.support.api_builders import T0, a_v16_transaction, a_v201_transaction, energy
from voltline.areas.transactions.service import MeterReport, TransactionEvent, TransactionService
from voltline.kernel.services import ServiceRegistry
from voltline.storage.sql.storage import SqlStorage


async def ids(client: httpx.AsyncClient, **params: str) -> set[int]:
    response = await client.get("/api/v1/transactions", params=params)
    assert response.status_code == 200, response.text
    return {tx["id"] for tx in response.json()}


async def test_a_16_transaction_shows_its_station_id_as_a_string_and_its_energy(
    client: httpx.AsyncClient, services: ServiceRegistry
) -> None:
    tx = await a_v16_transaction(services, meter_start_wh=1000.0, meter_stop_wh=8500.0)
    response = await client.get(f"/api/v1/transactions/{tx.id}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == tx.id
    # One type for both versions, in REST as in the event stream: the 1.6 integer in decimal.
    assert body["station_transaction_id"] == tx.station_tx_id == str(tx.id)
    assert body["station_id"] == "CP-16"
    assert body["evse_id"] == 1
    assert body["connector_id"] == 1
    assert body["id_token"] == "TOKEN-A"
    assert body["started_at"] == "2025-03-01T08:00:00Z"
    assert body["stopped_at"] == "2025-03-01T08:20:00Z"
    assert body["active"] is False
    assert body["meter_start_wh"] == 1000.0
    assert body["meter_stop_wh"] == 8500.0
    assert body["energy_wh"] == 7500.0
    assert body["stop_reason"] == "Local"
    assert body["meter_values"] == [
        {
            "timestamp": "2025-03-01T08:10:00Z",
            "measurand": "Energy.Active.Import.Register",
            "value": 4750.0,
            "unit": "Wh",
            "phase": None,
            "location": None,
            "context": None,
        }
    ]


async def test_a_201_transaction_id_stays_a_string_even_when_all_digits(
    client: httpx.AsyncClient, services: ServiceRegistry
) -> None:
    tx = await a_v201_transaction(services, station_tx_id="1234")
    body = (await client.get(f"/api/v1/transactions/{tx.id}")).json()
    assert body["station_transaction_id"] == "1234"
    assert body["active"] is True
    assert body["evse_id"] == 2
    assert body["charging_state"] == "Charging"
    assert body["stopped_at"] is None
    listed = (await client.get("/api/v1/transactions")).json()
    assert [t["station_transaction_id"] for t in listed] == ["1234"]


async def test_the_list_leaves_meter_values_to_the_detail_view(
    client: httpx.AsyncClient, services: ServiceRegistry
) -> None:
    await a_v16_transaction(services, meter_stop_wh=2000.0)
    listed = (await client.get("/api/v1/transactions")).json()
    assert len(listed) == 1
    assert "meter_values" not in listed[0]
    assert isinstance(listed[0]["station_transaction_id"], str)


async def test_filters_select_by_station_state_token_and_start_time(
    client: httpx.AsyncClient, services: ServiceRegistry
) -> None:
    done = await a_v16_transaction(services, "CP-16", id_token="TOKEN-A", started_at=T0, meter_stop_wh=2000.0)
    later = await a_v16_transaction(
        services, "CP-16", connector_id=2, id_token="TOKEN-B", started_at=T0 + timedelta(hours=2)
    )
    other = await a_v201_transaction(services, "CP-201", "abc-1", id_token="TOKEN-A", started_at=T0 + timedelta(days=1))
    everything = {done.id, later.id, other.id}

    assert await ids(client) == everything
    assert await ids(client, station_id="CP-16") == {done.id, later.id}
    assert await ids(client, station_id="CP-201") == {other.id}
    assert await ids(client, station_id="CP-none") == set()
    assert await ids(client, active="true") == {later.id, other.id}
    assert await ids(client, active="false") == {done.id}
    assert await ids(client, id_token="TOKEN-A") == {done.id, other.id}
    assert await ids(client, station_id="CP-16", active="true", id_token="TOKEN-B") == {later.id}
    assert await ids(client, **{"from": (T0 + timedelta(hours=1)).isoformat()}) == {later.id, other.id}
    # `from` is inclusive and `to` exclusive, so consecutive windows never count a transaction twice.
    assert await ids(client, to=(T0 + timedelta(hours=2)).isoformat()) == {done.id}
    assert await ids(client, to=(T0 + timedelta(hours=2, seconds=1)).isoformat()) == {done.id, later.id}
    # A time without offset is UTC; the same instant in another zone selects the same.
    window = {"from": "2025-03-01T10:00:00", "to": "2025-03-01T10:00:01"}
    assert await ids(client, **window) == {later.id}
    window = {"from": "2025-03-01T11:00:00+01:00", "to": "2025-03-01T11:00:01+01:00"}
    assert await ids(client, **window) == {later.id}


async def test_limit_and_offset_page_through_the_list(client: httpx.AsyncClient, services: ServiceRegistry) -> None:
    for n in range(5):
        await a_v16_transaction(services, connector_id=n + 1, started_at=T0 + timedelta(minutes=n))
    first = (await client.get("/api/v1/transactions", params={"limit": 2})).json()
    rest = (await client.get("/api/v1/transactions", params={"limit": 1000, "offset": 2})).json()
    assert len(first) == 2
    assert len(rest) == 3
    assert len({t["id"] for t in first + rest}) == 5


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 1001},
        {"offset": -1},
        {"active": "perhaps"},
        {"from": "yesterday"},
        {"to": "2025-13-01T00:00:00Z"},
        {"from": "2025-03-02T00:00:00Z", "to": "2025-03-01T00:00:00Z"},
        {"station_id": "CP:1"},
        {"station_id": "S" * 49},
        {"id_token": "T" * 37},
    ],
)
async def test_bad_filters_are_422(client: httpx.AsyncClient, params: dict[str, str | int]) -> None:
    response = await client.get("/api/v1/transactions", params=params)
    assert response.status_code == 422
    assert response.json()["detail"]


async def test_unknown_transaction_is_404(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/transactions/999")
    assert response.status_code == 404
    assert "999" in response.json()["detail"]


@pytest.mark.parametrize("transaction_id", ["abc", "1.5", "0", "-3", str(2**63), "99999999999999999999999"])
async def test_malformed_transaction_ids_are_422(client: httpx.AsyncClient, transaction_id: str) -> None:
    response = await client.get(f"/api/v1/transactions/{transaction_id}")
    assert response.status_code == 422
    assert response.json()["detail"]


async def a_running_pair(services: ServiceRegistry, suffix: str = "") -> tuple[int, int]:
    """A running 1.6 and a running 2.0.1 transaction, each with energy readings: (1.6 id, 2.0.1 id)."""
    v16 = await a_v16_transaction(services, f"CP-16{suffix}", meter_start_wh=1000.0)
    await services[TransactionService].record_meter_values(
        MeterReport(f"CP-16{suffix}", 1, v16.station_tx_id, [energy(T0 + timedelta(minutes=5), 1046.0)])
    )
    v201 = await a_v201_transaction(services, f"CP-201{suffix}", f"tx{suffix}")  # starts at 500 Wh
    await services[TransactionService].apply_event(
        TransactionEvent(
            station_id=f"CP-201{suffix}",
            event_type="Updated",
            timestamp=T0 + timedelta(minutes=5),
            trigger_reason="MeterValuePeriodic",
            seq_no=1,
            station_tx_id=f"tx{suffix}",
            evse_id=2,
            connector_id=1,
            meter_values=[energy(T0 + timedelta(minutes=5), 620.0)],
        )
    )
    return v16.id, v201.id


async def test_the_list_shows_the_energy_so_far_as_the_detail_view_does(
    client: httpx.AsyncClient, services: ServiceRegistry
) -> None:
    v16_id, v201_id = await a_running_pair(services)
    done = await a_v16_transaction(services, "CP-16-done", meter_start_wh=1000.0, meter_stop_wh=8500.0)
    listed = {tx["id"]: tx for tx in (await client.get("/api/v1/transactions")).json()}
    for tx_id in (v16_id, v201_id, done.id):
        detail = (await client.get(f"/api/v1/transactions/{tx_id}")).json()
        assert listed[tx_id]["energy_wh"] == detail["energy_wh"], tx_id
    assert listed[v16_id]["active"] is True and listed[v16_id]["energy_wh"] == 46.0
    assert listed[v201_id]["active"] is True and listed[v201_id]["energy_wh"] == 120.0
    assert listed[done.id]["active"] is False and listed[done.id]["energy_wh"] == 7500.0  # stop minus start


async def test_the_list_reads_energy_with_one_query_per_page(
    client: httpx.AsyncClient, services: ServiceRegistry, api_storage: SqlStorage
) -> None:
    async def meter_queries_of_a_list() -> int:
        statements: list[str] = []

        def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if "meter_values" in statement:
                statements.append(statement)

        event.listen(api_storage.engine.sync_engine, "before_cursor_execute", record)
        try:
            response = await client.get("/api/v1/transactions")
        finally:
            event.remove(api_storage.engine.sync_engine, "before_cursor_execute", record)
        assert response.status_code == 200
        assert all(tx["energy_wh"] is not None for tx in response.json())
        return len(statements)

    await a_running_pair(services, "-a")
    few = await meter_queries_of_a_list()
    for suffix in ("-b", "-c", "-d"):
        await a_running_pair(services, suffix)
    assert await meter_queries_of_a_list() == few == 1


async def test_the_remote_start_id_finds_the_transaction_of_a_remote_start(
    client: httpx.AsyncClient, services: ServiceRegistry
) -> None:
    await a_v201_transaction(services, "CP-201", "tx-plain")
    await services[TransactionService].apply_event(
        TransactionEvent(
            station_id="CP-201",
            event_type="Started",
            timestamp=T0,
            trigger_reason="RemoteStart",
            seq_no=0,
            station_tx_id="tx-remote",
            evse_id=1,
            id_token="TOKEN-B",
            remote_start_id=7001,
        )
    )
    found = (await client.get("/api/v1/transactions", params={"station_id": "CP-201", "remote_start_id": 7001})).json()
    assert [(t["station_transaction_id"], t["remote_start_id"]) for t in found] == [("tx-remote", 7001)]
    assert (await client.get("/api/v1/transactions", params={"remote_start_id": 7002})).json() == []
    for bad in ("0", "-1", str(2**31), "x"):
        assert (await client.get("/api/v1/transactions", params={"remote_start_id": bad})).status_code == 422
