"""The simulated station's smart charging: the charging profiles the CSMS installs, the station's answers to
the smart charging calls of both versions, and what the car may draw because of them.

1.6 (§5.5, 5.7, 5.16, 3.13): SetChargingProfile, ClearChargingProfile, GetCompositeSchedule, and the
TxProfile a RemoteStartTransaction carries. 2.0.1 (part K): the same plus GetChargingProfiles, answered and
then reported in ReportChargingProfiles calls, one per EVSE (tbc on all but the last).

A profile is refused as a real station refuses it (2.0.1 with a statusInfo reason): more periods or a
higher stack level than the configuration announces, a rate unit it does not list, more profiles than it
holds, a TxProfile without the transaction it names, a station max profile on an EVSE other than 0,
external constraints (the station's own business). A profile with the id of an installed one, or with its
EVSE, purpose and stack level, replaces it. TxProfiles go when their transaction ends.

The profiles live on the station (`SimulatedStation.charging_profiles`): a station keeps them across
reboots, unless built with `profiles_survive_reboot=False`. The composite schedule is computed in
simulator/composite.py.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any, Protocol

from voltline.ocppj import CallErrorReceived, CallTimeout, OcppVersion
from voltline.simulator.composite import (
    AMPERES,
    CompositePeriod,
    Limit,
    Period,
    Profile,
    Purpose,
    Rating,
    Schedule,
    composite_schedule,
    limit_at,
    next_change,
)
from voltline.simulator.device_model import ChargingLimits, DeviceModel
from voltline.simulator.handle import ConnectorState, StationHandle
from voltline.simulator.vehicle import ElectricVehicle

logger = logging.getLogger("voltline.simulator")

Payload = dict[str, Any]
Handler = Callable[[Payload], Awaitable[Payload]]

# Every EVSE of the simulator: 32 A per phase on three phases at 230 V (22,080 W).
EVSE_RATING = Rating(max_current_a=32.0, phases=3)

_V16_PURPOSES = {
    "ChargePointMaxProfile": Purpose.STATION_MAX,
    "TxDefaultProfile": Purpose.TX_DEFAULT,
    "TxProfile": Purpose.TX,
}
_V201_PURPOSES = {
    "ChargingStationMaxProfile": Purpose.STATION_MAX,
    "TxDefaultProfile": Purpose.TX_DEFAULT,
    "TxProfile": Purpose.TX,
}
_EXTERNAL_CONSTRAINTS = "ChargingStationExternalConstraints"

# 2.0.1 statusInfo reason codes of a refused profile.
UNKNOWN_EVSE = "UnknownEvse"
INVALID_PROFILE = "InvalidProfile"
INVALID_SCHEDULE = "InvalidSchedule"
INVALID_STACK_LEVEL = "InvalidStackLevel"
UNSUPPORTED_RATE_UNIT = "UnsupportedRateUnit"
TX_NOT_FOUND = "TxNotFound"
OUT_OF_STORAGE = "OutOfStorage"


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class InstalledProfile:
    profile: Profile
    payload: Payload  # as the CSMS sent it (1.6 csChargingProfiles, 2.0.1 chargingProfile)


@dataclass(slots=True)
class ChargingProfiles:
    """The profiles installed on one station, of every EVSE (0: the station as a whole)."""

    installed: list[InstalledProfile] = field(default_factory=list)
    # Told the number installed after every change (the 2.0.1 device model counts them).
    on_change: Callable[[int], None] | None = None
    clock: Callable[[], datetime] = utcnow  # tests may fix it

    def __len__(self) -> int:
        return len(self.installed)

    def profiles(self) -> list[Profile]:
        return [entry.profile for entry in self.installed]

    def replaced_by(self, profile: Profile) -> list[InstalledProfile]:
        """The installed profiles `profile` replaces: the same id, or the same EVSE, purpose and level."""
        return [
            entry
            for entry in self.installed
            if entry.profile.profile_id == profile.profile_id
            or (entry.profile.evse_id, entry.profile.purpose, entry.profile.stack_level)
            == (profile.evse_id, profile.purpose, profile.stack_level)
        ]

    def install(self, entry: InstalledProfile) -> None:
        replaced = self.replaced_by(entry.profile)
        self.installed = [e for e in self.installed if all(e is not old for old in replaced)]
        self.installed.append(entry)
        self._changed()

    def remove(self, matches: Callable[[Profile], bool]) -> int:
        """Remove the profiles `matches` picks; returns how many."""
        kept = [entry for entry in self.installed if not matches(entry.profile)]
        removed = len(self.installed) - len(kept)
        self.installed = kept
        if removed:
            self._changed()
        return removed

    def transaction_ended(self, evse_id: int) -> None:
        """A TxProfile lives as long as its transaction (also one a failed remote start left behind)."""
        self.remove(lambda p: p.purpose is Purpose.TX and p.evse_id == evse_id)

    def clear(self) -> None:
        self.remove(lambda p: True)

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(len(self.installed))


class SmartChargingStation(StationHandle, Protocol):
    """A station that keeps charging profiles and a configuration announcing its limits."""

    @property
    def charging_profiles(self) -> ChargingProfiles: ...

    @property
    def device_model(self) -> DeviceModel: ...


class Refusal(Exception):
    """A profile the station does not take: the 2.0.1 reason code and a line of explanation."""

    def __init__(self, reason: str, info: str) -> None:
        super().__init__(f"{reason}: {info}")
        self.reason = reason
        self.info = info


# ---------------------------------------------------------------------------------------------- parsing


def parse_time(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise Refusal(INVALID_PROFILE, f"{text!r} is not a date-time") from None
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _optional_time(payload: Payload, name: str) -> datetime | None:
    text = payload.get(name)
    return parse_time(text) if text is not None else None


def _schedule(payload: Payload) -> Schedule:
    return Schedule(
        unit=payload["chargingRateUnit"],
        periods=tuple(
            Period(int(p["startPeriod"]), float(p["limit"]), p.get("numberPhases"))
            for p in payload["chargingSchedulePeriod"]
        ),
        start=_optional_time(payload, "startSchedule"),
        duration=payload.get("duration"),
    )


def parse_profile(version: OcppVersion, raw: Payload, evse_id: int, received_at: datetime) -> Profile:
    """A 1.6 csChargingProfiles / 2.0.1 chargingProfile (schema-valid) for `evse_id`."""
    v16 = version is OcppVersion.V16
    purpose_name = raw["chargingProfilePurpose"]
    if purpose_name == _EXTERNAL_CONSTRAINTS:
        raise Refusal(INVALID_PROFILE, "external constraints are set at the station, not by the CSMS")
    schedule = raw["chargingSchedule"] if v16 else raw["chargingSchedule"][0]
    transaction_id = raw.get("transactionId")
    return Profile(
        profile_id=raw["chargingProfileId"] if v16 else raw["id"],
        evse_id=evse_id,
        stack_level=raw["stackLevel"],
        purpose=(_V16_PURPOSES if v16 else _V201_PURPOSES)[purpose_name],
        kind=raw["chargingProfileKind"],
        schedule=_schedule(schedule),
        received_at=received_at,
        recurrency=raw.get("recurrencyKind"),
        valid_from=_optional_time(raw, "validFrom"),
        valid_to=_optional_time(raw, "validTo"),
        transaction_id=None if transaction_id is None else str(transaction_id),
    )


def _schedules(version: OcppVersion, raw: Payload) -> list[Payload]:
    return [raw["chargingSchedule"]] if version is OcppVersion.V16 else list(raw["chargingSchedule"])


# ---------------------------------------------------------------------------------------------- checks


def _check_schedule(schedule: Payload, kind: str, limits: ChargingLimits) -> None:
    unit = schedule["chargingRateUnit"]
    if unit not in limits.rate_units:
        raise Refusal(UNSUPPORTED_RATE_UNIT, f"charging rate unit {unit} is not supported")
    periods = schedule["chargingSchedulePeriod"]
    if len(periods) > limits.max_periods:
        raise Refusal(INVALID_SCHEDULE, f"{len(periods)} periods, at most {limits.max_periods} per schedule")
    starts = [int(p["startPeriod"]) for p in periods]
    if not starts or starts[0] != 0:
        raise Refusal(INVALID_SCHEDULE, "the first period must start at 0")
    if any(later <= earlier for earlier, later in pairwise(starts)):
        raise Refusal(INVALID_SCHEDULE, "period starts must increase")
    for period in periods:
        if float(period["limit"]) < 0:
            raise Refusal(INVALID_SCHEDULE, "a limit must not be negative")
        if not 1 <= period.get("numberPhases", 3) <= 3:
            raise Refusal(INVALID_SCHEDULE, "numberPhases must be 1 to 3")
    if kind == "Recurring" and "startSchedule" not in schedule:
        raise Refusal(INVALID_SCHEDULE, "a Recurring schedule needs the startSchedule it recurs from")


def _check_kind(raw: Payload) -> None:
    kind = raw["chargingProfileKind"]
    if (kind == "Recurring") != ("recurrencyKind" in raw):
        raise Refusal(INVALID_PROFILE, "recurrencyKind goes with a Recurring profile, and only with one")


# ---------------------------------------------------------------------------------------------- the EVSE


def transaction_start(state: ConnectorState) -> datetime | None:
    """When the connector's running transaction began (None: none runs)."""
    tx = state.transaction
    return None if tx is None else parse_time(tx.started_at)


