"""Charging profiles through the real API app (SQLite), with a scripted station link: what is refused
before anything is sent (422 naming the field), what a station's refusal leaves behind, offline delivery,
clearing, the composite and templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.support.api_builders import a_booted_station, a_v16_transaction
from tests.support.api_fixtures import ScriptedLink
from voltline.areas.audit.model import AuditQuery
from voltline.areas.audit.service import AuditService
from voltline.areas.configuration.service import ConfigurationService, ReadSettings, SettingReading
from voltline.areas.smart_charging.commands import (
    ClearChargingProfile,
    GetCompositeSchedule,
    ProfileAnswer,
    SetChargingProfile,
)
from voltline.areas.smart_charging.model import (
    ChargingProfile,
    ChargingProfilePurpose,
    ChargingSchedule,
    ProfileKind,
    RateUnit,
    SchedulePeriod,
)
from voltline.areas.smart_charging.service import SmartChargingService
from voltline.areas.stations.model import Registration
from voltline.areas.stations.service import StationRegistration, StationService
from voltline.kernel.commands import Command, CommandResult, StatusInfo
from voltline.kernel.services import ServiceRegistry
from voltline.kernel.versions import OcppVersion

STATION = "CP-16"
V16_LIMITS = {
    "ChargingScheduleMaxPeriods": "2",
    "ChargeProfileMaxStackLevel": "3",
    "ChargingScheduleAllowedChargingRateUnit": "Current",
}


@dataclass
class SmartLink(ScriptedLink):
    """Answers by command: reads from `settings`, SetChargingProfile / ClearChargingProfile with `verdict`."""

    settings: dict[str, str] = field(default_factory=dict)
    verdict: ProfileAnswer = field(default_factory=lambda: ProfileAnswer("Accepted"))

    async def send(self, station_id: str, command: Command) -> CommandResult:
        self._require(station_id)
        self.sent.append((station_id, command))
        if isinstance(command, ReadSettings):
            readings = [
                SettingReading(a, "Accepted", self.settings[a.variable.name])
                if a.variable.name in self.settings
                else SettingReading(a, "UnknownKey")
                for a in command.addresses
            ]
            return CommandResult("", {}, readings)
        if isinstance(command, SetChargingProfile | ClearChargingProfile):
            return CommandResult(self.verdict.status, {"status": self.verdict.status}, self.verdict)
        raise AssertionError(f"unexpected {command!r}")

    def profiles_sent(self) -> list[SetChargingProfile]:
        return [c for _, c in self.sent if isinstance(c, SetChargingProfile)]


@pytest.fixture
def link() -> SmartLink:
    return SmartLink(online={STATION}, settings=dict(V16_LIMITS))


@pytest.fixture(autouse=True)
async def registered(services: ServiceRegistry) -> None:
    await services[StationService].register(STATION, StationRegistration(Registration.ACCEPTED, 0))


def a_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "purpose": "TxDefaultProfile",
        "stack_level": 1,
        "kind": "Absolute",
        "evse_id": 1,
        "schedules": [
            {
                "unit": "A",
                "start": "2026-12-05T00:00:00Z",
                "periods": [{"start_offset": 0, "limit": 16}, {"start_offset": 3600, "limit": 10.5}],
            }
        ],
    }
    body.update(overrides)
    return body


def with_periods(*periods: dict[str, Any], unit: str = "A") -> list[dict[str, Any]]:
    return [{"unit": unit, "start": "2026-12-05T00:00:00Z", "periods": list(periods)}]


async def test_a_profile_is_stored_sent_and_accepted(client: httpx.AsyncClient, link: SmartLink) -> None:
    response = await client.post(f"/api/v1/stations/{STATION}/charging-profiles", json=a_body())
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["sent"] is True and body["status"] == "Accepted"
    assert body["profile"]["profile_id"] == 1 and body["profile"]["state"] == "accepted"
    assert body["profile"]["source"] == "api_key" and body["profile"]["set_by"].startswith("key:")
    [sent] = link.profiles_sent()
    assert sent.profile.schedules[0].periods[1].limit == 10.5
    listed = (await client.get(f"/api/v1/stations/{STATION}/charging-profiles")).json()
    assert [(p["profile_id"], p["state"]) for p in listed] == [(1, "accepted")]


REFUSED = [
    (
        "more periods than ChargingScheduleMaxPeriods",
        a_body(
            schedules=with_periods(
                {"start_offset": 0, "limit": 16}, {"start_offset": 60, "limit": 8}, {"start_offset": 120, "limit": 6}
            )
        ),
        "schedules[0].periods",
    ),
    ("stack level above ChargeProfileMaxStackLevel", a_body(stack_level=4), "stack_level"),
    (
        "a unit the station does not take",
        a_body(schedules=with_periods({"start_offset": 0, "limit": 7000}, unit="W")),
        "schedules[0].unit",
    ),
    (
        "a 2.0.1-only field on 1.6",
        a_body(schedules=with_periods({"start_offset": 0, "limit": 16, "number_phases": 1, "phase_to_use": 2})),
        "schedules[0].periods[0].phase_to_use",
    ),
    ("two schedules on 1.6", a_body(schedules=with_periods({"start_offset": 0, "limit": 16}) * 2), "schedules"),
    ("a TxProfile with no transaction", a_body(purpose="TxProfile"), "transaction_id"),
    ("a TxProfile of an unknown transaction", a_body(purpose="TxProfile", transaction_id="999"), "transaction_id"),
    (
        "overlapping periods",
        a_body(schedules=with_periods({"start_offset": 0, "limit": 16}, {"start_offset": 0, "limit": 8})),
        "schedules[0].periods[1].start_offset",
    ),
    ("external constraints", a_body(purpose="ChargingStationExternalConstraints", evse_id=0), "purpose"),
]


@pytest.mark.parametrize(("case", "body", "field_name"), REFUSED, ids=[r[0] for r in REFUSED])
async def test_what_the_station_could_not_take_is_a_422_and_nothing_is_sent(
    client: httpx.AsyncClient, link: SmartLink, case: str, body: dict[str, Any], field_name: str
) -> None:
    response = await client.post(f"/api/v1/stations/{STATION}/charging-profiles", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["detail"].startswith(f"{field_name}:"), response.json()
    assert link.profiles_sent() == []
    assert (await client.get(f"/api/v1/stations/{STATION}/charging-profiles")).json() == []


@pytest.mark.parametrize(
    "body",
    [
        a_body(schedules=with_periods({"start_offset": 0, "limit": -1})),
        a_body(schedules=with_periods({"start_offset": 0, "limit": 16.25})),
        a_body(stack_level="1"),
        a_body(kind="Sometimes"),
        a_body(schedules=[]),
        a_body(surprise=True),
    ],
    ids=["negative limit", "two decimals", "text number", "unknown kind", "no schedule", "unknown field"],
)
async def test_malformed_bodies_are_422_and_nothing_is_sent(
    client: httpx.AsyncClient, link: SmartLink, body: dict[str, Any]
) -> None:
    response = await client.post(f"/api/v1/stations/{STATION}/charging-profiles", json=body)
    assert response.status_code == 422, response.text
    assert link.sent == []


async def test_a_station_refusal_is_stored_with_its_reason(client: httpx.AsyncClient, link: SmartLink) -> None:
    link.verdict = ProfileAnswer("Rejected", StatusInfo("InvalidSchedule", "too many periods"))
    response = await client.post(f"/api/v1/stations/{STATION}/charging-profiles", json=a_body())
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "Rejected"
    stored = (await client.get(f"/api/v1/stations/{STATION}/charging-profiles/1")).json()
    assert stored["state"] == "rejected"
    assert stored["status_reason"] == "Rejected: InvalidSchedule (too many periods)"


async def test_an_offline_station_gets_the_profile_later(
    client: httpx.AsyncClient, link: SmartLink, services: ServiceRegistry
) -> None:
    await a_booted_station(services, STATION)  # its version is known from its boot
    link.online.clear()
    response = await client.post(f"/api/v1/stations/{STATION}/charging-profiles", json=a_body())
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["sent"] is False and body["profile"]["state"] == "pending"
    assert link.sent == []


async def test_a_station_that_never_connected_is_refused(client: httpx.AsyncClient, link: SmartLink) -> None:
    link.online.clear()
    response = await client.post(f"/api/v1/stations/{STATION}/charging-profiles", json=a_body())
    assert response.status_code == 422
    assert "not connected yet" in response.json()["detail"]


async def test_an_unknown_station_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/stations/CP-NOPE/charging-profiles", json=a_body())
    assert response.status_code == 404


async def test_a_tx_profile_names_its_transaction_by_either_id(
    client: httpx.AsyncClient, link: SmartLink, services: ServiceRegistry
) -> None:
    tx = await a_v16_transaction(services, STATION)
    response = await client.post(
        f"/api/v1/stations/{STATION}/charging-profiles",
        json=a_body(purpose="TxProfile", transaction_id=str(tx.id), evse_id=0),
    )
    assert response.status_code == 201, response.text
    profile = response.json()["profile"]
    assert profile["transaction_id"] == tx.station_tx_id and profile["evse_id"] == tx.evse_id
    [sent] = link.profiles_sent()
    assert sent.profile.transaction_id == tx.station_tx_id


async def test_the_same_evse_purpose_and_level_replaces_the_earlier_profile(
    client: httpx.AsyncClient, link: SmartLink
) -> None:
    await client.post(f"/api/v1/stations/{STATION}/charging-profiles", json=a_body())
    await client.post(f"/api/v1/stations/{STATION}/charging-profiles", json=a_body())
    listed = (await client.get(f"/api/v1/stations/{STATION}/charging-profiles")).json()
    assert [(p["profile_id"], p["state"]) for p in listed] == [(1, "cleared"), (2, "accepted")]
    assert listed[0]["status_reason"] == "replaced on the station by profile 2"


async def test_clearing_by_criteria_marks_what_matched(client: httpx.AsyncClient, link: SmartLink) -> None:
    await client.post(f"/api/v1/stations/{STATION}/charging-profiles", json=a_body())
    await client.post(f"/api/v1/stations/{STATION}/charging-profiles", json=a_body(stack_level=2))
    response = await client.post(
        f"/api/v1/stations/{STATION}/clear-charging-profiles", json={"purpose": "TxDefaultProfile", "stack_level": 2}
    )
    assert response.status_code == 200, response.text
    assert response.json()["cleared"] == [2]
    clear = [c for _, c in link.sent if isinstance(c, ClearChargingProfile)]
    assert clear[-1].stack_level == 2 and clear[-1].profile_id is None
    states = {
        p["profile_id"]: p["state"] for p in (await client.get(f"/api/v1/stations/{STATION}/charging-profiles")).json()
    }
    assert states == {1: "accepted", 2: "cleared"}


async def test_our_composite_alone(client: httpx.AsyncClient, link: SmartLink) -> None:
    await client.post(
        f"/api/v1/stations/{STATION}/charging-profiles",
        json=a_body(kind="Relative", schedules=[{"unit": "A", "periods": [{"start_offset": 0, "limit": 13}]}]),
    )
    response = await client.get(
        f"/api/v1/stations/{STATION}/composite-schedule", params={"evse_id": 1, "duration": 600, "ask_station": "false"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["station"] is None and body["matches"] is None
    assert body["ours"]["periods"] == [{"start_offset": 0, "limit": 13.0, "number_phases": None}]
    assert not any(isinstance(c, GetCompositeSchedule) for _, c in link.sent)


async def test_a_template_applies_to_many_stations(
    client: httpx.AsyncClient, link: SmartLink, services: ServiceRegistry
) -> None:
    await services[StationService].register("CP-OTHER", StationRegistration(Registration.ACCEPTED, 0))
    link.online.add("CP-OTHER")
    created = await client.post(
        "/api/v1/charging-profile-templates",
        json={"name": "night cap", "profile": a_body(purpose="ChargingStationMaxProfile", evse_id=0)},
    )
    assert created.status_code == 201, created.text
    template_id = created.json()["id"]
    applied = await client.post(
        f"/api/v1/charging-profile-templates/{template_id}/apply",
        json={"station_ids": [STATION, "CP-OTHER", "CP-NONE"]},
    )
    assert applied.status_code == 200, applied.text
    outcomes = {o["station_id"]: o for o in applied.json()}
    assert outcomes[STATION]["delivery"]["profile"]["template_id"] == template_id
    assert outcomes["CP-OTHER"]["delivery"]["status"] == "Accepted"
    assert outcomes["CP-NONE"]["error"].startswith("NotFound")
    assert [p.profile.purpose.value for p in link.profiles_sent()] == ["station_max", "station_max"]


async def test_a_tx_profile_cannot_be_a_template(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/charging-profile-templates", json={"name": "tx", "profile": a_body(purpose="TxProfile")}
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("purpose:")


async def test_a_template_name_is_taken_once(client: httpx.AsyncClient) -> None:
    first = await client.post("/api/v1/charging-profile-templates", json={"name": "0", "profile": a_body()})
    assert first.status_code == 201, first.text
    again = await client.post("/api/v1/charging-profile-templates", json={"name": "0", "profile": a_body()})
    assert again.status_code == 409
    assert "named '0' exists" in again.json()["detail"]
    listed = await client.get("/api/v1/charging-profile-templates")
    assert [t["name"] for t in listed.json()] == ["0"]


async def test_a_station_removed_and_registered_again_starts_without_profiles(
    client: httpx.AsyncClient, link: SmartLink, services: ServiceRegistry
) -> None:
    await a_booted_station(services, STATION)
    link.online.clear()
    response = await client.post(f"/api/v1/stations/{STATION}/charging-profiles", json=a_body())
    assert response.status_code == 202, response.text
    await services[StationService].delete(STATION)
    await services[StationService].register(STATION, StationRegistration(Registration.ACCEPTED, 0))
    await a_booted_station(services, STATION)
    link.online.add(STATION)
    smart_charging = services[SmartChargingService]
    await smart_charging.reconcile(STATION)  # even when asked: the old profile went with the station
    assert link.profiles_sent() == []
    assert (await client.get(f"/api/v1/stations/{STATION}/charging-profiles")).json() == []


async def test_profiles_held_in_memory_follow_every_replacement_as_stored(
    client: httpx.AsyncClient, link: SmartLink, services: ServiceRegistry
) -> None:
    """A load controller sends profile after profile without reading them back: what the service holds in
    memory (and retires from) must stay what the database says, replacement after replacement."""
    service = services[SmartChargingService]
    for _ in range(3):  # new ids on the same EVSE, purpose and level: each retires the one before
        assert (await client.post(f"/api/v1/stations/{STATION}/charging-profiles", json=a_body())).status_code == 201
    again = a_body(profile_id=3, schedules=with_periods({"start_offset": 0, "limit": 8}))
    assert (await client.post(f"/api/v1/stations/{STATION}/charging-profiles", json=again)).status_code == 201
    other_evse = a_body(evse_id=2)
    assert (await client.post(f"/api/v1/stations/{STATION}/charging-profiles", json=other_evse)).status_code == 201

    stored = await service.profiles(STATION, active_only=True)
    held = service.cached_active(STATION)
    assert [(r.profile.evse_id, r.profile.profile_id, r.state.value) for r in stored] == [
        (1, 3, "accepted"),
        (2, 4, "accepted"),
    ]
    assert [(r.profile.profile_id, r.state, r.profile.schedules) for r in held] == [
        (r.profile.profile_id, r.state, r.profile.schedules) for r in stored
    ]
    assert stored[0].profile.schedules[0].periods[0].limit == 8


async def test_a_caller_following_transactions_names_one_without_a_lookup(
    link: SmartLink, services: ServiceRegistry
) -> None:
    tx = await a_v16_transaction(services, STATION)
    service = services[SmartChargingService]
    profile = ChargingProfile(
        profile_id=7,
        purpose=ChargingProfilePurpose.TX,
        stack_level=1,
        kind=ProfileKind.RELATIVE,
        schedules=(ChargingSchedule(RateUnit.AMPERES, (SchedulePeriod(0, 10.0),)),),
        evse_id=tx.evse_id,
        transaction_id=tx.station_tx_id,
    )
    delivery = await service.set_profile(STATION, profile, transaction_bound=True)
    assert delivery.record.state.value == "accepted"
    [sent] = link.profiles_sent()
    assert (sent.profile.transaction_id, sent.profile.evse_id) == (tx.station_tx_id, tx.evse_id)


async def test_batched_answers_are_written_together_with_their_audit_records(
    link: SmartLink, services: ServiceRegistry
) -> None:
    """The load controller's way: the answers' states and the commands' audit records wait for one batch;
    what the service holds meanwhile (and retires) is what the database says once it is written."""
    service = services[SmartChargingService]

    def limit(profile_id: int, amps: float) -> ChargingProfile:
        schedule = ChargingSchedule(RateUnit.AMPERES, (SchedulePeriod(0, amps),))
        return ChargingProfile(
            profile_id=profile_id,
            purpose=ChargingProfilePurpose.TX_DEFAULT,
            stack_level=2,
            kind=ProfileKind.RELATIVE,
            schedules=(schedule,),
            evse_id=1,
        )

    for profile_id, amps in ((11, 16.0), (12, 10.0), (12, 8.0)):
        delivery = await service.set_profile(STATION, limit(profile_id, amps), answer_batched=True)
        assert delivery.record.state.value == "accepted"
    held = [(r.profile.profile_id, r.state.value) for r in service.cached_active(STATION)]
    assert held == [(12, "accepted")]  # 11 was replaced by 12 on the station: retired in memory at once

    await service.flush_states()
    every = {r.profile.profile_id: r for r in await service.profiles(STATION)}
    assert (every[11].state.value, every[12].state.value) == ("cleared", "accepted")
    assert every[12].profile.schedules[0].periods[0].limit == 8.0
    entries = await services[AuditService].search(AuditQuery(action="SetChargingProfile", target=STATION))
    assert [e.result for e in entries] == ["Accepted"] * 3


async def test_the_limits_of_many_stations_are_read_at_once_and_asked_for_once(
    link: SmartLink, services: ServiceRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a controller sending many stations a profile each does first: one read of their stored limits,
    the unknown ones asked of each station once (all three in one request), then held."""
    others = ["CP-A", "CP-B"]
    for station_id in others:
        await services[StationService].register(station_id, StationRegistration(Registration.ACCEPTED, 0))
    link.online.update(others)
    configuration = services[ConfigurationService]
    reads: list[list[str]] = []
    real_stored_values = configuration.stored_values

    async def counted(station_ids: Any, addresses: Any) -> Any:
        reads.append(sorted(station_ids))
        return await real_stored_values(station_ids, addresses)

    monkeypatch.setattr(configuration, "stored_values", counted)
    service = services[SmartChargingService]
    stations = [STATION, *others, "CP-offline"]
    await service.prefetch_limits(stations)
    assert reads == [sorted([STATION, *others])]  # one read, for the connected ones
    asked = [(s, len(c.addresses)) for s, c in link.sent if isinstance(c, ReadSettings)]
    assert sorted(asked) == sorted((s, 3) for s in [STATION, *others])
    for station_id in (STATION, *others):
        limits = await service.station_limits(station_id, OcppVersion.V16)
        assert (limits.max_periods, limits.max_stack_level) == (2, 3)
    assert len(reads) == 1 and len(link.sent) == 3  # held: neither read nor asked again

    service._limits.clear()  # as when the cache runs out: the values the stations told are stored now
    await service.prefetch_limits(stations)
    assert len(reads) == 2 and len(link.sent) == 3
    assert (await service.station_limits("CP-A", OcppVersion.V16)).max_stack_level == 3
