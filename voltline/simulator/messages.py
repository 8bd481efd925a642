"""Payload builders: the only simulator code that knows how 1.6 and 2.0.1 spell a station's messages.

Each builder returns ``(action, payload)``; payloads are valid against the OCA schema of their version.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from voltline.simulator.meter import MeterSample

Payload = dict[str, Any]

PHASE_NAMES = ("L1", "L2", "L3")

# 1.6 connector statuses (the simulator's internal vocabulary) -> 2.0.1 ConnectorStatusEnumType.
V201_CONNECTOR_STATUS: dict[str, str] = {
    "Available": "Available",
    "Preparing": "Occupied",
    "Charging": "Occupied",
    "SuspendedEV": "Occupied",
    "SuspendedEVSE": "Occupied",
    "Finishing": "Occupied",
    "Occupied": "Occupied",
    "Reserved": "Reserved",
    "Unavailable": "Unavailable",
    "Faulted": "Faulted",
}

V16_STOP_REASONS = frozenset(
    {
        "EmergencyStop",
        "EVDisconnected",
        "HardReset",
        "Local",
        "Other",
        "PowerLoss",
        "Reboot",
        "Remote",
        "SoftReset",
        "UnlockCommand",
        "DeAuthorized",
    }
)
V201_STOP_REASONS = frozenset(
    {
        "DeAuthorized",
        "EmergencyStop",
        "EnergyLimitReached",
        "EVDisconnected",
        "GroundFault",
        "ImmediateReset",
        "Local",
        "LocalOutOfCredit",
        "MasterPass",
        "Other",
        "OvercurrentFault",
        "PowerLoss",
        "PowerQuality",
        "Reboot",
        "Remote",
        "SOCLimitReached",
        "StoppedByEV",
        "TimeLimitReached",
        "Timeout",
    }
)
# 1.6 ChargePointErrorCode values a connector fault may carry (NoError is the absence of one).
V16_ERROR_CODES = frozenset(
    {
        "ConnectorLockFailure",
        "EVCommunicationError",
        "GroundFailure",
        "HighTemperature",
        "InternalError",
        "LocalListConflict",
        "OtherError",
        "OverCurrentFailure",
        "OverVoltage",
        "PowerMeterFailure",
        "PowerSwitchFailure",
        "ReaderFailure",
        "ResetFailure",
        "UnderVoltage",
        "WeakSignal",
    }
)
# The stop reason of a transaction a connector fault ends (2.0.1 names two faults; 1.6 says Other).
FAULT_STOP_REASONS = {"GroundFailure": "GroundFault", "OverCurrentFailure": "OvercurrentFault"}
# Reasons one version names and the other does not.
_TO_V201_REASON = {"HardReset": "ImmediateReset", "SoftReset": "ImmediateReset"}
_TO_V16_REASON = {"ImmediateReset": "HardReset", "StoppedByEV": "EVDisconnected"}
# 2.0.1 stoppedReason -> the triggerReason of the Ended event.
_V201_STOP_TRIGGER = {
    "Remote": "RemoteStop",
    "DeAuthorized": "Deauthorized",
    "EVDisconnected": "EVDeparted",
    "StoppedByEV": "EVDeparted",
    "EnergyLimitReached": "EnergyLimitReached",
    "TimeLimitReached": "TimeLimitReached",
    "ImmediateReset": "ResetCommand",
    "Local": "StopAuthorized",
    "Other": "StopAuthorized",
}


def now_iso() -> str:
    """The current time as ISO 8601 UTC with millisecond precision and a "Z" suffix."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass(frozen=True, slots=True)
class StationInfo:
    vendor: str
    model: str
    serial: str
    firmware: str


@dataclass(slots=True)
class Transaction:
    """A transaction as the station knows it."""

    connector_id: int
    id_token: str
    id_token_type: str = "ISO14443"
    remote_start_id: int | None = None
    meter_start_wh: int = 0  # the register at the start, for the energy of the session
    # 1.6: the integer the CSMS assigned in StartTransaction.conf; 2.0.1: the station's own uuid string.
    station_tx_id: int | str | None = None
    seq_no: int = 0
    stopping: bool = False  # a stop was requested (remote stop, unlock) and is under way
    # What the car does now (Charging, SuspendedEV, SuspendedEVSE), and what the CSMS was last told of it:
    # a change is reported once, before any later message that carries the new state.
    charging_state: str = "Charging"
    reported_charging_state: str = "Charging"
    started_at: str = field(default_factory=now_iso)
    started_clock: float = field(default_factory=time.monotonic)  # for the status line's elapsed time

    def next_seq_no(self) -> int:
        self.seq_no += 1
        return self.seq_no


