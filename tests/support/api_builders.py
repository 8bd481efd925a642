"""Request bodies and seeded domain data for the API tests, each with defaults a test can override."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from voltline.areas.stations.service import BootInfo, StationService
from voltline.areas.transactions.model import SampledValue, Transaction
from voltline.areas.transactions.service import (
    MeterReport,
    StartRequest,
    StopRequest,
    TransactionEvent,
    TransactionService,
)
from voltline.kernel.services import ServiceRegistry

STATION_PASSWORD = "correct-horse-battery-staple"
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def station_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "registration": "Accepted",
        "security_profile": 1,
        "password": STATION_PASSWORD,
        "description": "Car park level 2",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


def token_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"id_token": "04A2B3C4D5E6F7", "type": "ISO14443", "status": "Accepted"}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


async def a_booted_station(services: ServiceRegistry, station_id: str, ocpp_version: str = "ocpp1.6") -> None:
    """A station that was registered, connected and sent a BootNotification."""
    from voltline.areas.stations.service import StationRegistration

    await services[StationService].register(station_id, StationRegistration())
    await services[StationService].connected(station_id, ocpp_version)
    await services[StationService].boot(
        station_id,
        BootInfo(
            vendor="Acme",
            model="Volt 22",
            serial_number="SN-001",
            firmware_version="1.2.3",
            reason="PowerUp",
            ocpp_version=ocpp_version,
        ),
    )


def energy(at: datetime, wh: float) -> SampledValue:
    return SampledValue(timestamp=at, value=wh, measurand="Energy.Active.Import.Register", unit="Wh")


async def a_v16_transaction(
    services: ServiceRegistry,
    station_id: str = "CP-16",
    *,
    connector_id: int = 1,
    id_token: str = "TOKEN-A",
    started_at: datetime = T0,
    meter_start_wh: float = 1000.0,
    meter_stop_wh: float | None = None,
) -> Transaction:
    """An OCPP 1.6 transaction (integer station id), optionally stopped with one meter sample."""
    outcome = await services[TransactionService].start(
        StartRequest(station_id, connector_id, id_token, meter_start_wh, started_at)
    )
    tx = outcome.transaction
    if meter_stop_wh is not None:
        middle = started_at + timedelta(minutes=10)
        await services[TransactionService].record_meter_values(
            MeterReport(
                station_id,
                connector_id,
                tx.station_tx_id,
                [energy(middle, (meter_start_wh + meter_stop_wh) / 2)],
            )
        )
        await services[TransactionService].stop(
            StopRequest(station_id, tx.station_tx_id, meter_stop_wh, started_at + timedelta(minutes=20), "Local")
        )
    return await services[TransactionService].get(tx.id)


async def a_v201_transaction(
    services: ServiceRegistry,
    station_id: str = "CP-201",
    station_tx_id: str = "1234",
    *,
    id_token: str = "TOKEN-B",
    started_at: datetime = T0,
) -> Transaction:
    """An OCPP 2.0.1 transaction, still running; its station id is a string even when all digits."""
    await services[TransactionService].apply_event(
        TransactionEvent(
            station_id=station_id,
            event_type="Started",
            timestamp=started_at,
            trigger_reason="Authorized",
            seq_no=0,
            station_tx_id=station_tx_id,
            evse_id=2,
            connector_id=1,
            id_token=id_token,
            charging_state="Charging",
            meter_values=[energy(started_at, 500.0)],
        )
    )
    found = await services[TransactionService].find(station_id, station_tx_id)
    return found
