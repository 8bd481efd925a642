"""The station's answers to CSMS-initiated CALLs.

Handlers run inside the connection's reader, one at a time, so they only decide the answer and
update state; anything that sends a CALL back to the CSMS is spawned as a tracked task.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from voltline.ocppj import NoAnswer, OcppVersion
from voltline.simulator.device_model import ConfiguredStation, DeviceModelHandler
from voltline.simulator.display import Display, DisplayStation
from voltline.simulator.handle import ConnectorState
from voltline.simulator.local_list import LocalListHandler, LocalListStation
from voltline.simulator.smart_charging import SmartChargingHandler, SmartChargingStation

Payload = dict[str, Any]
Handler = Callable[[Payload], Awaitable[Payload]]

# DataTransfer the simulator understands: this vendor's "echo" message answers with the data it got.
SIMULATOR_VENDOR_ID = "org.voltline.simulator"


class DispatchedStation(LocalListStation, DisplayStation, ConfiguredStation, SmartChargingStation, Protocol):
    """A station with the state of every area the simulator answers for (`SimulatedStation` is one)."""


class StationDispatcher:
    """Implements the engine's Dispatcher protocol for one simulated station."""

    def __init__(self, station: DispatchedStation) -> None:
        self.station = station
        # A Reset accepted, acted on once its answer is on the wire: (kind, evse id).
        self._accepted_reset: tuple[str, int | None] | None = None
        common: dict[str, Handler] = {
            "Reset": self.reset_v16,
            "DataTransfer": self.data_transfer,
            "ClearCache": self.clear_cache,
        }
        if station.version is OcppVersion.V16:
            specific: dict[str, Handler] = {
                "RemoteStartTransaction": self.remote_start_v16,
                "RemoteStopTransaction": self.remote_stop_v16,
                "TriggerMessage": self.trigger_v16,
                "ChangeAvailability": self.change_availability_v16,
                "UnlockConnector": self.unlock_v16,
            }
        else:
            specific = {
                "RequestStartTransaction": self.request_start_v201,
                "RequestStopTransaction": self.request_stop_v201,
                "TriggerMessage": self.trigger_v201,
                "ChangeAvailability": self.change_availability_v201,
                "UnlockConnector": self.unlock_v201,
                "Reset": self.reset_v201,
            }
            display = Display(station)
            specific.update(
                {
                    "SetDisplayMessage": display.set_message,
                    "GetDisplayMessages": display.get_messages,
                    "ClearDisplayMessage": display.clear_message,
                }
            )
        specific.update(LocalListHandler(station).routes())
        self._configuration = DeviceModelHandler(station)
        specific.update(self._configuration.routes())
        self._smart_charging = SmartChargingHandler(station)
        specific.update(self._smart_charging.routes())
        self._routes: dict[str, Handler] = {**common, **specific}

    def supports(self, action: str) -> bool:
        return action in self._routes

    def answered(self, action: str) -> None:
        self._configuration.answered(action)  # reports announced by this answer go out now
        self._smart_charging.answered(action)
        if action == "Reset" and self._accepted_reset is not None:
            # The CSMS hears Accepted before the transactions stop and the connection drops.
            kind, evse_id = self._accepted_reset
            self._accepted_reset = None
            self.station.schedule_reset(kind, evse_id)

    async def handle(self, action: str, payload: Payload) -> Payload:
        if action in self.station.ignored_actions:
            self.station.emit("command", f"{action} -> (ignored)")
            raise NoAnswer
        answer = await self._routes[action](payload)
        self.station.emit("command", f"{action} -> {answer.get('status')}")
        return answer

    # ------------------------------------------------------------------ helpers

    def _free_connector(self, requested: int | None) -> ConnectorState | None:
        connectors = self.station.connectors
        if requested is not None:
            state = connectors.get(requested)
            return state if state is not None and state.free else None
        return next((state for state in connectors.values() if state.free), None)

    def _running(self, station_tx_id: int | str) -> ConnectorState | None:
        """The connector whose transaction has this id and is not already stopping."""
        in_flight: ConnectorState | None = None
        for state in self.station.connectors.values():
            tx = state.transaction
            if tx is None or tx.stopping:
                continue
            if tx.station_tx_id == station_tx_id:
                return state
            if tx.station_tx_id is None and in_flight is None:
                # 1.6: the StartTransaction answer that carries the id may be in our reader right now;
                # the stop flow checks the id once the start flow is done with the connector.
                in_flight = state
        return in_flight

    def _accept_start_profile(self, payload: Payload, state: ConnectorState) -> bool:
        """A remote start's chargingProfile (a TxProfile) is installed for the transaction it begins; one
        the station would refuse refuses the start (1.6 5.11, 2.0.1 F01/K05)."""
        profile = payload.get("chargingProfile")
        return profile is None or self._smart_charging.accept_remote_start_profile(profile, state.connector_id)

    def _begin_start(
        self, state: ConnectorState, id_token: str, id_token_type: str, remote_start_id: int | None
    ) -> None:
        state.starting = True
        self.station.spawn(
            self.station.remote_start_flow(state.connector_id, id_token, id_token_type, remote_start_id),
            f"remote-start-{state.connector_id}",
        )

    def _begin_stop(self, state: ConnectorState, reason: str, station_tx_id: int | str | None = None) -> None:
        assert state.transaction is not None
        state.transaction.stopping = True  # a second stop request is rejected
        self.station.spawn(
            self.station.remote_stop_flow(state.connector_id, reason, station_tx_id),
            f"remote-stop-{state.connector_id}",
        )

    def _set_operative(self, targets: list[ConnectorState], operative: bool) -> str:
        if any(s.transaction is not None or s.starting for s in targets):
            return "Scheduled"  # a real station applies it after the transaction; the simulator does not
        for state in targets:
            if state.operative == operative:
                continue
            state.operative = operative
            self.station.spawn(
                self.station.send_status(state.connector_id, "Available" if operative else "Unavailable"),
                f"availability-{state.connector_id}",
            )
        return "Accepted"

    def _trigger(self, message: str, targets: list[ConnectorState]) -> str:
        station = self.station
        if message == "Heartbeat":
            station.spawn(station.heartbeat(), "trigger-heartbeat")
        elif message == "BootNotification":
            station.spawn(station.boot("Triggered"), "trigger-boot")
        elif message == "StatusNotification":
            for state in targets:
                station.spawn(station.send_status(state.connector_id, state.status), "trigger-status")
        elif message == "MeterValues":
            for state in targets:
                station.spawn(
                    station.send_meter_sample(state.connector_id, "Trigger", transactional=False),
                    "trigger-meter",
                )
        else:
            return "NotImplemented"
        return "Accepted"

    # ------------------------------------------------------------------ both versions

    async def reset_v16(self, payload: Payload) -> Payload:
        # Soft and Hard alike stop the transactions first (1.6 5.14: Hard "if possible"), then reboot.
        self._accepted_reset = (payload["type"], None)
        return {"status": "Accepted"}

    async def data_transfer(self, payload: Payload) -> Payload:
        if payload["vendorId"] != SIMULATOR_VENDOR_ID:
            return {"status": "UnknownVendorId"}
        if payload.get("messageId") != "echo":
            return {"status": "UnknownMessageId"}
        answer: Payload = {"status": "Accepted"}
        if "data" in payload:
            answer["data"] = payload["data"]
        return answer

    async def clear_cache(self, payload: Payload) -> Payload:
        return {"status": "Accepted"}  # the simulator keeps no authorization cache

    # ------------------------------------------------------------------ OCPP 1.6

    async def remote_start_v16(self, payload: Payload) -> Payload:
        state = self._free_connector(payload.get("connectorId"))
        if state is None or not self._accept_start_profile(payload, state):
            return {"status": "Rejected"}
        self._begin_start(state, payload["idTag"], "ISO14443", None)
        return {"status": "Accepted"}

    async def remote_stop_v16(self, payload: Payload) -> Payload:
        state = self._running(payload["transactionId"])
        if state is None:
            return {"status": "Rejected"}
        self._begin_stop(state, "Remote", payload["transactionId"])
        return {"status": "Accepted"}

    async def trigger_v16(self, payload: Payload) -> Payload:
        connector_id = payload.get("connectorId")
        if connector_id is None:
            targets = list(self.station.connectors.values())
        elif connector_id in self.station.connectors:
            targets = [self.station.connectors[connector_id]]
        else:
            return {"status": "Rejected"}
        return {"status": self._trigger(payload["requestedMessage"], targets)}

    async def change_availability_v16(self, payload: Payload) -> Payload:
        connector_id = payload["connectorId"]
        if connector_id == 0:
            targets = list(self.station.connectors.values())
        elif connector_id in self.station.connectors:
            targets = [self.station.connectors[connector_id]]
        else:
            return {"status": "Rejected"}
        return {"status": self._set_operative(targets, payload["type"] == "Operative")}

    async def unlock_v16(self, payload: Payload) -> Payload:
        state = self.station.connectors.get(payload["connectorId"])
        if state is None:
            return {"status": "NotSupported"}
        if state.transaction is not None and not state.transaction.stopping:
            self._begin_stop(state, "UnlockCommand")
        return {"status": "Unlocked"}

    # ------------------------------------------------------------------ OCPP 2.0.1

    async def request_start_v201(self, payload: Payload) -> Payload:
        state = self._free_connector(payload.get("evseId"))
        if state is None or not self._accept_start_profile(payload, state):
            return {"status": "Rejected"}
        token = payload["idToken"]
        self._begin_start(state, token["idToken"], token["type"], payload["remoteStartId"])
        return {"status": "Accepted"}

    async def request_stop_v201(self, payload: Payload) -> Payload:
        state = self._running(payload["transactionId"])
        if state is None:
            return {"status": "Rejected"}
        self._begin_stop(state, "Remote", payload["transactionId"])
        return {"status": "Accepted"}

    async def trigger_v201(self, payload: Payload) -> Payload:
        evse = payload.get("evse")
        if evse is None:
            targets = list(self.station.connectors.values())
        elif evse["id"] in self.station.connectors and evse.get("connectorId", 1) == 1:
            targets = [self.station.connectors[evse["id"]]]
        else:
            return {"status": "Rejected"}
        message = payload["requestedMessage"]
        if message != "TransactionEvent":
            return {"status": self._trigger(message, targets)}
        running = [s for s in targets if s.transaction is not None]
        if not running:
            return {"status": "Rejected"}
        for state in running:
            self.station.spawn(self.station.send_meter_sample(state.connector_id, "Trigger"), "trigger-tx")
        return {"status": "Accepted"}

    async def reset_v201(self, payload: Payload) -> Payload:
        evse_id = payload.get("evseId")
        if evse_id is None:
            targets = list(self.station.connectors.values())
        elif evse_id in self.station.connectors:
            targets = [self.station.connectors[evse_id]]
        else:
            return {"status": "Rejected"}
        busy = any(s.transaction is not None or s.starting for s in targets)
        kind = payload["type"]
        self._accepted_reset = (kind, evse_id)
        # OnIdle waits for the running transactions to end (B12): Scheduled, the reboot follows the last one.
        return {"status": "Scheduled" if busy and kind == "OnIdle" else "Accepted"}

    async def change_availability_v201(self, payload: Payload) -> Payload:
        evse = payload.get("evse")
        if evse is None or evse["id"] == 0:
            targets = list(self.station.connectors.values())
        elif evse["id"] in self.station.connectors and evse.get("connectorId", 1) == 1:
            targets = [self.station.connectors[evse["id"]]]
        else:
            return {"status": "Rejected"}
        return {"status": self._set_operative(targets, payload["operationalStatus"] == "Operative")}

    async def unlock_v201(self, payload: Payload) -> Payload:
        state = self.station.connectors.get(payload["evseId"])
        if state is None or payload["connectorId"] != 1:
            return {"status": "UnknownConnector"}
        if state.transaction is not None or state.starting:
            return {"status": "OngoingAuthorizedTransaction"}
        return {"status": "Unlocked"}