class StationMessages(Protocol):
    """What a station says, in one OCPP version."""

    def boot(self, info: StationInfo, reason: str) -> tuple[str, Payload]: ...
    def heartbeat(self) -> tuple[str, Payload]: ...
    def status(self, connector_id: int, status: str, error_code: str, info: str | None) -> tuple[str, Payload]: ...
    def authorize(self, id_token: str) -> tuple[str, Payload]: ...
    def start(self, tx: Transaction, sample: MeterSample) -> tuple[str, Payload]: ...
    def meter(
        self, connector_id: int, tx: Transaction | None, sample: MeterSample, context: str
    ) -> tuple[str, Payload]: ...
    def stop(self, tx: Transaction, sample: MeterSample, reason: str, id_token: str | None) -> tuple[str, Payload]: ...
    def charging_state_changed(self, tx: Transaction) -> tuple[str, Payload] | None:
        """The message saying that the car's charging state became `tx.charging_state`; None: this version
        says it with the connector's status (1.6 StatusNotification SuspendedEV, SuspendedEVSE, Charging)."""
        ...

    def wire_status(self, status: str) -> str: ...
    def authorization_status(self, answer: Payload) -> str: ...
    def bind_transaction(self, action: str, payload: Payload, tx: Transaction) -> Payload:
        """A message queued while the transaction's CSMS id was unknown, with the id filled in now."""
        ...

    def mark_offline(self, action: str, payload: Payload) -> None:
        """Flag a transaction message as having happened while the station was offline."""
        ...