def station_composite(
    station: SmartChargingStation, evse_id: int, start: datetime, duration: int, unit: str
) -> list[CompositePeriod]:
    state = station.connectors.get(evse_id)
    return composite_schedule(
        station.charging_profiles.profiles(),
        evse_id=evse_id,
        start=start,
        duration=duration,
        unit=unit,
        transaction_start=transaction_start(state) if state is not None else None,
        rating=EVSE_RATING,
    )


def offered_limit(profiles: ChargingProfiles, state: ConnectorState) -> Limit:
    """What the EVSE of `state` offers its car now, in amperes per phase: the composite limit of the
    installed profiles, capped by the EVSE's rating."""
    return limit_at(
        profiles.profiles(),
        evse_id=state.connector_id,
        at=profiles.clock(),
        unit=AMPERES,
        transaction_start=transaction_start(state),
        rating=EVSE_RATING,
    )


def next_limit_change(profiles: ChargingProfiles, state: ConnectorState) -> datetime | None:
    """When the offer to the car of `state` may change next (None: not within a week, or never)."""
    return next_change(
        profiles.profiles(),
        evse_id=state.connector_id,
        after=profiles.clock(),
        transaction_start=transaction_start(state),
    )


def unlimited_power_w(ev: ElectricVehicle) -> float:
    """What the car draws where no profile limits it: as much as it and the EVSE's rating allow."""
    return ev.power_w(Limit(EVSE_RATING.max_current_a, EVSE_RATING.phases))


