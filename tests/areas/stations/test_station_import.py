"""Bulk registration of stations: `StationImport.parse` and `StationService.import_many`."""

from __future__ import annotations

import pytest

from voltline.areas.stations.model import Registration
from voltline.areas.stations.service import ImportResult, StationImport, StationRegistration, StationService
from voltline.kernel.credentials import verify_secret
from voltline.kernel.errors import InvalidRequest

PASSWORD = "a-long-station-secret-1"


def test_parse_applies_defaults_and_accepts_csv_text() -> None:
    row = StationImport.parse({"id": "CP-1", "password": PASSWORD, "security_profile": "", "registration": ""})
    assert row == StationImport(id="CP-1", password=PASSWORD)
    assert StationImport.parse({"id": "CP-2", "security_profile": "2", "registration": "Pending"}) == StationImport(
        id="CP-2", security_profile=2, registration=Registration.PENDING
    )


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({}, "id is missing"),
        ({"id": "a b"}, "is not a station id"),
        ({"id": "..."}, "is not a station id"),
        ({"id": "x" * 49}, "is not a station id"),
        ({"id": 7}, "is not a station id"),
        ({"id": "CP", "password": "too-short"}, "password must be 16 to 40"),
        ({"id": "CP", "password": "p" * 41}, "password must be 16 to 40"),
        ({"id": "CP", "security_profile": "4"}, "security_profile must be"),
        ({"id": "CP", "security_profile": True}, "security_profile must be"),
        ({"id": "CP", "security_profile": 1.0}, "security_profile must be"),
        ({"id": "CP", "registration": "accepted"}, "registration must be"),
        ({"id": "CP", "registration": ["Accepted"]}, "registration must be"),
        ({"id": "CP", "description": "d" * 501}, "description must be"),
        ({"id": "CP", "colour": "red"}, "unknown column 'colour'"),
    ],
)
def test_parse_names_the_problem(fields: dict[str, object], problem: str) -> None:
    with pytest.raises(InvalidRequest, match=problem):
        StationImport.parse(fields)


def test_parse_never_repeats_the_password() -> None:
    with pytest.raises(InvalidRequest) as caught:
        StationImport.parse({"id": "a b", "password": "secret-but-short"})
    assert "secret-but-short" not in str(caught.value)


async def test_import_creates_then_updates_in_chunks(stations: StationService) -> None:
    rows = [StationImport(id=f"CP{i}", password=f"{PASSWORD}-{i}") for i in range(25)]

    assert await stations.import_many(rows, chunk_size=10) == ImportResult(created=25, updated=0)

    station = await stations.get("CP7")
    assert station is not None
    assert station.security_profile == 1  # a password implies Basic auth
    assert verify_secret(f"{PASSWORD}-7", station.password_hash)

    again = [StationImport(id="CP7", registration=Registration.REJECTED), StationImport(id="NEW")]
    assert await stations.import_many(again) == ImportResult(created=1, updated=1)
    station = await stations.get("CP7")
    assert station is not None
    assert station.registration is Registration.REJECTED
    assert verify_secret(f"{PASSWORD}-7", station.password_hash)  # no password in the row: kept
    new = await stations.get("NEW")
    assert new is not None and new.security_profile == 0 and new.password_hash is None


async def test_skip_existing_leaves_registered_stations_unchanged(stations: StationService) -> None:
    await stations.register("CP1", StationRegistration(password=PASSWORD, description="kept"))

    result = await stations.import_many(
        [StationImport(id="CP1", description="ignored"), StationImport(id="CP2")], skip_existing=True
    )

    assert result == ImportResult(created=1, updated=0, skipped=1)
    station = await stations.get("CP1")
    assert station is not None and station.description == "kept"


async def test_rows_are_checked_before_anything_is_written(stations: StationService) -> None:
    with pytest.raises(InvalidRequest, match="more than once"):
        await stations.import_many([StationImport(id="CP1"), StationImport(id="CP2"), StationImport(id="CP1")])
    with pytest.raises(InvalidRequest, match="not a station id"):
        await stations.import_many([StationImport(id="CP1"), StationImport(id="bad/id")])

    assert await stations.list() == []