class V16Messages:
    """OCPP 1.6J spellings."""

    def boot(self, info: StationInfo, reason: str) -> tuple[str, Payload]:
        return "BootNotification", {
            "chargePointVendor": info.vendor[:20],
            "chargePointModel": info.model[:20],
            "chargePointSerialNumber": info.serial[:25],
            "firmwareVersion": info.firmware[:50],
        }

    def heartbeat(self) -> tuple[str, Payload]:
        return "Heartbeat", {}

    def status(self, connector_id: int, status: str, error_code: str, info: str | None) -> tuple[str, Payload]:
        payload: Payload = {
            "connectorId": connector_id,
            "errorCode": error_code,
            "status": self.wire_status(status),
            "timestamp": now_iso(),
        }
        if info is not None:
            payload["info"] = info[:50]
        return "StatusNotification", payload

    def wire_status(self, status: str) -> str:
        return "Charging" if status == "Occupied" else status

    def authorize(self, id_token: str) -> tuple[str, Payload]:
        return "Authorize", {"idTag": id_token}

    def start(self, tx: Transaction, sample: MeterSample) -> tuple[str, Payload]:
        return "StartTransaction", {
            "connectorId": tx.connector_id,
            "idTag": tx.id_token,
            "meterStart": sample.energy_wh,
            "timestamp": tx.started_at,
        }

    def meter(
        self, connector_id: int, tx: Transaction | None, sample: MeterSample, context: str
    ) -> tuple[str, Payload]:
        payload: Payload = {
            "connectorId": connector_id,
            "meterValue": [{"timestamp": now_iso(), "sampledValue": self._sampled_values(sample, context)}],
        }
        if tx is not None and isinstance(tx.station_tx_id, int):
            payload["transactionId"] = tx.station_tx_id
        return "MeterValues", payload

    def stop(self, tx: Transaction, sample: MeterSample, reason: str, id_token: str | None) -> tuple[str, Payload]:
        timestamp = now_iso()
        reason = _TO_V16_REASON.get(reason, reason)
        payload: Payload = {
            "meterStop": sample.energy_wh,
            "timestamp": timestamp,
            "reason": reason if reason in V16_STOP_REASONS else "Other",
            "transactionData": [
                {
                    "timestamp": timestamp,
                    "sampledValue": [self._energy(sample, "Transaction.End")],
                }
            ],
        }
        if id_token is not None:
            payload["idTag"] = id_token[:20]
        # Unknown while the StartTransaction waits in the offline queue: bind_transaction adds it then.
        return "StopTransaction", self.bind_transaction("StopTransaction", payload, tx)

    def charging_state_changed(self, tx: Transaction) -> tuple[str, Payload] | None:
        return None  # the connector status says it

    def authorization_status(self, answer: Payload) -> str:
        info = answer.get("idTagInfo")
        return str(info.get("status", "Accepted")) if isinstance(info, dict) else "Accepted"

    def bind_transaction(self, action: str, payload: Payload, tx: Transaction) -> Payload:
        if action in ("MeterValues", "StopTransaction") and isinstance(tx.station_tx_id, int):
            payload["transactionId"] = tx.station_tx_id
        return payload

    def mark_offline(self, action: str, payload: Payload) -> None:
        pass  # 1.6 messages carry their own timestamps and nothing else

    @staticmethod
    def _energy(sample: MeterSample, context: str) -> Payload:
        return {
            "value": str(sample.energy_wh),
            "context": context,
            "measurand": "Energy.Active.Import.Register",
            "location": "Outlet",
            "unit": "Wh",
        }

    def _sampled_values(self, sample: MeterSample, context: str) -> list[Payload]:
        values = [
            self._energy(sample, context),
            {
                "value": f"{sample.power_w:.1f}",
                "context": context,
                "measurand": "Power.Active.Import",
                "location": "Outlet",
                "unit": "W",
            },
        ]
        # Every phase, an unloaded one at 0: the CSMS sees which phases the car charges on.
        for phase, current in zip(PHASE_NAMES, sample.currents_a, strict=True):
            values.append(
                {
                    "value": f"{current:.2f}",
                    "context": context,
                    "measurand": "Current.Import",
                    "phase": phase,
                    "location": "Outlet",
                    "unit": "A",
                }
            )
        if sample.offered_a is not None:
            values.append(
                {
                    "value": f"{sample.offered_a:.2f}",
                    "context": context,
                    "measurand": "Current.Offered",
                    "location": "Outlet",
                    "unit": "A",
                }
            )
        for phase in PHASE_NAMES:
            values.append(
                {
                    "value": f"{sample.voltage_v:.1f}",
                    "context": context,
                    "measurand": "Voltage",
                    "phase": f"{phase}-N",
                    "location": "Outlet",
                    "unit": "V",
                }
            )
        return values


