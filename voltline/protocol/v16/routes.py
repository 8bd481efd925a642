"""OCPP 1.6J: the actions a station may send us, and their handlers."""

from __future__ import annotations

from voltline.protocol.dispatcher import RouteTable
from voltline.protocol.v16 import core, transactions

ROUTES: RouteTable = {
    "BootNotification": core.boot_notification,
    "Heartbeat": core.heartbeat,
    "StatusNotification": core.status_notification,
    "Authorize": core.authorize,
    "DataTransfer": core.data_transfer,
    "StartTransaction": transactions.start_transaction,
    "StopTransaction": transactions.stop_transaction,
    "MeterValues": transactions.meter_values,
}
