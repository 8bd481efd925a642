"""Test data for the domain tests: each builder has sensible defaults a test overrides by keyword."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from voltline.areas.authorization.model import IdToken
from voltline.areas.stations.service import BootInfo, StationRegistration
from voltline.areas.transactions.model import ReviewItem, SampledValue
from voltline.areas.transactions.reviews import ReviewService
from voltline.areas.transactions.service import MeterReport, StartRequest, StopRequest, TransactionEvent
from voltline.kernel.storage import Storage

T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
STATION = "CP-1"
OTHER_STATION = "CP-2"
TAG = "04A2B3C4D5E6F7"


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def a_sample(**overrides: Any) -> SampledValue:
    return replace(SampledValue(timestamp=T0, value=1000.0, unit="Wh"), **overrides)


def energy(minutes: float, value: float, *, unit: str | None = "Wh", **overrides: Any) -> SampledValue:
    """A total Energy.Active.Import.Register reading `minutes` after T0."""
    return a_sample(timestamp=at(minutes), value=value, unit=unit, **overrides)


def a_token(**overrides: Any) -> IdToken:
    return replace(IdToken(id_token=TAG), **overrides)


def a_start(**overrides: Any) -> StartRequest:
    base = StartRequest(station_id=STATION, connector_id=1, id_token=TAG, meter_start_wh=1000.0, timestamp=T0)
    return replace(base, **overrides)


def a_stop(station_tx_id: str, **overrides: Any) -> StopRequest:
    base = StopRequest(
        station_id=STATION, station_tx_id=station_tx_id, meter_stop_wh=5000.0, timestamp=at(60), reason="EVDisconnected"
    )
    return replace(base, **overrides)


def a_meter_report(**overrides: Any) -> MeterReport:
    base = MeterReport(station_id=STATION, evse_id=1, station_tx_id=None, values=(energy(10, 2000.0),))
    return replace(base, **overrides)


def an_event(**overrides: Any) -> TransactionEvent:
    """A 2.0.1 TransactionEvent(Started) on EVSE 1; override event_type, seq_no, timestamp ... for the rest."""
    base = TransactionEvent(
        station_id=STATION,
        event_type="Started",
        timestamp=T0,
        trigger_reason="Authorized",
        seq_no=0,
        station_tx_id="tx-0001",
        evse_id=1,
        connector_id=1,
        id_token=TAG,
        charging_state="Charging",
    )
    return replace(base, **overrides)


def a_registration(**overrides: Any) -> StationRegistration:
    return replace(StationRegistration(description="Car park level 2"), **overrides)


def a_boot(**overrides: Any) -> BootInfo:
    base = BootInfo(
        vendor="Acme",
        model="Volt 22",
        serial_number="SN-001",
        firmware_version="1.2.3",
        reason="PowerUp",
        ocpp_version="ocpp1.6",
    )
    return replace(base, **overrides)


async def reviews(storage: Storage, station_id: str | None = None) -> list[ReviewItem]:
    """Review items, oldest first, read the way operators read them (ReviewService, newest first)."""
    return list(reversed(await ReviewService(storage).list(station_id, limit=1000)))