class V201Messages:
    """OCPP 2.0.1 spellings. Connector N of the simulator is EVSE N with its single connector 1."""

    def boot(self, info: StationInfo, reason: str) -> tuple[str, Payload]:
        return "BootNotification", {
            "reason": reason,
            "chargingStation": {
                "model": info.model[:20],
                "vendorName": info.vendor[:50],
                "serialNumber": info.serial[:25],
                "firmwareVersion": info.firmware[:50],
            },
        }

    def heartbeat(self) -> tuple[str, Payload]:
        return "Heartbeat", {}

    def status(self, connector_id: int, status: str, error_code: str, info: str | None) -> tuple[str, Payload]:
        return "StatusNotification", {
            "timestamp": now_iso(),
            "connectorStatus": self.wire_status(status),
            "evseId": connector_id,
            "connectorId": 1,
        }

    def wire_status(self, status: str) -> str:
        try:
            return V201_CONNECTOR_STATUS[status]
        except KeyError:
            raise ValueError(f"unknown connector status {status!r}") from None

    def authorize(self, id_token: str) -> tuple[str, Payload]:
        return "Authorize", {"idToken": {"idToken": id_token, "type": "ISO14443"}}

    def start(self, tx: Transaction, sample: MeterSample) -> tuple[str, Payload]:
        info: Payload = {"transactionId": str(tx.station_tx_id), "chargingState": tx.reported_charging_state}
        if tx.remote_start_id is not None:
            info["remoteStartId"] = tx.remote_start_id
        return "TransactionEvent", {
            "eventType": "Started",
            "timestamp": tx.started_at,
            "triggerReason": "RemoteStart" if tx.remote_start_id is not None else "Authorized",
            "seqNo": tx.seq_no,
            "transactionInfo": info,
            "idToken": {"idToken": tx.id_token, "type": tx.id_token_type},
            "evse": {"id": tx.connector_id, "connectorId": 1},
            "meterValue": [{"timestamp": tx.started_at, "sampledValue": [self._energy(sample, "Transaction.Begin")]}],
        }

    def meter(
        self, connector_id: int, tx: Transaction | None, sample: MeterSample, context: str
    ) -> tuple[str, Payload]:
        meter_value = [{"timestamp": now_iso(), "sampledValue": self._sampled_values(sample, context)}]
        if tx is None:
            return "MeterValues", {"evseId": connector_id, "meterValue": meter_value}
        return "TransactionEvent", {
            "eventType": "Updated",
            "timestamp": now_iso(),
            "triggerReason": "MeterValuePeriodic" if context == "Sample.Periodic" else "Trigger",
            "seqNo": tx.next_seq_no(),
            "transactionInfo": {"transactionId": str(tx.station_tx_id), "chargingState": tx.reported_charging_state},
            "meterValue": meter_value,
        }

    def charging_state_changed(self, tx: Transaction) -> tuple[str, Payload] | None:
        return "TransactionEvent", {
            "eventType": "Updated",
            "timestamp": now_iso(),
            "triggerReason": "ChargingStateChanged",
            "seqNo": tx.next_seq_no(),
            "transactionInfo": {"transactionId": str(tx.station_tx_id), "chargingState": tx.reported_charging_state},
        }

    def stop(self, tx: Transaction, sample: MeterSample, reason: str, id_token: str | None) -> tuple[str, Payload]:
        timestamp = now_iso()
        reason = _TO_V201_REASON.get(reason, reason)
        if reason not in V201_STOP_REASONS:
            reason = "Other"
        payload: Payload = {
            "eventType": "Ended",
            "timestamp": timestamp,
            "triggerReason": _V201_STOP_TRIGGER.get(reason, "AbnormalCondition"),
            "seqNo": tx.next_seq_no(),
            "transactionInfo": {
                "transactionId": str(tx.station_tx_id),
                "chargingState": "Idle",
                "stoppedReason": reason,
            },
            "meterValue": [{"timestamp": timestamp, "sampledValue": [self._energy(sample, "Transaction.End")]}],
        }
        if id_token is not None:
            payload["idToken"] = {"idToken": id_token, "type": "ISO14443"}
        return "TransactionEvent", payload

    def authorization_status(self, answer: Payload) -> str:
        info = answer.get("idTokenInfo")
        return str(info.get("status", "Accepted")) if isinstance(info, dict) else "Accepted"

    def bind_transaction(self, action: str, payload: Payload, tx: Transaction) -> Payload:
        return payload  # the station chose the transaction id itself

    def mark_offline(self, action: str, payload: Payload) -> None:
        if action == "TransactionEvent":
            payload["offline"] = True

    @staticmethod
    def _energy(sample: MeterSample, context: str) -> Payload:
        return {
            "value": sample.energy_wh,
            "context": context,
            "measurand": "Energy.Active.Import.Register",
            "location": "Outlet",
            "unitOfMeasure": {"unit": "Wh"},
        }

    def _sampled_values(self, sample: MeterSample, context: str) -> list[Payload]:
        values = [
            self._energy(sample, context),
            {
                "value": round(sample.power_w, 1),
                "context": context,
                "measurand": "Power.Active.Import",
                "location": "Outlet",
                "unitOfMeasure": {"unit": "W"},
            },
        ]
        for phase, current in zip(PHASE_NAMES, sample.currents_a, strict=True):
            values.append(
                {
                    "value": round(current, 2),
                    "context": context,
                    "measurand": "Current.Import",
                    "phase": phase,
                    "location": "Outlet",
                    "unitOfMeasure": {"unit": "A"},
                }
            )
        if sample.offered_a is not None:
            values.append(
                {
                    "value": round(sample.offered_a, 2),
                    "context": context,
                    "measurand": "Current.Offered",
                    "location": "Outlet",
                    "unitOfMeasure": {"unit": "A"},
                }
            )
        for phase in PHASE_NAMES:
            values.append(
                {
                    "value": round(sample.voltage_v, 1),
                    "context": context,
                    "measurand": "Voltage",
                    "phase": f"{phase}-N",
                    "location": "Outlet",
                    "unitOfMeasure": {"unit": "V"},
                }
            )
        return values
