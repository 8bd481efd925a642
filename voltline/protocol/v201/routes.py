"""OCPP 2.0.1: the actions a station may send us, and their handlers."""

from __future__ import annotations

from voltline.protocol.dispatcher import RouteTable
from voltline.protocol.v201 import core, transactions
from voltline.protocol.v201.display import notify_display_messages
from voltline.protocol.v201.reports import notify_report

ROUTES: RouteTable = {
    "BootNotification": core.boot_notification,
    "Heartbeat": core.heartbeat,
    "StatusNotification": core.status_notification,
    "Authorize": core.authorize,
    "NotifyEvent": core.notify_event,
    "DataTransfer": core.data_transfer,
    "TransactionEvent": transactions.transaction_event,
    "MeterValues": transactions.meter_values,
    "NotifyReport": notify_report,
    "NotifyDisplayMessages": notify_display_messages,
}
