"""Who may open a station connection: registration, unknown-station policy and Basic-auth credentials."""

from __future__ import annotations

import logging

from voltline.areas.stations.model import Registration, UnknownStationPolicy
from voltline.areas.stations.service import StationService
from voltline.kernel.admission import Admitted as Admitted  # re-exported: the verdict types live in the kernel
from voltline.kernel.admission import Refusal as Refusal
from voltline.kernel.credentials import verify_secret

log = logging.getLogger("voltline.admission")


class AdmissionService:
    def __init__(self, stations: StationService, policy: UnknownStationPolicy) -> None:
        self._stations = stations
        self._policy = policy

    async def admit(self, station_id: str, credentials: tuple[str, str] | None) -> Admitted | Refusal:
        if self._stations.is_being_removed(station_id):
            # Neither admitted (it would hold a connection to a station about to go) nor registered anew
            # by the unknown-station policy before its removal is over.
            log.info("refused station %s: it is being removed", station_id)
            return Refusal.UNKNOWN_STATION
        station = await self._stations.get(station_id)
        if station is None:
            if self._policy is UnknownStationPolicy.REJECT:
                return Refusal.UNKNOWN_STATION
            registration = (
                Registration.PENDING if self._policy is UnknownStationPolicy.PENDING else Registration.ACCEPTED
            )
            station = await self._stations.admit_unknown(station_id, registration)
            log.info("registered unknown station %s as %s", station_id, station.registration.value)
        if station.password_hash is not None or station.security_profile >= 1:
            if credentials is None:
                return Refusal.BAD_CREDENTIALS
            username, password = credentials
            # Evaluate both checks so timing does not tell which one failed.
            name_ok = username == station_id
            password_ok = verify_secret(password, station.password_hash)
            if not (name_ok and password_ok):
                return Refusal.BAD_CREDENTIALS
            authenticated = True
        else:
            authenticated = False
        boot_accepted = (
            station.registration is Registration.ACCEPTED and station.last_boot_status is Registration.ACCEPTED
        )
        return Admitted(station_id, authenticated, boot_accepted)
