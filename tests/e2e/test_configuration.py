"""Device configuration end to end, for 1.6J and 2.0.1: reading and writing settings, the device model
inventory, configuration templates (drift, apply, apply on boot), against the simulator over sockets."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import STATION_PASSWORD, RunningServer
from tests.support.schema_check import assert_server_frames_valid, assert_station_frames_valid
from tests.support.waiting import eventually
from voltline.kernel.after_boot import AfterBoot
from voltline.simulator import SimulatedStation

VERSIONS = ["1.6", "2.0.1"]

Address = dict[str, Any]


def setting(version: str, component: str, variable: str, **extra: Any) -> Address:
    """The address of a setting: the 2.0.1 component and variable, or the 1.6 key (same variable name)."""
    if version == "1.6":
        return {"component": None, "variable": {"name": variable}}
    evse = extra.pop("evse", None)
    address: Address = {
        "component": {"name": component, **({"evse": evse} if evse else {})},
        "variable": {"name": variable},
    }
    address.update(extra)
    return address


# The same intent on both versions: (2.0.1 component, 2.0.1 variable, 1.6 key).
SAMPLE_INTERVAL = {"1.6": ("", "MeterValueSampleInterval"), "2.0.1": ("SampledDataCtrlr", "TxUpdatedInterval")}
CONNECTION_TIMEOUT = {"1.6": ("", "ConnectionTimeOut"), "2.0.1": ("TxCtrlr", "EVConnectionTimeOut")}


def named(version: str, which: dict[str, tuple[str, str]]) -> Address:
    component, variable = which[version]
    return setting(version, component, variable)


def sim_value(station: SimulatedStation, which: dict[str, tuple[str, str]]) -> str | None:
    component, variable = which[station.version.value.removeprefix("ocpp")]
    return station.device_model.get(variable, component or None)


async def register(api: httpx.AsyncClient, station_id: str) -> None:
    response = await api.put(f"/api/v1/stations/{station_id}", json={"password": STATION_PASSWORD})
    assert response.status_code in (200, 201), response.text


@asynccontextmanager
async def booted(
    server: RunningServer,
    api: httpx.AsyncClient,
    station_id: str,
    version: str,
    prepare: Callable[[SimulatedStation], None] | None = None,
) -> AsyncIterator[SimulatedStation]:
    await register(api, station_id)
    station = SimulatedStation(server.ocpp_url, station_id, version, password=STATION_PASSWORD)
    if prepare is not None:
        prepare(station)
    await station.connect()
    try:
        assert (await station.boot())["status"] == "Accepted"
        await server.app.services[AfterBoot].wait_idle()  # type: ignore[union-attr]
        yield station
    finally:
        await station.close()
    assert assert_server_frames_valid(version, station.transcript) > 0
    assert_station_frames_valid(version, station.transcript)


def statuses(body: dict[str, Any]) -> list[str]:
    return [item["status"] for item in body["results"]]


@pytest.mark.parametrize("version", VERSIONS)
async def test_read_and_write_with_per_item_answers(
    server: RunningServer, api: httpx.AsyncClient, version: str
) -> None:
    station_id = f"CP-CFG-{version}"
    async with booted(server, api, station_id, version) as station:
        base = f"/api/v1/stations/{station_id}/configuration"
        if version == "1.6":
            reads = [setting(version, "", k) for k in ("HeartbeatInterval", "NumberOfConnectors", "NoSuchKey")]
            expected_reads = ["Accepted", "Accepted", "UnknownKey"]
            writes = [
                (named(version, SAMPLE_INTERVAL), "30", "Accepted"),
                (setting(version, "", "NumberOfConnectors"), "4", "Rejected"),  # read-only
                (setting(version, "", "HeartbeatInterval"), "often", "Rejected"),  # not a number
                (setting(version, "", "WebSocketPingInterval"), "60", "RebootRequired"),
                (setting(version, "", "NoSuchKey"), "1", "NotSupported"),
            ]
        else:
            reads = [
                setting(version, "OCPPCommCtrlr", "HeartbeatInterval"),
                setting(version, "EVSE", "Power", evse={"id": 1}, attribute_type="MaxSet"),
                setting(version, "NoSuchCtrlr", "Anything"),
                setting(version, "OCPPCommCtrlr", "NoSuchVariable"),
                setting(version, "SampledDataCtrlr", "TxUpdatedInterval", attribute_type="Target"),
                setting(version, "SecurityCtrlr", "BasicAuthPassword"),  # write-only
            ]
            expected_reads = [
                "Accepted",
                "Accepted",
                "UnknownComponent",
                "UnknownVariable",
                "NotSupportedAttributeType",
                "Rejected",
            ]
            writes = [
                (named(version, SAMPLE_INTERVAL), "30", "Accepted"),
                (setting(version, "SecurityCtrlr", "SecurityProfile"), "2", "Rejected"),  # read-only
                (setting(version, "OCPPCommCtrlr", "HeartbeatInterval"), "0", "Rejected"),  # below minLimit
                (setting(version, "OCPPCommCtrlr", "WebSocketPingInterval"), "60", "RebootRequired"),
                (setting(version, "NoSuchCtrlr", "Anything"), "1", "UnknownComponent"),
                (setting(version, "OCPPCommCtrlr", "NoSuchVariable"), "1", "UnknownVariable"),
            ]

        read = await api.post(f"{base}/read", json={"addresses": reads})
        assert read.status_code == 200, read.text
        assert statuses(read.json()) == expected_reads
        first, second = read.json()["results"][:2]
        assert first["value"] == "300" and first["address"]["variable"] == {
            "name": "HeartbeatInterval",
            "instance": None,
        }
        if version == "1.6":
            assert first["readonly"] is False and second["readonly"] is True and second["value"] == "1"
        else:
            assert second["value"] == "11000" and second["address"]["attribute_type"] == "MaxSet"

        written = await api.post(f"{base}/write", json={"items": [{"address": a, "value": v} for a, v, _ in writes]})
        assert written.status_code == 200, written.text
        assert statuses(written.json()) == [status for _, _, status in writes]
        assert written.json()["reboot_required"] is True
        assert sim_value(station, SAMPLE_INTERVAL) == "30"

        # What the station took is in the stored model; what it refused is not.
        variable_name = SAMPLE_INTERVAL[version][1]
        model = (
            await api.get(f"/api/v1/stations/{station_id}/device-model", params={"variable": variable_name})
        ).json()
        assert [(i["address"]["variable"]["name"], i["value"]) for i in model["items"]] == [(variable_name, "30")]
        assert model["refreshed_at"] is None  # values seen, but never a full inventory

        if version == "1.6":
            everything = await api.post(f"{base}/read", json={"addresses": []})
            assert everything.status_code == 200
            assert len(everything.json()["results"]) == len(station.device_model.keys)


def _custom_report(request_id: int) -> dict[str, Any]:
    return {
        "requestId": request_id,
        "generatedAt": "2026-11-24T10:00:00Z",
        "seqNo": 0,
        "reportData": [
            {
                "component": {"name": "CustomCtrlr", "instance": "Lab"},
                "variable": {"name": "Mode"},
                "variableAttribute": [{"value": "quiet", "mutability": "ReadWrite"}],
                "variableCharacteristics": {
                    "dataType": "OptionList",
                    "valuesList": "quiet,loud",
                    "supportsMonitoring": False,
                },
            }
        ],
    }


@pytest.mark.parametrize("version", VERSIONS)
async def test_inventory_refresh_is_stored_searchable_and_replaced(
    server: RunningServer, api: httpx.AsyncClient, version: str
) -> None:
    station_id = f"CP-INV-{version}"

    def large(station: SimulatedStation) -> None:
        station.device_model.add_filler(40)
        station.device_model.items_per_report = 10

    async with booted(server, api, station_id, version, large) as station:
        sim = station.device_model
        expected = len(sim.keys) if version == "1.6" else sum(len(v.attributes) for v in sim.variables.values())
        refreshed = await api.post(f"/api/v1/stations/{station_id}/device-model/refresh")
        assert refreshed.status_code == 200, refreshed.text
        outcome = refreshed.json()
        assert outcome["status"] == "Accepted"
        assert outcome["stored"] == outcome["variables"] == expected
        if version == "2.0.1":
            assert outcome["parts"] == -(-len(sim.variables) // 10)  # one part per ten variables, rounded up
            notify = [raw for direction, raw in station.transcript if direction == "out" and b'"NotifyReport"' in raw]
            assert len(notify) == outcome["parts"] and b'"tbc":true' in notify[0] and b'"tbc":false' in notify[-1]

        url = f"/api/v1/stations/{station_id}/device-model"
        page = (await api.get(url, params={"limit": 5})).json()
        assert page["total"] == expected and len(page["items"]) == 5
        assert page["refreshed_at"] is not None
        assert page["refresh_source"] == ("GetConfiguration" if version == "1.6" else "GetBaseReport")
        rest = (await api.get(url, params={"limit": 1000, "offset": 5})).json()
        assert len(rest["items"]) == expected - 5

        heartbeat = (await api.get(url, params={"variable": "heartbeat"})).json()["items"]
        assert [(i["address"]["variable"]["name"], i["value"]) for i in heartbeat] == [("HeartbeatInterval", "300")]
        assert (await api.get(url, params={"q": "Filler001"})).json()["total"] == 10
        if version == "1.6":
            assert heartbeat[0]["mutability"] == "ReadWrite" and heartbeat[0]["address"]["component"] is None
            fixed = (await api.get(url, params={"variable": "NumberOfConnectors"})).json()["items"]
            assert fixed[0]["mutability"] == "ReadOnly"
        else:
            assert heartbeat[0]["characteristics"] == {
                "data_type": "integer",
                "unit": "s",
                "min_limit": 1.0,
                "max_limit": 86400.0,
                "values_list": None,
                "supports_monitoring": False,
            }
            evse = (await api.get(url, params={"component": "evse"})).json()["items"]
            assert {i["address"]["component"]["evse"]["id"] for i in evse} == {1}
            power = [i for i in evse if i["address"]["variable"]["name"] == "Power"]
            assert {i["address"]["attribute_type"]: i["value"] for i in power} == {"Actual": "0", "MaxSet": "11000"}

            # A report part nobody asked for (the station's own initiative) is stored too.
            await station.call("NotifyReport", _custom_report(424242))
            custom = (await api.get(url, params={"component": "CustomCtrlr"})).json()["items"]
            assert [(c["address"]["component"]["instance"], c["value"]) for c in custom] == [("Lab", "quiet")]

            # GetReport: only what matches, the rest of the model stays.
            report = await api.post(
                f"/api/v1/stations/{station_id}/device-model/report",
                json={"components": [{"component": {"name": "OCPPCommCtrlr"}}]},
            )
            assert report.status_code == 200, report.text
            assert report.json()["variables"] == 6 and report.json()["stored"] is None
            empty = await api.post(f"/api/v1/stations/{station_id}/device-model/report", json={"criteria": ["Problem"]})
            assert empty.json()["status"] == "EmptyResultSet"

        # The next full inventory replaces the model: what the station no longer has is gone.
        if version == "1.6":
            for name in [k for k in sim.keys if k.startswith("vendorfiller")]:
                del sim.keys[name]
        else:
            for key in [k for k, v in sim.variables.items() if v.component == "VendorFillerCtrlr"]:
                del sim.variables[key]
        again = (await api.post(f"/api/v1/stations/{station_id}/device-model/refresh")).json()
        assert again["stored"] == expected - 40
        assert (await api.get(url, params={"q": "Filler"})).json()["total"] == 0
        assert (await api.get(url, params={"component": "CustomCtrlr"})).json()["total"] == 0


@pytest.mark.parametrize("version", VERSIONS)
async def test_template_drift_apply_and_apply_on_boot(
    server: RunningServer, api: httpx.AsyncClient, version: str
) -> None:
    station_id, offline_id = f"CP-TPL-{version}", f"CP-TPL-OFF-{version}"
    await register(api, station_id)
    await register(api, offline_id)
    values = [
        {"address": named(version, SAMPLE_INTERVAL), "value": "30"},
        {"address": named(version, CONNECTION_TIMEOUT), "value": "90"},
    ]
    created = await api.post(
        "/api/v1/configuration-templates",
        json={"name": f"fleet-{version}", "selector": {"station_ids": [station_id, offline_id]}, "values": values},
    )
    assert created.status_code == 201, created.text
    template = created.json()
    drift_url = f"/api/v1/configuration-templates/{template['id']}/drift"
    apply_url = f"/api/v1/configuration-templates/{template['id']}/apply"

    def by_station(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {s["station_id"]: s for s in body["stations"]}

    never_read = by_station((await api.get(drift_url)).json())[station_id]
    assert [i["state"] for i in never_read["drift"]] == ["unknown", "unknown"]
    assert never_read["online"] is False and never_read["last_applied_at"] is None

    async with booted(server, api, station_id, version) as station:
        await api.post(f"/api/v1/stations/{station_id}/device-model/refresh")
        before = by_station((await api.get(drift_url)).json())[station_id]
        assert [(i["state"], i["stored"], i["desired"]) for i in before["drift"]] == [
            ("differs", "60", "30"),
            ("differs", "60", "90"),
        ]

        applied = await api.post(apply_url, json={})
        assert applied.status_code == 200, applied.text
        results = by_station(applied.json())
        assert results[offline_id]["outcome"] == "Offline" and results[offline_id]["run"] is None
        run = results[station_id]["run"]
        assert results[station_id]["outcome"] == "Applied"
        assert [(i["previous"], i["status"]) for i in run["items"]] == [("60", "Accepted"), ("60", "Accepted")]
        assert sim_value(station, SAMPLE_INTERVAL) == "30" and sim_value(station, CONNECTION_TIMEOUT) == "90"

        after = by_station((await api.get(drift_url)).json())[station_id]
        assert after["in_sync"] is True and after["drift"] == []
        assert after["last_applied_at"] is not None and after["last_run"]["trigger"] == "api"

        again = by_station((await api.post(apply_url, json={"station_ids": [station_id, "CP-ELSEWHERE"]})).json())
        assert again[station_id]["outcome"] == "InSync"
        assert again["CP-ELSEWHERE"]["outcome"] == "NotSelected"

        # Apply on boot: a value changed at the station is put back after its next boot.
        update = await api.put(
            f"/api/v1/configuration-templates/{template['id']}",
            json={
                "name": f"fleet-{version}",
                "selector": {"station_ids": [station_id, offline_id]},
                "values": values,
                "apply_on_boot": True,
            },
        )
        assert update.status_code == 200 and update.json()["apply_on_boot"] is True
        component, variable = SAMPLE_INTERVAL[version]
        station.device_model.set(variable, "15", component or None)
        assert (await station.boot())["status"] == "Accepted"

        async def put_back() -> bool:
            return sim_value(station, SAMPLE_INTERVAL) == "30"

        await eventually(put_back)  # the after-boot step starts once the boot answer is out
        await server.app.services[AfterBoot].wait_idle()  # type: ignore[union-attr]
        corrected = by_station((await api.get(drift_url)).json())[station_id]
        assert corrected["in_sync"] is True
        assert corrected["last_run"]["trigger"] == "boot" and corrected["last_run"]["outcome"] == "Applied"
        assert [(i["previous"], i["status"]) for i in corrected["last_run"]["items"]] == [
            ("15", "Accepted"),
            ("90", "InSync"),
        ]


@pytest.mark.parametrize("version", VERSIONS)
async def test_offline_timeout_and_invalid_requests(
    server: RunningServer, api: httpx.AsyncClient, version: str
) -> None:
    station_id = f"CP-BAD-{version}"
    base = f"/api/v1/stations/{station_id}"
    heartbeat = setting(version, "OCPPCommCtrlr", "HeartbeatInterval")
    await register(api, station_id)

    offline = [
        await api.post(f"{base}/configuration/read", json={"addresses": [heartbeat]}),
        await api.post(f"{base}/configuration/write", json={"items": [{"address": heartbeat, "value": "60"}]}),
        await api.post(f"{base}/device-model/refresh"),
    ]
    assert [r.status_code for r in offline] == [409, 409, 409]
    assert "not connected" in offline[0].json()["detail"]
    assert (await api.get(f"{base}/device-model")).json()["total"] == 0
    assert (await api.get("/api/v1/stations/NOPE/device-model")).status_code == 404

    async with booted(server, api, station_id, version) as station:
        station.ignored_actions.add("GetConfiguration" if version == "1.6" else "GetVariables")
        timed_out = await api.post(f"{base}/configuration/read", json={"addresses": [heartbeat]})
        assert timed_out.status_code == 504, timed_out.text
        station.ignored_actions.clear()

        twice = await api.post(
            f"{base}/configuration/write",
            json={"items": [{"address": heartbeat, "value": "60"}, {"address": heartbeat, "value": "70"}]},
        )
        assert twice.status_code == 422 and "twice" in twice.json()["detail"]
        for body in (
            {"items": []},
            {"items": [{"address": heartbeat, "value": "60", "extra": 1}]},
            {"items": [{"address": {**heartbeat, "attribute_type": "Wrong"}, "value": "60"}]},
        ):
            assert (await api.post(f"{base}/configuration/write", json=body)).status_code == 422

        if version == "1.6":
            target = {**heartbeat, "attribute_type": "Target"}
            refused = await api.post(f"{base}/configuration/write", json={"items": [{"address": target, "value": "1"}]})
            assert refused.status_code == 422 and "Target" in refused.json()["detail"]
            too_long = await api.post(
                f"{base}/configuration/write", json={"items": [{"address": heartbeat, "value": "9" * 501}]}
            )
            assert too_long.status_code == 422 and "500" in too_long.json()["detail"]
            assert (await api.post(f"{base}/device-model/report", json={})).status_code == 422
        else:
            everything = await api.post(f"{base}/configuration/read", json={"addresses": []})
            assert everything.status_code == 422 and "device-model/refresh" in everything.json()["detail"]
            bare = await api.post(f"{base}/configuration/read", json={"addresses": [setting("1.6", "", "Heartbeat")]})
            assert bare.status_code == 422 and "component" in bare.json()["detail"]
            station.ignored_actions.add("GetBaseReport")
            assert (await api.post(f"{base}/device-model/refresh")).status_code == 504


async def test_template_crud_and_validation(api: httpx.AsyncClient) -> None:
    url = "/api/v1/configuration-templates"
    body = {
        "name": "defaults",
        "description": "Sampling for every station",
        "values": [{"address": {"variable": {"name": "MeterValueSampleInterval"}}, "value": "60"}],
    }
    created = await api.post(url, json=body)
    assert created.status_code == 201, created.text
    template = created.json()
    assert template["selector"] == {"station_ids": None, "vendor": None, "model": None, "ocpp_version": None}
    assert template["values"][0]["address"] == {
        "component": None,
        "variable": {"name": "MeterValueSampleInterval", "instance": None},
        "attribute_type": "Actual",
    }
    assert (await api.post(url, json=body)).status_code == 409
    assert [t["id"] for t in (await api.get(url)).json()] == [template["id"]]
    assert (await api.get(f"{url}/{template['id']}")).json()["name"] == "defaults"
    renamed = await api.put(f"{url}/{template['id']}", json={**body, "name": "renamed", "selector": {"vendor": "Acme"}})
    assert renamed.status_code == 200 and renamed.json()["selector"]["vendor"] == "Acme"
    for bad in (
        {**body, "values": []},
        {**body, "values": body["values"] * 2},
        {**body, "selector": {"ocpp_version": "1.5"}},
        {**body, "unexpected": True},
    ):
        assert (await api.post(url, json={**bad, "name": "other"})).status_code == 422, bad
    assert (await api.delete(f"{url}/{template['id']}")).status_code == 204
    assert (await api.get(f"{url}/{template['id']}")).status_code == 404
    assert (await api.post(f"{url}/{template['id']}/apply", json={})).status_code == 404
    assert (await api.get(f"{url}/{template['id']}/drift")).status_code == 404
