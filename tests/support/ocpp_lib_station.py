"""A charge point built with the PyPI `ocpp` package (mobilityhouse, 2.1.0): a second, independent
implementation of the station side, so end-to-end tests do not only check Voltline against itself.

Both versions behind one small async API; every raw frame in and out is recorded in `transcript` as
("in", raw) for what the server sent and ("out", raw) for what the station sent.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from datetime import UTC, datetime
from enum import Enum
from typing import Any
from urllib.parse import quote

from ocpp.routing import on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

# 1.6 connector statuses -> 2.0.1 ConnectorStatusEnumType, so tests can speak one vocabulary.
_V201_STATUS = {
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


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _subprotocol(version: Enum | str) -> str:
    value = str(version.value if isinstance(version, Enum) else version).lower()
    if value in ("1.6", "ocpp1.6"):
        return "ocpp1.6"
    if value in ("2.0.1", "ocpp2.0.1"):
        return "ocpp2.0.1"
    raise ValueError(f"unsupported OCPP version {version!r}")


class RecordingConnection:
    """What `ocpp.ChargePoint` needs from a connection (recv/send), recording every frame."""

    def __init__(self, ws: ClientConnection, transcript: list[tuple[str, bytes]]) -> None:
        self.ws = ws
        self.transcript = transcript

    async def recv(self) -> str:
        message = await self.ws.recv()
        text = message if isinstance(message, str) else bytes(message).decode("utf-8")
        self.transcript.append(("in", text.encode("utf-8")))
        return text

    async def send(self, message: str) -> None:
        self.transcript.append(("out", message.encode("utf-8")))
        await self.ws.send(message)


class RemoteControl:
    """What the station answers to remote start/stop, and the requests it received."""

    def __init__(self) -> None:
        self.start_status = "Accepted"
        self.stop_status = "Accepted"
        self.start_requests: list[dict[str, Any]] = []
        self.stop_requests: list[dict[str, Any]] = []


class _Lib16(ChargePoint16):  # type: ignore[misc]
    remote: RemoteControl

    @on("RemoteStartTransaction")  # type: ignore[untyped-decorator]
    def on_remote_start(self, id_tag: str, **kwargs: Any) -> Any:
        self.remote.start_requests.append({"id_tag": id_tag, **kwargs})
        return result16.RemoteStartTransaction(status=self.remote.start_status)

    @on("RemoteStopTransaction")  # type: ignore[untyped-decorator]
    def on_remote_stop(self, transaction_id: int, **kwargs: Any) -> Any:
        self.remote.stop_requests.append({"transaction_id": transaction_id, **kwargs})
        return result16.RemoteStopTransaction(status=self.remote.stop_status)


class _Lib201(ChargePoint201):  # type: ignore[misc]
    remote: RemoteControl

    @on("RequestStartTransaction")  # type: ignore[untyped-decorator]
    def on_request_start(self, id_token: dict[str, Any], remote_start_id: int, **kwargs: Any) -> Any:
        self.remote.start_requests.append({"id_token": id_token, "remote_start_id": remote_start_id, **kwargs})
        return result201.RequestStartTransaction(status=self.remote.start_status)

    @on("RequestStopTransaction")  # type: ignore[untyped-decorator]
    def on_request_stop(self, transaction_id: str, **kwargs: Any) -> Any:
        self.remote.stop_requests.append({"transaction_id": transaction_id, **kwargs})
        return result201.RequestStopTransaction(status=self.remote.stop_status)


class OcppLibStation:
    """One `ocpp`-package charge point. `tx id` is the station-facing id: 1.6 int from the CSMS,
    2.0.1 a string this station makes up."""

    def __init__(
        self,
        url: str,
        station_id: str,
        version: Enum | str,
        *,
        password: str | None = None,
        response_timeout: float = 10.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.station_id = station_id
        self.subprotocol = _subprotocol(version)
        self.password = password
        self.response_timeout = response_timeout
        self.transcript: list[tuple[str, bytes]] = []
        self.remote = RemoteControl()
        self._ws: ClientConnection | None = None
        self._cp: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._seq_no: dict[str, int] = {}
        self._tx_counter = 0

    @property
    def is_v16(self) -> bool:
        return self.subprotocol == "ocpp1.6"

    async def connect(self) -> None:
        headers: dict[str, str] = {}
        if self.password is not None:
            token = base64.b64encode(f"{self.station_id}:{self.password}".encode()).decode("ascii")
            headers["Authorization"] = f"Basic {token}"
        self._ws = await connect(
            f"{self.url}/{quote(self.station_id, safe='')}",
            subprotocols=[Subprotocol(self.subprotocol)],
            additional_headers=headers,
        )
        if self._ws.subprotocol != self.subprotocol:
            await self._ws.close()
            raise ConnectionError(f"server did not accept {self.subprotocol} (got {self._ws.subprotocol!r})")
        cls = _Lib16 if self.is_v16 else _Lib201
        self._cp = cls(
            self.station_id,
            RecordingConnection(self._ws, self.transcript),
            response_timeout=self.response_timeout,
        )
        self._cp.remote = self.remote
        self._reader = asyncio.create_task(self._read(), name=f"ocpp-lib-{self.station_id}")

    async def _read(self) -> None:
        # ChargePoint.start() loops on recv() until the connection closes (which raises).
        with contextlib.suppress(Exception):
            await self._cp.start()

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            await asyncio.gather(self._reader, return_exceptions=True)

    async def _call(self, payload: Any) -> Any:
        if self._cp is None:
            raise ConnectionError("not connected")
        return await self._cp.call(payload, suppress=False)

    # ------------------------------------------------------------------ messages

    async def boot(self) -> dict[str, Any]:
        """BootNotification; returns {"status", "interval", "current_time"}."""
        if self.is_v16:
            r = await self._call(call16.BootNotification(charge_point_model="LibCP", charge_point_vendor="OcppLib"))
        else:
            r = await self._call(
                call201.BootNotification(
                    charging_station={"model": "LibCP", "vendor_name": "OcppLib"}, reason="PowerUp"
                )
            )
        return {"status": r.status, "interval": r.interval, "current_time": r.current_time}

    async def heartbeat(self) -> str:
        r = await self._call(call16.Heartbeat() if self.is_v16 else call201.Heartbeat())
        return str(r.current_time)

    async def status(self, connector_id: int, status: str, error_code: str = "NoError") -> None:
        """`status` in the 1.6 vocabulary (mapped for 2.0.1) or a 2.0.1 connectorStatus."""
        if self.is_v16:
            await self._call(
                call16.StatusNotification(
                    connector_id=connector_id, error_code=error_code, status=status, timestamp=_now()
                )
            )
        else:
            await self._call(
                call201.StatusNotification(
                    timestamp=_now(),
                    connector_status=_V201_STATUS[status],
                    evse_id=connector_id,
                    connector_id=1,
                )
            )

    async def authorize(self, token: str) -> str:
        if self.is_v16:
            r = await self._call(call16.Authorize(id_tag=token))
            return str(r.id_tag_info["status"])
        r = await self._call(call201.Authorize(id_token={"id_token": token, "type": "ISO14443"}))
        return str(r.id_token_info["status"])

    async def start(
        self, connector_id: int, token: str, meter_start: int = 0, token_type: str = "ISO14443"
    ) -> tuple[str, int | str]:
        """Start a transaction; returns (authorization status, station-facing transaction id). `token_type`
        (2.0.1): a remotely started session carries the idToken it was given, type and all."""
        if self.is_v16:
            r = await self._call(
                call16.StartTransaction(
                    connector_id=connector_id, id_tag=token, meter_start=meter_start, timestamp=_now()
                )
            )
            return str(r.id_tag_info["status"]), int(r.transaction_id)
        self._tx_counter += 1
        tx_id = f"{self.station_id}-{self._tx_counter}-{datetime.now(UTC).timestamp():.0f}"
        self._seq_no[tx_id] = 0
        r = await self._call(
            call201.TransactionEvent(
                event_type="Started",
                timestamp=_now(),
                trigger_reason="Authorized",
                seq_no=0,
                transaction_info={"transaction_id": tx_id, "charging_state": "Charging"},
                id_token={"id_token": token, "type": token_type},
                evse={"id": connector_id, "connector_id": 1},
                meter_value=[self._meter_value(meter_start, "Transaction.Begin")],
            )
        )
        status = r.id_token_info["status"] if r.id_token_info else "Accepted"
        return str(status), tx_id

    async def meter(self, connector_id: int, tx_id: int | str, energy_wh: int, power_w: float = 11_000.0) -> None:
        if self.is_v16:
            await self._call(
                call16.MeterValues(
                    connector_id=connector_id,
                    transaction_id=int(tx_id),
                    meter_value=[
                        {
                            "timestamp": _now(),
                            "sampledValue": [
                                {
                                    "value": str(energy_wh),
                                    "measurand": "Energy.Active.Import.Register",
                                    "unit": "Wh",
                                },
                                {"value": f"{power_w:.0f}", "measurand": "Power.Active.Import", "unit": "W"},
                            ],
                        }
                    ],
                )
            )
            return
        await self._call(
            call201.TransactionEvent(
                event_type="Updated",
                timestamp=_now(),
                trigger_reason="MeterValuePeriodic",
                seq_no=self._next_seq(str(tx_id)),
                transaction_info={"transaction_id": str(tx_id), "charging_state": "Charging"},
                meter_value=[self._meter_value(energy_wh, "Sample.Periodic", power_w)],
            )
        )

    async def stop(
        self,
        connector_id: int,
        tx_id: int | str,
        energy_wh: int,
        reason: str = "Local",
        token: str | None = None,
    ) -> str | None:
        """Stop a transaction; returns the id-token status in the answer, if any."""
        if self.is_v16:
            r = await self._call(
                call16.StopTransaction(
                    meter_stop=energy_wh,
                    timestamp=_now(),
                    transaction_id=int(tx_id),
                    reason=reason,
                    id_tag=token,
                )
            )
            return None if r.id_tag_info is None else str(r.id_tag_info["status"])
        r = await self._call(
            call201.TransactionEvent(
                event_type="Ended",
                timestamp=_now(),
                trigger_reason="RemoteStop" if reason == "Remote" else "StopAuthorized",
                seq_no=self._next_seq(str(tx_id)),
                transaction_info={"transaction_id": str(tx_id), "stopped_reason": reason},
                evse={"id": connector_id, "connector_id": 1},
                id_token=None if token is None else {"id_token": token, "type": "ISO14443"},
                meter_value=[self._meter_value(energy_wh, "Transaction.End")],
            )
        )
        return None if r.id_token_info is None else str(r.id_token_info["status"])

    def _next_seq(self, tx_id: str) -> int:
        self._seq_no[tx_id] = self._seq_no.get(tx_id, 0) + 1
        return self._seq_no[tx_id]

    @staticmethod
    def _meter_value(energy_wh: int, context: str, power_w: float | None = None) -> dict[str, Any]:
        sampled: list[dict[str, Any]] = [
            {
                "value": energy_wh,
                "context": context,
                "measurand": "Energy.Active.Import.Register",
                "unitOfMeasure": {"unit": "Wh"},
            }
        ]
        if power_w is not None:
            sampled.append(
                {
                    "value": power_w,
                    "context": context,
                    "measurand": "Power.Active.Import",
                    "unitOfMeasure": {"unit": "W"},
                }
            )
        return {"timestamp": _now(), "sampledValue": sampled}
