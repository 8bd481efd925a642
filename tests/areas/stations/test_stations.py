"""StationService over real SQL storage: registration, boots, connection state and connector status."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.support.builders import OTHER_STATION, STATION, T0, a_boot, a_registration, a_start, at
from tests.support.domain_fixtures import HEARTBEAT_INTERVAL
from voltline.areas.stations.model import ConnectorStatus, Registration
from voltline.areas.stations.service import StationService
from voltline.areas.stations.tables import stations as stations_table
from voltline.areas.transactions.service import TransactionService
from voltline.kernel.credentials import verify_secret
from voltline.kernel.errors import NotFound
from voltline.storage.sql import SqlStorage

PASSWORD = "correct-horse-battery-staple"


def a_status(**overrides: object) -> ConnectorStatus:
    values: dict[str, object] = {
        "station_id": STATION,
        "evse_id": 1,
        "connector_id": 1,
        "status": "Available",
        "error_code": "NoError",
        "timestamp": T0,
    }
    values.update(overrides)
    return ConnectorStatus(**values)  # type: ignore[arg-type]


async def stored_row_text(storage: SqlStorage, station_id: str) -> str:
    async with storage.engine.connect() as connection:
        row = (await connection.execute(select(stations_table).where(stations_table.c.id == station_id))).one()
    return " ".join(str(value) for value in row)


# -- boot -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("registration", list(Registration))
async def test_boot_answers_the_stations_registration(stations: StationService, registration: Registration) -> None:
    await stations.register(STATION, a_registration(registration=registration))
    before = datetime.now(UTC)

    verdict = await stations.boot(STATION, a_boot())

    assert verdict.registration is registration
    assert verdict.interval == HEARTBEAT_INTERVAL
    assert verdict.current_time.tzinfo is not None
    assert before - timedelta(seconds=1) <= verdict.current_time <= datetime.now(UTC) + timedelta(seconds=1)


async def test_boot_data_is_kept(stations: StationService) -> None:
    await stations.register(STATION, a_registration())

    verdict = await stations.boot(
        STATION,
        a_boot(vendor="Acme", model="Volt 22", serial_number="SN-9", firmware_version="2.0", reason="Watchdog"),
    )

    station = await stations.get(STATION)
    assert station is not None
    assert (station.vendor, station.model, station.serial_number, station.firmware_version) == (
        "Acme",
        "Volt 22",
        "SN-9",
        "2.0",
    )
    assert (station.boot_reason, station.ocpp_version) == ("Watchdog", "ocpp1.6")
    assert station.last_boot_at == verdict.current_time
    assert station.last_seen == verdict.current_time


async def test_a_later_boot_replaces_the_boot_data(stations: StationService) -> None:
    await stations.register(STATION, a_registration())
    await stations.boot(STATION, a_boot(firmware_version="1.0"))

    await stations.boot(STATION, a_boot(firmware_version="1.1", ocpp_version="ocpp2.0.1"))

    station = await stations.get(STATION)
    assert station is not None
    assert (station.firmware_version, station.ocpp_version) == ("1.1", "ocpp2.0.1")


async def test_boot_of_an_unregistered_station_is_rejected_and_not_recorded(stations: StationService) -> None:
    verdict = await stations.boot(STATION, a_boot())

    assert verdict.registration is Registration.REJECTED
    assert await stations.get(STATION) is None


# -- register -------------------------------------------------------------------------------------


async def test_register_creates_then_updates(stations: StationService) -> None:
    created, was_created = await stations.register(
        STATION, a_registration(security_profile=1, password=PASSWORD, description="Yard")
    )
    assert was_created
    assert (created.registration, created.security_profile, created.description) == (
        Registration.ACCEPTED,
        1,
        "Yard",
    )
    assert created.created_at is not None

    updated, was_created = await stations.register(
        STATION, a_registration(registration=Registration.REJECTED, security_profile=0, description=None)
    )
    assert not was_created
    assert (updated.registration, updated.security_profile, updated.description) == (Registration.REJECTED, 0, None)
    assert updated.created_at == created.created_at


async def test_register_stores_the_password_hashed_never_plain(stations: StationService, storage: SqlStorage) -> None:
    station, _ = await stations.register(STATION, a_registration(password=PASSWORD))

    assert station.password_hash is not None
    assert PASSWORD not in station.password_hash
    assert verify_secret(PASSWORD, station.password_hash)
    assert PASSWORD not in await stored_row_text(storage, STATION)


async def test_register_without_password_keeps_the_current_one(stations: StationService) -> None:
    first, _ = await stations.register(STATION, a_registration(password=PASSWORD))

    again, _ = await stations.register(STATION, a_registration(description="moved"))

    assert again.password_hash == first.password_hash
    assert again.description == "moved"


async def test_register_with_a_new_password_replaces_the_old_one(stations: StationService) -> None:
    await stations.register(STATION, a_registration(password=PASSWORD))

    station, _ = await stations.register(STATION, a_registration(password="another-long-secret"))

    assert verify_secret("another-long-secret", station.password_hash)
    assert not verify_secret(PASSWORD, station.password_hash)


async def test_register_keeps_what_the_station_reported(stations: StationService) -> None:
    await stations.register(STATION, a_registration())
    await stations.connected(STATION, "ocpp1.6")
    await stations.boot(STATION, a_boot(vendor="Acme"))

    station, _ = await stations.register(STATION, a_registration(registration=Registration.PENDING))

    assert (station.vendor, station.online, station.registration) == ("Acme", True, Registration.PENDING)
    assert station.last_boot_at is not None


# -- connection state -----------------------------------------------------------------------------


async def test_connection_state(stations: StationService) -> None:
    await stations.register(STATION, a_registration())
    await stations.register(OTHER_STATION, a_registration())

    await stations.connected(STATION, "ocpp2.0.1")
    await stations.connected(OTHER_STATION, "ocpp1.6")
    station = await stations.get(STATION)
    assert station is not None
    assert (station.online, station.ocpp_version) == (True, "ocpp2.0.1")
    assert station.last_seen is not None

    await stations.disconnected(STATION)
    station = await stations.get(STATION)
    assert station is not None
    assert (station.online, station.ocpp_version) == (False, "ocpp2.0.1")

    await stations.mark_all_offline()
    assert [s.online for s in await stations.list()] == [False, False]


async def test_record_seen(stations: StationService) -> None:
    await stations.register(STATION, a_registration())
    await stations.register(OTHER_STATION, a_registration())

    await stations.record_seen({STATION: at(1), OTHER_STATION: at(2), "UNKNOWN": at(3)})
    await stations.record_seen({})

    assert [s.last_seen for s in await stations.list()] == [at(1), at(2)]


async def test_admit_unknown_creates_once(stations: StationService) -> None:
    first, second = await asyncio.gather(
        stations.admit_unknown(STATION, Registration.PENDING), stations.admit_unknown(STATION, Registration.ACCEPTED)
    )

    assert first.registration is second.registration is Registration.PENDING
    assert (first.security_profile, first.password_hash) == (0, None)
    assert [s.id for s in await stations.list()] == [STATION]


# -- statuses -------------------------------------------------------------------------------------


async def test_statuses_are_kept_per_connector_latest_first(stations: StationService) -> None:
    await stations.register(STATION, a_registration())
    await stations.report_status(a_status(evse_id=2, status="Charging"))
    await stations.report_status(a_status(evse_id=0, connector_id=0, status="Available"))
    await stations.report_status(a_status(evse_id=1, status="Available"))
    await stations.report_status(
        a_status(
            evse_id=1,
            status="Faulted",
            error_code="GroundFailure",
            info="RCD tripped",
            vendor_id="acme",
            vendor_error_code="E42",
            timestamp=at(5),
        )
    )

    view = await stations.view(STATION)

    assert view.station.id == STATION
    assert [(s.evse_id, s.connector_id, s.status) for s in view.statuses] == [
        (0, 0, "Available"),
        (1, 1, "Faulted"),
        (2, 1, "Charging"),
    ]
    assert view.statuses[1] == a_status(
        status="Faulted",
        error_code="GroundFailure",
        info="RCD tripped",
        vendor_id="acme",
        vendor_error_code="E42",
        timestamp=at(5),
    )


async def test_view_of_an_unknown_station_is_not_found(stations: StationService) -> None:
    with pytest.raises(NotFound):
        await stations.view(STATION)


# -- delete ---------------------------------------------------------------------------------------


async def test_delete_removes_the_station_and_its_statuses_but_keeps_transactions(
    stations: StationService, transactions: TransactionService
) -> None:
    await stations.register(STATION, a_registration(password=PASSWORD))
    await stations.report_status(a_status())
    tx = (await transactions.start(a_start())).transaction

    await stations.delete(STATION)

    assert await stations.get(STATION) is None
    with pytest.raises(NotFound):
        await stations.view(STATION)
    with pytest.raises(NotFound):
        await stations.delete(STATION)
    assert (await transactions.get(tx.id)).station_id == STATION  # history stays

    # Registered again, it starts afresh: no old statuses, no old password.
    station, created = await stations.register(STATION, a_registration())
    assert created
    assert station.password_hash is None
    assert (await stations.view(STATION)).statuses == []


async def test_delete_of_an_unknown_station_is_not_found(stations: StationService) -> None:
    with pytest.raises(NotFound):
        await stations.delete(STATION)