# ---------------------------------------------------------------------------------------------- the handler


class SmartChargingHandler:
    """Answers one station's smart charging calls."""

    def __init__(self, station: SmartChargingStation) -> None:
        self.station = station
        # ReportChargingProfiles to send once the GetChargingProfiles answer is on the wire.
        self._follow_ups: list[Callable[[], Coroutine[Any, Any, None]]] = []

    def routes(self) -> dict[str, Handler]:
        if self.station.version is OcppVersion.V16:
            return {
                "SetChargingProfile": self.set_v16,
                "ClearChargingProfile": self.clear_v16,
                "GetCompositeSchedule": self.composite_v16,
            }
        return {
            "SetChargingProfile": self.set_v201,
            "ClearChargingProfile": self.clear_v201,
            "GetCompositeSchedule": self.composite_v201,
            "GetChargingProfiles": self.get_profiles_v201,
        }

    def answered(self, action: str) -> None:
        follow_ups, self._follow_ups = self._follow_ups, []
        for report in follow_ups:
            self.station.spawn(report(), f"report-profiles-after-{action}")

    @property
    def _profiles(self) -> ChargingProfiles:
        return self.station.charging_profiles

    # ------------------------------------------------------------------ installing

    def _admit(self, raw: Payload, evse_id: int, *, remote_start: bool = False) -> Profile:
        """The profile, if the station takes it; raises Refusal otherwise."""
        version = self.station.version
        if evse_id != 0 and evse_id not in self.station.connectors:
            raise Refusal(UNKNOWN_EVSE, f"no EVSE {evse_id}")
        profile = parse_profile(version, raw, evse_id, self._profiles.clock())
        limits = self.station.device_model.charging_limits()
        if profile.purpose is Purpose.STATION_MAX and evse_id != 0:
            raise Refusal(INVALID_PROFILE, "a station max profile is set on EVSE 0")
        if profile.purpose is Purpose.TX:
            self._check_transaction(profile, remote_start)
        elif remote_start:
            raise Refusal(INVALID_PROFILE, "a remote start carries a TxProfile")
        if profile.stack_level > limits.max_stack_level:
            raise Refusal(INVALID_STACK_LEVEL, f"stack level {profile.stack_level} above {limits.max_stack_level}")
        _check_kind(raw)
        for schedule in _schedules(version, raw):
            _check_schedule(schedule, profile.kind, limits)
        installed_after = len(self._profiles) - len(self._profiles.replaced_by(profile)) + 1
        if installed_after > limits.max_profiles:
            raise Refusal(OUT_OF_STORAGE, f"the station holds at most {limits.max_profiles} profiles")
        return profile

    def _check_transaction(self, profile: Profile, remote_start: bool) -> None:
        if profile.evse_id == 0:
            raise Refusal(INVALID_PROFILE, "a TxProfile belongs to the transaction of one EVSE, not EVSE 0")
        if remote_start:
            return  # for the transaction the start begins
        tx = self.station.connectors[profile.evse_id].transaction
        if tx is None or tx.stopping:
            raise Refusal(TX_NOT_FOUND, f"no transaction on EVSE {profile.evse_id}")
        if profile.transaction_id is None:
            if self.station.version is OcppVersion.V201:
                raise Refusal(INVALID_PROFILE, "a TxProfile names its transaction")
            return  # 1.6: the one running
        # 1.6: the id the CSMS assigned may be in its StartTransaction answer, not yet read here.
        if tx.station_tx_id is not None and str(tx.station_tx_id) != profile.transaction_id:
            raise Refusal(
                TX_NOT_FOUND, f"transaction {profile.transaction_id} is not running on EVSE {profile.evse_id}"
            )

    def _install(self, raw: Payload, evse_id: int, *, remote_start: bool = False) -> Refusal | None:
        try:
            profile = self._admit(raw, evse_id, remote_start=remote_start)
        except Refusal as refusal:
            self.station.emit("command", f"charging profile refused: {refusal}", evse_id or None)
            return refusal
        self._profiles.install(InstalledProfile(profile, raw))
        return None

    def accept_remote_start_profile(self, raw: Payload, evse_id: int) -> bool:
        """Install the TxProfile a remote start carries, for the transaction it begins on `evse_id`."""
        return self._install(raw, evse_id, remote_start=True) is None

    # ------------------------------------------------------------------ OCPP 1.6

    async def set_v16(self, payload: Payload) -> Payload:
        refusal = self._install(payload["csChargingProfiles"], payload["connectorId"])
        return {"status": "Rejected" if refusal else "Accepted"}

    async def clear_v16(self, payload: Payload) -> Payload:
        profile_id = payload.get("id")
        if profile_id is not None:
            removed = self._profiles.remove(lambda p: p.profile_id == profile_id)
        else:
            purposes = (
                {_V16_PURPOSES.get(payload["chargingProfilePurpose"])} if "chargingProfilePurpose" in payload else None
            )
            removed = self._profiles.remove(
                lambda p: _matches(p, payload.get("connectorId"), purposes, payload.get("stackLevel"))
            )
        return {"status": "Accepted" if removed else "Unknown"}

    async def composite_v16(self, payload: Payload) -> Payload:
        connector_id = payload["connectorId"]
        unit = payload.get("chargingRateUnit", AMPERES)
        if not self._can_compose(connector_id, payload["duration"], unit):
            return {"status": "Rejected"}
        start, periods = self._compose(connector_id, payload["duration"], unit)
        return {
            "status": "Accepted",
            "connectorId": connector_id,
            "scheduleStart": _iso(start),
            "chargingSchedule": {
                "duration": payload["duration"],
                "chargingRateUnit": unit,
                "chargingSchedulePeriod": _periods_payload(periods),
            },
        }

    # ------------------------------------------------------------------ OCPP 2.0.1

    async def set_v201(self, payload: Payload) -> Payload:
        refusal = self._install(payload["chargingProfile"], payload["evseId"])
        if refusal is None:
            return {"status": "Accepted"}
        return {"status": "Rejected", "statusInfo": _status_info(refusal.reason, refusal.info)}

    async def clear_v201(self, payload: Payload) -> Payload:
        profile_id = payload.get("chargingProfileId")
        if profile_id is not None:
            removed = self._profiles.remove(lambda p: p.profile_id == profile_id)
        else:
            criteria = payload.get("chargingProfileCriteria", {})
            name = criteria.get("chargingProfilePurpose")
            purposes = None if name is None else {_V201_PURPOSES.get(name)}
            removed = self._profiles.remove(
                lambda p: _matches(p, criteria.get("evseId"), purposes, criteria.get("stackLevel"))
            )
        return {"status": "Accepted" if removed else "Unknown"}

    async def composite_v201(self, payload: Payload) -> Payload:
        evse_id = payload["evseId"]
        unit = payload.get("chargingRateUnit", AMPERES)
        if evse_id != 0 and evse_id not in self.station.connectors:
            return {"status": "Rejected", "statusInfo": _status_info(UNKNOWN_EVSE, f"no EVSE {evse_id}")}
        if not self._can_compose(evse_id, payload["duration"], unit):
            return {"status": "Rejected", "statusInfo": _status_info(UNSUPPORTED_RATE_UNIT, "cannot report that")}
        start, periods = self._compose(evse_id, payload["duration"], unit)
        return {
            "status": "Accepted",
            "schedule": {
                "evseId": evse_id,
                "duration": payload["duration"],
                "scheduleStart": _iso(start),
                "chargingRateUnit": unit,
                "chargingSchedulePeriod": _periods_payload(periods),
            },
        }

    async def get_profiles_v201(self, payload: Payload) -> Payload:
        chosen = [entry for entry in self._profiles.installed if _requested(entry.profile, payload)]
        if not chosen:
            return {"status": "NoProfiles"}
        by_evse: dict[int, list[Payload]] = {}
        for entry in sorted(chosen, key=lambda e: (e.profile.evse_id, e.profile.profile_id)):
            by_evse.setdefault(entry.profile.evse_id, []).append(self._reported(entry))
        request_id = payload["requestId"]
        self._follow_ups.append(lambda: self._report(request_id, by_evse))
        return {"status": "Accepted"}

    def _reported(self, entry: InstalledProfile) -> Payload:
        """The profile as installed; a TxProfile a remote start carried now names its transaction."""
        reported = dict(entry.payload)
        if entry.profile.purpose is Purpose.TX and "transactionId" not in reported:
            tx = self.station.connectors[entry.profile.evse_id].transaction
            if tx is not None and tx.station_tx_id is not None:
                reported["transactionId"] = str(tx.station_tx_id)
        return reported

    async def _report(self, request_id: int, by_evse: dict[int, list[Payload]]) -> None:
        evse_ids = list(by_evse)
        for index, evse_id in enumerate(evse_ids):
            report = {
                "requestId": request_id,
                "chargingLimitSource": "CSO",
                "evseId": evse_id,
                "chargingProfile": by_evse[evse_id],
                "tbc": index < len(evse_ids) - 1,
            }
            try:
                await self.station.call("ReportChargingProfiles", report)
            except (CallErrorReceived, CallTimeout) as exc:
                logger.warning("%s: ReportChargingProfiles failed: %s", self.station.station_id, exc)
                return

    # ------------------------------------------------------------------ both

    def _can_compose(self, evse_id: int, duration: int, unit: str) -> bool:
        known = evse_id == 0 or evse_id in self.station.connectors
        return known and duration > 0 and unit in self.station.device_model.charging_limits().rate_units

    def _compose(self, evse_id: int, duration: int, unit: str) -> tuple[datetime, list[CompositePeriod]]:
        # Whole seconds, as the periods are; rounded up, so that the schedule starts no earlier than now
        # (a Relative TxProfile of a transaction begun a moment ago holds from offset 0).
        now = self._profiles.clock()
        start = now.replace(microsecond=0) + timedelta(seconds=1 if now.microsecond else 0)
        return start, station_composite(self.station, evse_id, start, duration, unit)


