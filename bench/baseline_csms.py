"""The baseline: the smallest CSMS a Python user would write with the PyPI `ocpp` package (2.1.0).

It follows the library's documented central-system pattern: `websockets.serve`, one `ChargePoint` subclass
instance per connection with `@on` handlers, `await cp.start()`; schema validation is on (the library's
default), on the plain asyncio event loop. It answers the messages the load generator sends, for 1.6
(BootNotification, Heartbeat, StatusNotification, Authorize, StartTransaction, StopTransaction,
MeterValues) and 2.0.1 (BootNotification, Heartbeat, StatusNotification, Authorize, TransactionEvent).

What flatters it: it keeps everything in memory and persists nothing (Voltline commits transactions and
meter values before it answers), it accepts every station and every id token without a lookup, and it
logs at WARNING (the documented example logs every frame at INFO). Pings every 30 s, as Voltline's default.

    python -m bench.baseline_csms --port 9000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import logging
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call_result as result16
from ocpp.v16.enums import Action as Action16
from ocpp.v16.enums import AuthorizationStatus, RegistrationStatus
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call_result as result201
from ocpp.v201.enums import Action as Action201
from ocpp.v201.enums import AuthorizationStatusEnumType, RegistrationStatusEnumType


def now() -> str:
    return datetime.now(UTC).isoformat()


class Memory:
    """All the state there is: nothing survives a restart."""

    def __init__(self) -> None:
        self.boots: dict[str, dict[str, Any]] = {}
        self.statuses: dict[tuple[str, int], str] = {}
        self.transactions: dict[int | str, dict[str, Any]] = {}
        self.meter_values: defaultdict[str, int] = defaultdict(int)
        self.tx_ids = itertools.count(1)


MEMORY = Memory()


class CentralSystem16(ChargePoint16):  # type: ignore[misc]
    @on(Action16.boot_notification)
    def on_boot_notification(self, charge_point_vendor: str, charge_point_model: str, **kwargs: Any) -> Any:
        MEMORY.boots[self.id] = {"vendor": charge_point_vendor, "model": charge_point_model, **kwargs}
        return result16.BootNotification(current_time=now(), interval=300, status=RegistrationStatus.accepted)

    @on(Action16.heartbeat)
    def on_heartbeat(self) -> Any:
        return result16.Heartbeat(current_time=now())

    @on(Action16.status_notification)
    def on_status_notification(self, connector_id: int, error_code: str, status: str, **kwargs: Any) -> Any:
        MEMORY.statuses[(self.id, connector_id)] = status
        return result16.StatusNotification()

    @on(Action16.authorize)
    def on_authorize(self, id_tag: str) -> Any:
        return result16.Authorize(id_tag_info={"status": AuthorizationStatus.accepted})

    @on(Action16.start_transaction)
    def on_start_transaction(
        self, connector_id: int, id_tag: str, meter_start: int, timestamp: str, **kwargs: Any
    ) -> Any:
        tx_id = next(MEMORY.tx_ids)
        MEMORY.transactions[tx_id] = {"station": self.id, "connector": connector_id, "meter_start": meter_start}
        return result16.StartTransaction(transaction_id=tx_id, id_tag_info={"status": AuthorizationStatus.accepted})

    @on(Action16.stop_transaction)
    def on_stop_transaction(self, meter_stop: int, timestamp: str, transaction_id: int, **kwargs: Any) -> Any:
        MEMORY.transactions.setdefault(transaction_id, {})["meter_stop"] = meter_stop
        return result16.StopTransaction(id_tag_info={"status": AuthorizationStatus.accepted})

    @on(Action16.meter_values)
    def on_meter_values(self, connector_id: int, meter_value: list[dict[str, Any]], **kwargs: Any) -> Any:
        MEMORY.meter_values[self.id] += sum(len(m["sampled_value"]) for m in meter_value)
        return result16.MeterValues()


class CentralSystem201(ChargePoint201):  # type: ignore[misc]
    @on(Action201.boot_notification)
    def on_boot_notification(self, charging_station: dict[str, Any], reason: str, **kwargs: Any) -> Any:
        MEMORY.boots[self.id] = {"station": charging_station, "reason": reason}
        return result201.BootNotification(current_time=now(), interval=300, status=RegistrationStatusEnumType.accepted)

    @on(Action201.heartbeat)
    def on_heartbeat(self, **kwargs: Any) -> Any:
        return result201.Heartbeat(current_time=now())

    @on(Action201.status_notification)
    def on_status_notification(
        self, timestamp: str, connector_status: str, evse_id: int, connector_id: int, **kwargs: Any
    ) -> Any:
        MEMORY.statuses[(self.id, evse_id)] = connector_status
        return result201.StatusNotification()

    @on(Action201.authorize)
    def on_authorize(self, id_token: dict[str, Any], **kwargs: Any) -> Any:
        return result201.Authorize(id_token_info={"status": AuthorizationStatusEnumType.accepted})

    @on(Action201.transaction_event)
    def on_transaction_event(
        self,
        event_type: str,
        timestamp: str,
        trigger_reason: str,
        seq_no: int,
        transaction_info: dict[str, Any],
        **kwargs: Any,
    ) -> Any:
        tx = MEMORY.transactions.setdefault(f"{self.id}/{transaction_info['transaction_id']}", {})
        tx["last_event"] = event_type
        for meter_value in kwargs.get("meter_value", []):
            MEMORY.meter_values[self.id] += len(meter_value["sampled_value"])
        if "id_token" in kwargs:
            return result201.TransactionEvent(id_token_info={"status": AuthorizationStatusEnumType.accepted})
        return result201.TransactionEvent()


async def on_connect(websocket: Any) -> None:
    """The documented pattern: check the subprotocol, build the ChargePoint for it, run it until it closes."""
    if websocket.subprotocol is None:
        await websocket.close()
        return
    charge_point_id = websocket.request.path.rstrip("/").rsplit("/", 1)[-1]
    cls = CentralSystem16 if websocket.subprotocol == "ocpp1.6" else CentralSystem201
    charge_point = cls(charge_point_id, websocket)
    with contextlib.suppress(websockets.exceptions.ConnectionClosed):
        await charge_point.start()


async def serve(host: str, port: int) -> None:
    async with websockets.serve(
        on_connect,
        host,
        port,
        subprotocols=["ocpp2.0.1", "ocpp1.6"],  # type: ignore[list-item]
        ping_interval=30,
        ping_timeout=30,
        backlog=4096,
    ) as server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser(description="Baseline CSMS built with the PyPI ocpp package")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with contextlib.suppress(ValueError, OSError):
        import resource

        resource.setrlimit(resource.RLIMIT_NOFILE, (resource.getrlimit(resource.RLIMIT_NOFILE)[1],) * 2)
    asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
