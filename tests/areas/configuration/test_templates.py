"""Configuration templates on SQLite and PostgreSQL: CRUD, selection, drift, apply and apply-on-boot,
against simulated stations through the real encoders (tests/support/simulated_link.py)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.support.simulated_link import SimulatedLink
from tests.support.waiting import eventually
from tests.support.wiring import wired_services
from voltline.areas.configuration.model import (
    ComponentRef,
    ConfigurationTemplate,
    SettingAddress,
    SettingValue,
    TemplateRun,
    TemplateSelector,
    VariableRef,
)
from voltline.areas.configuration.service import ConfigurationService
from voltline.areas.configuration.templates import TemplateService, same_value
from voltline.areas.stations.model import Registration
from voltline.areas.stations.service import BootInfo, StationRegistration, StationService
from voltline.composition import flush_areas, start_areas, stop_areas
from voltline.kernel.after_boot import AfterBoot
from voltline.kernel.commands import CommandService
from voltline.kernel.errors import Conflict, InvalidRequest, NotFound
from voltline.kernel.pending_requests import InProcessPendingRequests
from voltline.storage.sql import SqlStorage

# Named alike by both versions: a 1.6 station takes the variable name as its key.
HEARTBEAT = SettingAddress(ComponentRef("OCPPCommCtrlr"), VariableRef("HeartbeatInterval"))
PING = SettingAddress(ComponentRef("OCPPCommCtrlr"), VariableRef("WebSocketPingInterval"))


def a_template(**overrides: object) -> ConfigurationTemplate:
    base = ConfigurationTemplate(
        id=None,
        name="fleet",
        values=(SettingValue(HEARTBEAT, "120"), SettingValue(PING, "45")),
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


@pytest.fixture
def link() -> SimulatedLink:
    return SimulatedLink()


@pytest.fixture
async def templates(storage: SqlStorage, stations: StationService, link: SimulatedLink) -> TemplateService:
    for station_id, version, vendor in (("CP-16", "ocpp1.6", "Acme"), ("CP-201", "ocpp2.0.1", "Acme")):
        await stations.register(station_id, StationRegistration(Registration.ACCEPTED, 0))
        await stations.boot(station_id, BootInfo(vendor, "A1", None, None, "PowerUp", version))
    await stations.register("CP-NEW", StationRegistration(Registration.ACCEPTED, 0))  # never booted
    commands = CommandService(link)
    configuration = ConfigurationService(storage, commands, InProcessPendingRequests())
    link.configuration = configuration
    return TemplateService(storage, configuration, commands)


async def test_create_update_delete_and_their_conflicts(templates: TemplateService) -> None:
    created = await templates.create(a_template(selector=TemplateSelector(vendor="acme")))
    assert created.id is not None and created.values == a_template().values
    assert (await templates.get(created.id)).selector == TemplateSelector(vendor="acme")
    with pytest.raises(Conflict):
        await templates.create(a_template())
    other = await templates.create(a_template(name="other"))
    assert other.id is not None
    with pytest.raises(Conflict):
        await templates.update(other.id, a_template())  # takes the first one's name
    updated = await templates.update(other.id, a_template(name="renamed", apply_on_boot=True))
    assert updated.apply_on_boot and updated.created_at == other.created_at
    with pytest.raises(InvalidRequest, match="twice"):
        await templates.create(a_template(name="dup", values=(SettingValue(PING, "1"), SettingValue(PING, "2"))))
    await templates.delete(created.id)
    assert [t.name for t in await templates.list()] == ["renamed"]
    for missing in (templates.get(created.id), templates.delete(created.id), templates.drift(created.id)):
        with pytest.raises(NotFound):
            await missing
    with pytest.raises(NotFound):
        await templates.update(created.id, a_template(name="ghost"))


@pytest.mark.parametrize(
    ("selector", "selected"),
    [
        (TemplateSelector(), ["CP-16", "CP-201", "CP-NEW"]),
        (TemplateSelector(vendor="ACME"), ["CP-16", "CP-201"]),
        (TemplateSelector(vendor="acme", ocpp_version="2.0.1"), ["CP-201"]),
        (TemplateSelector(model="A1", station_ids=("CP-16", "CP-NEW")), ["CP-16"]),
        (TemplateSelector(model="B2"), []),
    ],
)
async def test_selectors_pick_stations_by_every_given_criterion(
    templates: TemplateService, selector: TemplateSelector, selected: list[str]
) -> None:
    template = await templates.create(a_template(selector=selector))
    assert template.id is not None
    assert [s.station_id for s in (await templates.drift(template.id)).stations] == selected


async def test_drift_apply_and_apply_on_boot_on_both_versions(templates: TemplateService, link: SimulatedLink) -> None:
    old = link.attach("CP-16", "1.6")
    new = link.attach("CP-201", "2.0.1")
    template = await templates.create(a_template(selector=TemplateSelector(vendor="Acme")))
    assert template.id is not None

    drift = {s.station_id: s for s in (await templates.drift(template.id)).stations}
    assert [(i.state, i.stored) for i in drift["CP-16"].items] == [("unknown", None), ("unknown", None)]
    assert drift["CP-16"].online and drift["CP-16"].last_run is None

    results = {r.station_id: r for r in await templates.apply(template.id)}
    assert {k: r.outcome for k, r in results.items()} == {"CP-16": "Applied", "CP-201": "Applied"}
    run = results["CP-16"].run
    assert run is not None and run.reboot_required and run.trigger == "api"
    # 1.6 names the setting by key: the template's component is dropped for it.
    assert [(str(i.address), i.previous, i.status) for i in run.items] == [
        ("HeartbeatInterval", "300", "Accepted"),
        ("WebSocketPingInterval", "30", "RebootRequired"),
    ]
    assert old.device_model.get("HeartbeatInterval") == "120"
    assert new.device_model.get("WebSocketPingInterval", "OCPPCommCtrlr") == "45"
    drift = {s.station_id: s for s in (await templates.drift(template.id)).stations}
    assert drift["CP-16"].items == [] and drift["CP-201"].items == []
    assert drift["CP-201"].last_run is not None and drift["CP-201"].last_run.outcome == "Applied"

    # Drift shows values that changed since, once the model knows of them.
    new.device_model.set("HeartbeatInterval", "600", "OCPPCommCtrlr")
    await templates._configuration.read("CP-201", [HEARTBEAT])
    drift = {s.station_id: s for s in (await templates.drift(template.id)).stations}
    assert [(i.state, i.stored, i.desired) for i in drift["CP-201"].items] == [("differs", "600", "120")]

    # Not apply-on-boot: a boot changes nothing.
    writes = len(link.sent)
    await templates.reconcile("CP-201")
    assert len(link.sent) == writes
    await templates.update(template.id, replace(template, apply_on_boot=True))
    link.sent.clear()
    await templates.reconcile("CP-201")
    assert link.sent == [("CP-201", "GetVariables"), ("CP-201", "SetVariables")]  # only what differs is written
    assert new.device_model.get("HeartbeatInterval", "OCPPCommCtrlr") == "120"
    run = next(s.last_run for s in (await templates.drift(template.id)).stations if s.station_id == "CP-201")
    assert run is not None and run.trigger == "boot" and run.outcome == "Applied"
    assert [i.status for i in run.items] == ["Accepted", "InSync"]

    link.sent.clear()
    await templates.reconcile("CP-16")
    assert link.sent == [("CP-16", "GetConfiguration")]  # in line already: nothing to write


async def test_offline_unselected_failed_and_partial_stations(templates: TemplateService, link: SimulatedLink) -> None:
    old = link.attach("CP-16", "1.6")
    template = await templates.create(
        a_template(
            selector=TemplateSelector(station_ids=("CP-16", "CP-201", "CP-NEW")),
            values=(
                SettingValue(HEARTBEAT, "120"),
                SettingValue(SettingAddress.key("NumberOfConnectors"), "4"),  # read-only: Rejected
                SettingValue(SettingAddress.key("NoSuchKey"), "1"),  # unknown: not even tried
            ),
        )
    )
    assert template.id is not None
    results = {r.station_id: r for r in await templates.apply(template.id, ["CP-16", "CP-201", "CP-X"])}
    assert {k: r.outcome for k, r in results.items()} == {
        "CP-16": "Partial",
        "CP-201": "Offline",
        "CP-X": "NotSelected",
    }
    run = results["CP-16"].run
    assert run is not None and [i.status for i in run.items] == ["Accepted", "Rejected", "UnknownKey"]
    assert old.device_model.get("NumberOfConnectors") == "1"

    link.attach("CP-201", "2.0.1")
    results = {r.station_id: r for r in await templates.apply(template.id, ["CP-201"])}
    run = results["CP-201"].run
    assert run is not None and results["CP-201"].outcome == "Applied"
    # 1.6 keys have no component: a 2.0.1 station cannot be asked for them.
    assert [i.status for i in run.items] == ["Accepted", "NotApplicable", "NotApplicable"]
    drift = {s.station_id: s for s in (await templates.drift(template.id)).stations}
    assert drift["CP-201"].items == []

    link.time_out_after = 0
    results = {r.station_id: r for r in await templates.apply(template.id, ["CP-201"])}
    failed = results["CP-201"].run
    assert results["CP-201"].outcome == "Failed" and failed is not None
    assert failed.detail is not None and "StationTimeout" in failed.detail
    drift = {s.station_id: s for s in (await templates.drift(template.id)).stations}
    assert drift["CP-201"].last_run == failed and drift["CP-NEW"].last_run is None


async def test_a_boot_run_that_failed_is_retried_by_the_timer_sweep(storage: SqlStorage) -> None:
    """Through the real wiring: the configuration area's timer, on `reconcile_interval`, over AfterBoot."""
    link = SimulatedLink()
    services = wired_services(storage, link, reconcile_interval=0.05)
    link.configuration = services[ConfigurationService]
    stations, templates = services[StationService], services[TemplateService]
    for station_id in ("CP-LATE", "CP-ON-TIME"):
        await stations.register(station_id, StationRegistration(Registration.ACCEPTED, 0))
        await stations.boot(station_id, BootInfo("Acme", "A1", None, None, "PowerUp", "ocpp2.0.1"))
    late = link.attach("CP-LATE", "2.0.1")
    link.attach("CP-ON-TIME", "2.0.1")
    template = await templates.create(
        a_template(values=(SettingValue(HEARTBEAT, "120"), SettingValue(PING, "45")), apply_on_boot=True)
    )
    assert template.id is not None
    await templates.reconcile("CP-ON-TIME")
    link.time_out_after = 0  # CP-LATE does not answer after its boot
    await templates.reconcile("CP-LATE")
    assert await templates.unconverged() == ["CP-LATE"]  # a station that answered is in line: not retried
    link.time_out_after = None
    runs_before = {s.station_id: s.last_run for s in (await templates.drift(template.id)).stations}
    assert runs_before["CP-LATE"] is not None and runs_before["CP-LATE"].outcome == "Failed"

    await start_areas(services)
    try:

        async def retried() -> TemplateRun | None:
            runs = {s.station_id: s.last_run for s in (await templates.drift(template.id)).stations}
            run = runs["CP-LATE"]
            return run if run is not None and run.outcome != "Failed" else None

        run = await eventually(retried, within=5)
        await services[AfterBoot].wait_idle()
    finally:
        await stop_areas(services)
        await flush_areas(services)
        await services[AfterBoot].close()

    # The retry applied the values. Under load a second tick may have come while the first retry ran and
    # queued one more run, which then found the station in line: the last run is Applied or InSync.
    assert run.trigger == "timer" and run.outcome in ("Applied", "InSync")
    assert late.device_model.get("HeartbeatInterval", "OCPPCommCtrlr") == "120"
    assert await templates.unconverged() == []
    runs = {s.station_id: s.last_run for s in (await templates.drift(template.id)).stations}
    assert runs["CP-ON-TIME"] == runs_before["CP-ON-TIME"]  # not touched by the sweep


def test_values_compare_exactly_except_for_boolean_case() -> None:
    assert same_value("True", "true") and same_value(" 60 ", "60")
    assert not same_value("60", "60.0") and not same_value("Yes", "yes")