def _matches(profile: Profile, evse_id: int | None, purposes: set[Purpose | None] | None, level: int | None) -> bool:
    """ClearChargingProfile criteria: each one given must hold (none given: every profile)."""
    return (
        (evse_id is None or profile.evse_id == evse_id)
        and (purposes is None or profile.purpose in purposes)
        and (level is None or profile.stack_level == level)
    )


def _requested(profile: Profile, payload: Payload) -> bool:
    """GetChargingProfiles criteria; the CSMS set every profile the simulator holds (source CSO)."""
    evse_id = payload.get("evseId")
    if evse_id is not None and profile.evse_id != evse_id:
        return False
    criteria = payload["chargingProfile"]
    if "CSO" not in criteria.get("chargingLimitSource", ["CSO"]):
        return False
    ids = criteria.get("chargingProfileId")
    if ids is not None:
        return profile.profile_id in ids  # asked by id: the other criteria do not narrow it
    name = criteria.get("chargingProfilePurpose")
    if name is not None and _V201_PURPOSES.get(name) is not profile.purpose:
        return False
    level = criteria.get("stackLevel")
    return level is None or profile.stack_level == level


def _periods_payload(periods: list[CompositePeriod]) -> list[Payload]:
    return [{"startPeriod": p.start, "limit": p.limit, "numberPhases": p.phases} for p in periods]


def _status_info(reason: str, info: str) -> Payload:
    return {"reasonCode": reason[:20], "additionalInfo": info[:512]}


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
