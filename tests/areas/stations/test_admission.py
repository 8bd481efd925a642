"""AdmissionService over real SQL storage: who may open a station connection."""

from __future__ import annotations

import pytest

from tests.support.builders import STATION, a_boot, a_registration
from voltline.areas.stations.admission import AdmissionService, Admitted, Refusal
from voltline.areas.stations.model import Registration, Station, UnknownStationPolicy
from voltline.areas.stations.ports import STATIONS
from voltline.areas.stations.service import StationService
from voltline.kernel.admission import TransportSecurity
from voltline.kernel.storage import UnitOfWork
from voltline.storage.sql import SqlStorage

PASSWORD = "correct-horse-battery-staple"


def admission(stations: StationService, policy: UnknownStationPolicy = UnknownStationPolicy.REJECT) -> AdmissionService:
    return AdmissionService(stations, policy)


# -- unknown stations -----------------------------------------------------------------------------


async def test_reject_policy_refuses_unknown_stations(stations: StationService) -> None:
    result = await admission(stations, UnknownStationPolicy.REJECT).admit(STATION, (STATION, PASSWORD))

    assert result is Refusal.UNKNOWN_STATION
    assert await stations.get(STATION) is None


@pytest.mark.parametrize(
    ("policy", "registration"),
    [(UnknownStationPolicy.PENDING, Registration.PENDING), (UnknownStationPolicy.ACCEPT, Registration.ACCEPTED)],
)
async def test_open_policies_register_unknown_stations(
    stations: StationService, policy: UnknownStationPolicy, registration: Registration
) -> None:
    result = await admission(stations, policy).admit(STATION, None)

    assert result == Admitted(STATION, authenticated=False, boot_accepted=False)
    station = await stations.get(STATION)
    assert station is not None
    assert (station.registration, station.security_profile, station.password_hash) == (registration, 0, None)


async def test_pending_policy_does_not_change_a_known_station(stations: StationService) -> None:
    await stations.register(STATION, a_registration(registration=Registration.REJECTED, security_profile=0))

    await admission(stations, UnknownStationPolicy.PENDING).admit(STATION, None)

    station = await stations.get(STATION)
    assert station is not None
    assert station.registration is Registration.REJECTED


async def test_an_open_policy_still_asks_known_stations_for_their_password(stations: StationService) -> None:
    await stations.register(STATION, a_registration(password=PASSWORD))

    assert await admission(stations, UnknownStationPolicy.ACCEPT).admit(STATION, None) is Refusal.BAD_CREDENTIALS


# -- credentials ----------------------------------------------------------------------------------


@pytest.mark.parametrize("security_profile", [0, 1, 2])
async def test_right_credentials_admit_an_authenticated_station(storage: SqlStorage, security_profile: int) -> None:
    # Profile 2 is registrable only where the endpoint serves TLS.
    stations = StationService(storage, heartbeat_interval=300, transport=TransportSecurity(tls=True))
    await stations.register(STATION, a_registration(security_profile=security_profile, password=PASSWORD))

    result = await admission(stations).admit(STATION, (STATION, PASSWORD))

    assert result == Admitted(STATION, authenticated=True, boot_accepted=False)


@pytest.mark.parametrize(
    "credentials",
    [
        None,
        ("CP-OTHER", PASSWORD),  # wrong username
        (STATION.lower(), PASSWORD),  # usernames are exact
        (STATION, "correct-horse-battery-stapl"),  # wrong password
        (STATION, ""),
        ("", ""),
    ],
    ids=["none", "wrong-username", "username-case", "wrong-password", "empty-password", "empty"],
)
@pytest.mark.parametrize("security_profile", [0, 1])
async def test_missing_or_wrong_credentials_are_refused_when_a_password_is_set(
    stations: StationService, security_profile: int, credentials: tuple[str, str] | None
) -> None:
    await stations.register(STATION, a_registration(security_profile=security_profile, password=PASSWORD))

    assert await admission(stations).admit(STATION, credentials) is Refusal.BAD_CREDENTIALS


@pytest.mark.parametrize("credentials", [None, (STATION, PASSWORD), (STATION, "")])
async def test_security_profile_one_without_a_password_admits_nobody(
    storage: SqlStorage, stations: StationService, credentials: tuple[str, str] | None
) -> None:
    # Registration refuses such a station now; one stored before that rule still admits nobody.
    async def legacy(uow: UnitOfWork) -> Station:
        return await uow[STATIONS].save(Station(id=STATION, security_profile=1))

    await storage.write(legacy)

    assert await admission(stations).admit(STATION, credentials) is Refusal.BAD_CREDENTIALS


@pytest.mark.parametrize("credentials", [None, (STATION, "anything")])
async def test_profile_zero_without_password_is_admitted_unauthenticated(
    stations: StationService, credentials: tuple[str, str] | None
) -> None:
    await stations.register(STATION, a_registration(security_profile=0, password=None))

    result = await admission(stations).admit(STATION, credentials)

    # Whatever it sent, it proved nothing: it may not replace a live connection.
    assert result == Admitted(STATION, authenticated=False, boot_accepted=False)


async def test_a_changed_password_takes_effect_at_once(stations: StationService) -> None:
    service = admission(stations)
    await stations.register(STATION, a_registration(password=PASSWORD))

    await stations.register(STATION, a_registration(password="a-brand-new-secret-1"))

    assert await service.admit(STATION, (STATION, PASSWORD)) is Refusal.BAD_CREDENTIALS
    assert isinstance(await service.admit(STATION, (STATION, "a-brand-new-secret-1")), Admitted)


# -- boot_accepted --------------------------------------------------------------------------------


async def test_boot_accepted_only_after_an_accepted_boot(stations: StationService) -> None:
    service = admission(stations)
    await stations.register(STATION, a_registration(password=PASSWORD))
    credentials = (STATION, PASSWORD)

    before = await service.admit(STATION, credentials)
    assert isinstance(before, Admitted) and not before.boot_accepted

    assert (await stations.boot(STATION, a_boot())).registration is Registration.ACCEPTED
    after = await service.admit(STATION, credentials)
    assert isinstance(after, Admitted) and after.boot_accepted


@pytest.mark.parametrize("registration", [Registration.PENDING, Registration.REJECTED])
async def test_no_boot_accepted_for_a_station_booted_while_not_accepted(
    stations: StationService, registration: Registration
) -> None:
    await stations.register(STATION, a_registration(registration=registration, password=PASSWORD))
    assert (await stations.boot(STATION, a_boot())).registration is registration

    result = await admission(stations).admit(STATION, (STATION, PASSWORD))

    assert isinstance(result, Admitted) and not result.boot_accepted


async def test_no_boot_accepted_once_an_operator_withdraws_acceptance(stations: StationService) -> None:
    await stations.register(STATION, a_registration(password=PASSWORD))
    await stations.boot(STATION, a_boot())

    await stations.register(STATION, a_registration(registration=Registration.PENDING))

    result = await admission(stations).admit(STATION, (STATION, PASSWORD))
    assert isinstance(result, Admitted) and not result.boot_accepted


async def test_no_boot_accepted_for_a_boot_answered_pending_then_approved(stations: StationService) -> None:
    await stations.register(STATION, a_registration(registration=Registration.PENDING, password=PASSWORD))
    assert (await stations.boot(STATION, a_boot())).registration is Registration.PENDING

    await stations.register(STATION, a_registration(registration=Registration.ACCEPTED))

    result = await admission(stations).admit(STATION, (STATION, PASSWORD))
    assert isinstance(result, Admitted) and not result.boot_accepted
