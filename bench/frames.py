"""Pre-built OCPP-J CALL frames for the load generator, 1.6J and 2.0.1.

Every frame is a bytes template with the message id, counters and timestamps spliced in with `%`
formatting: no dict building and no JSON encoding per message. `tests/bench/test_frames.py` checks every
kind against the OCA schemas of its version.

Kinds (the generator's mix): boot, meter, heartbeat, status, authorize, start, stop.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

V16 = "ocpp1.6"
V201 = "ocpp2.0.1"
VERSIONS = (V16, V201)

KINDS = ("boot", "meter", "heartbeat", "status", "authorize", "start", "stop")

ACTIONS: dict[str, dict[str, str]] = {
    V16: {
        "boot": "BootNotification",
        "meter": "MeterValues",
        "heartbeat": "Heartbeat",
        "status": "StatusNotification",
        "authorize": "Authorize",
        "start": "StartTransaction",
        "stop": "StopTransaction",
    },
    V201: {
        "boot": "BootNotification",
        "meter": "TransactionEvent",
        "heartbeat": "Heartbeat",
        "status": "StatusNotification",
        "authorize": "Authorize",
        "start": "TransactionEvent",
        "stop": "TransactionEvent",
    },
}

_last_ms = -1
_last_stamp = b""


def timestamp() -> bytes:
    """RFC 3339 UTC timestamp with milliseconds, formatted at most once per millisecond."""
    global _last_ms, _last_stamp
    now = time.time()
    ms = int(now * 1000)
    if ms != _last_ms:
        _last_ms = ms
        _last_stamp = datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.").encode() + b"%03dZ" % (
            ms % 1000
        )
    return _last_stamp


def _compact(template: str) -> bytes:
    """Templates are written readably below; frames on the wire carry no whitespace."""
    return "".join(template.split()).encode()


# -- OCPP 1.6J -------------------------------------------------------------------------------------------------------

_V16_BOOT = _compact(
    """[2,"%b","BootNotification",{"chargePointVendor":"VoltlineBench","chargePointModel":"LoadGen-AC22",
    "chargePointSerialNumber":"%b","firmwareVersion":"1.4.2","meterType":"Eastron SDM630"}]"""
)
_V16_HEARTBEAT = b'[2,"%b","Heartbeat",{}]'
_V16_STATUS = _compact(
    """[2,"%b","StatusNotification",{"connectorId":1,"errorCode":"NoError","status":"%b","timestamp":"%b"}]"""
)
_V16_AUTHORIZE = b'[2,"%b","Authorize",{"idTag":"%b"}]'
_V16_START = _compact("""[2,"%b","StartTransaction",{"connectorId":1,"idTag":"%b","meterStart":%d,"timestamp":"%b"}]""")
_V16_STOP = _compact(
    """[2,"%b","StopTransaction",{"transactionId":%d,"idTag":"%b","meterStop":%d,"timestamp":"%b",
    "reason":"Local","transactionData":[{"timestamp":"%b","sampledValue":[{"value":"%d",
    "context":"Transaction.End","format":"Raw","measurand":"Energy.Active.Import.Register",
    "location":"Outlet","unit":"Wh"}]}]}]"""
)
_V16_METER = _compact(
    """[2,"%b","MeterValues",{"connectorId":1,"transactionId":%d,"meterValue":[{"timestamp":"%b",
    "sampledValue":[{"value":"%d","context":"Sample.Periodic","format":"Raw",
    "measurand":"Energy.Active.Import.Register","location":"Outlet","unit":"Wh"},{"value":"%d",
    "context":"Sample.Periodic","format":"Raw","measurand":"Power.Active.Import","location":"Outlet",
    "unit":"W"}]}]}]"""
)

# -- OCPP 2.0.1 ------------------------------------------------------------------------------------------------------

_V201_BOOT = _compact(
    """[2,"%b","BootNotification",{"reason":"PowerUp","chargingStation":{"model":"LoadGen-AC22",
    "vendorName":"VoltlineBench","serialNumber":"%b","firmwareVersion":"1.4.2"}}]"""
)
_V201_HEARTBEAT = b'[2,"%b","Heartbeat",{}]'
_V201_STATUS = _compact(
    """[2,"%b","StatusNotification",{"timestamp":"%b","connectorStatus":"%b","evseId":1,"connectorId":1}]"""
)
_V201_AUTHORIZE = b'[2,"%b","Authorize",{"idToken":{"idToken":"%b","type":"ISO14443"}}]'
_V201_START = _compact(
    """[2,"%b","TransactionEvent",{"eventType":"Started","timestamp":"%b","triggerReason":"Authorized",
    "seqNo":%d,"transactionInfo":{"transactionId":"%b","chargingState":"Charging"},
    "idToken":{"idToken":"%b","type":"ISO14443"},"evse":{"id":1,"connectorId":1},
    "meterValue":[{"timestamp":"%b","sampledValue":[{"value":%d,"context":"Transaction.Begin",
    "measurand":"Energy.Active.Import.Register","location":"Outlet","unitOfMeasure":{"unit":"Wh"}}]}]}]"""
)
_V201_METER = _compact(
    """[2,"%b","TransactionEvent",{"eventType":"Updated","timestamp":"%b","triggerReason":"MeterValuePeriodic",
    "seqNo":%d,"transactionInfo":{"transactionId":"%b","chargingState":"Charging"},
    "evse":{"id":1,"connectorId":1},"meterValue":[{"timestamp":"%b","sampledValue":[{"value":%d,
    "context":"Sample.Periodic","measurand":"Energy.Active.Import.Register","location":"Outlet",
    "unitOfMeasure":{"unit":"Wh"}},{"value":%d,"context":"Sample.Periodic","measurand":"Power.Active.Import",
    "location":"Outlet","unitOfMeasure":{"unit":"W"}}]}]}]"""
)
_V201_STOP = _compact(
    """[2,"%b","TransactionEvent",{"eventType":"Ended","timestamp":"%b","triggerReason":"StopAuthorized",
    "seqNo":%d,"transactionInfo":{"transactionId":"%b","chargingState":"EVConnected","stoppedReason":"Local"},
    "idToken":{"idToken":"%b","type":"ISO14443"},"evse":{"id":1,"connectorId":1},
    "meterValue":[{"timestamp":"%b","sampledValue":[{"value":%d,"context":"Transaction.End",
    "measurand":"Energy.Active.Import.Register","location":"Outlet","unitOfMeasure":{"unit":"Wh"}}]}]}]"""
)


class StationFrames:
    """The frames of one simulated station; it keeps the counters a real one would (energy, seqNo, tx ids)."""

    __slots__ = ("energy", "id_tag", "power", "seq_no", "serial", "station_id", "tx_count", "tx_id", "version")

    def __init__(self, version: str, station_id: str, id_tag: str = "BENCH-TAG-1") -> None:
        if version not in VERSIONS:
            raise ValueError(f"unsupported OCPP version {version!r}")
        self.version = version
        self.station_id = station_id.encode()
        self.serial = b"SN-" + self.station_id
        self.id_tag = id_tag.encode()
        self.energy = 1000
        self.power = 7200
        self.seq_no = 0
        self.tx_count = 0
        # 1.6: the integer the CSMS gave at StartTransaction; 2.0.1: the station's own string. None: no transaction.
        self.tx_id: int | bytes | None = None

    @property
    def in_transaction(self) -> bool:
        return self.tx_id is not None

    def frame(self, kind: str, message_id: bytes) -> bytes:
        if self.version == V16:
            return self._v16(kind, message_id)
        return self._v201(kind, message_id)

    def _v16(self, kind: str, mid: bytes) -> bytes:
        if kind == "meter":
            self.energy += 20
            tx = self.tx_id if isinstance(self.tx_id, int) else 0
            return _V16_METER % (mid, tx, timestamp(), self.energy, self.power)
        if kind == "heartbeat":
            return _V16_HEARTBEAT % mid
        if kind == "status":
            status = b"Charging" if self.tx_id is not None else b"Available"
            return _V16_STATUS % (mid, status, timestamp())
        if kind == "authorize":
            return _V16_AUTHORIZE % (mid, self.id_tag)
        if kind == "start":
            return _V16_START % (mid, self.id_tag, self.energy, timestamp())
        if kind == "stop":
            tx = self.tx_id if isinstance(self.tx_id, int) else 0
            stamp = timestamp()
            return _V16_STOP % (mid, tx, self.id_tag, self.energy, stamp, stamp, self.energy)
        if kind == "boot":
            return _V16_BOOT % (mid, self.serial)
        raise ValueError(f"unknown frame kind {kind!r}")

    def _v201(self, kind: str, mid: bytes) -> bytes:
        if kind == "meter":
            self.energy += 20
            self.seq_no += 1
            tx = self.tx_id if isinstance(self.tx_id, bytes) else b"none"
            stamp = timestamp()
            return _V201_METER % (mid, stamp, self.seq_no, tx, stamp, self.energy, self.power)
        if kind == "heartbeat":
            return _V201_HEARTBEAT % mid
        if kind == "status":
            status = b"Occupied" if self.tx_id is not None else b"Available"
            return _V201_STATUS % (mid, timestamp(), status)
        if kind == "authorize":
            return _V201_AUTHORIZE % (mid, self.id_tag)
        if kind == "start":
            self.tx_count += 1
            self.seq_no = 0
            self.tx_id = b"%b-%d" % (self.station_id, self.tx_count)
            stamp = timestamp()
            return _V201_START % (mid, stamp, self.seq_no, self.tx_id, self.id_tag, stamp, self.energy)
        if kind == "stop":
            self.seq_no += 1
            tx = self.tx_id if isinstance(self.tx_id, bytes) else b"none"
            stamp = timestamp()
            frame = _V201_STOP % (mid, stamp, self.seq_no, tx, self.id_tag, stamp, self.energy)
            self.tx_id = None  # 2.0.1: the station ends it; no answer needed to know
            return frame
        if kind == "boot":
            return _V201_BOOT % (mid, self.serial)
        raise ValueError(f"unknown frame kind {kind!r}")

    def answered(self, kind: str, payload: object) -> None:
        """Take what the CSMS answered into the station's state (1.6 transaction ids)."""
        if self.version != V16 or not isinstance(payload, dict):
            return
        if kind == "start":
            tx = payload.get("transactionId")
            self.tx_id = tx if isinstance(tx, int) else None
        elif kind == "stop":
            self.tx_id = None


def mix_pattern(seed: int = 4) -> list[str]:
    """One cycle of 100 messages in the default proportions: 55 meter, 25 heartbeat, 12 status, and 8 for
    authorization and transactions (4 Authorize, 2 stop each followed at once by a start)."""
    import random

    rng = random.Random(seed)
    body = ["meter"] * 55 + ["heartbeat"] * 25 + ["status"] * 12 + ["authorize"] * 4
    rng.shuffle(body)
    for position in sorted(rng.sample(range(len(body)), 2), reverse=True):
        body[position:position] = ["stop", "start"]
    return body
