"""A `StationLink` that answers from simulated stations without sockets: each command goes through the
real encoders (and the OCA schema) to the simulator's own handlers, and report parts the simulator sends
afterwards go through the real NotifyReport parsing into `ConfigurationService.record_report_part`.

For domain tests of device configuration; the socket path is covered end to end in tests/e2e.
"""

from __future__ import annotations

from typing import Any

from tests.support.wiring import ENCODERS
from voltline.areas.configuration.ocpp.v201_reports import report_variables
from voltline.areas.configuration.service import ConfigurationService
from voltline.kernel.commands import Command, CommandResult
from voltline.kernel.errors import StationOffline, StationRejectedCall, StationTimeout
from voltline.ocppj import OcppError, OcppVersion, error_code, shared_registry
from voltline.simulator import SimulatedStation
from voltline.simulator.device_model import DeviceModelHandler


class SimulatedLink:
    def __init__(self) -> None:
        self.stations: dict[str, tuple[SimulatedStation, DeviceModelHandler]] = {}
        self.configuration: ConfigurationService | None = None  # where report parts go
        self.sent: list[tuple[str, str]] = []  # (station id, action)
        self.time_out_after: int | None = None  # answer this many calls, then time out

    def attach(self, station_id: str, version: str) -> SimulatedStation:
        station = SimulatedStation("ws://127.0.0.1:9/ocpp", station_id, version)
        station.call = self._reporter(station_id)  # type: ignore[method-assign]
        self.stations[station_id] = (station, DeviceModelHandler(station))
        return station

    def detach(self, station_id: str) -> None:
        self.stations.pop(station_id, None)

    def is_online(self, station_id: str) -> bool:
        return station_id in self.stations

    def version_of(self, station_id: str) -> OcppVersion | None:
        entry = self.stations.get(station_id)
        return entry[0].version if entry is not None else None

    def online_ids(self) -> frozenset[str]:
        return frozenset(self.stations)

    async def send(self, station_id: str, command: Command) -> CommandResult:
        if station_id not in self.stations:
            raise StationOffline(f"station {station_id!r} is not connected")
        station, handler = self.stations[station_id]
        call = ENCODERS[station.version].encode(command)
        shared_registry().validate_request(station.version, call.action, call.payload)
        if self.time_out_after is not None:
            if self.time_out_after <= 0:
                raise StationTimeout(f"station {station_id!r} did not answer {call.action} in time")
            self.time_out_after -= 1
        self.sent.append((station_id, call.action))
        try:
            answer = await handler.routes()[call.action](call.payload)
        except OcppError as refused:  # what SessionLink makes of a CALLERROR
            raise StationRejectedCall(error_code(refused.kind, station.version), refused.description) from refused
        shared_registry().validate_response(station.version, call.action, answer)
        handler.answered(call.action)
        value = call.decode(answer) if call.decode is not None else None
        return CommandResult(str(answer.get("status", "")), answer, value)

    async def call_raw(self, station_id: str, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        raise AssertionError("configuration never sends raw calls")

    def _reporter(self, station_id: str) -> Any:
        async def call(action: str, payload: dict[str, Any]) -> dict[str, Any]:
            assert action == "NotifyReport" and self.configuration is not None
            shared_registry().validate_request(OcppVersion.V201, action, payload)
            await self.configuration.record_report_part(
                station_id, payload["requestId"], report_variables(payload["reportData"]), more=payload["tbc"]
            )
            return {}

        return call
