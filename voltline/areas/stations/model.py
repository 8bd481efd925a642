"""Station records: registration, connector status, device events."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from voltline.kernel.events import DomainEvent


class Registration(StrEnum):
    """Whether a station may operate; the boot answer follows from it."""

    ACCEPTED = "Accepted"
    PENDING = "Pending"
    REJECTED = "Rejected"


class UnknownStationPolicy(StrEnum):
    """What admission does with a station id nobody registered (the setting VOLTLINE_UNKNOWN_STATIONS)."""

    REJECT = "reject"  # refuse ids nobody registered
    PENDING = "pending"  # register them as Pending until an operator approves
    ACCEPT = "accept"  # register and accept without credentials (labs, test benches, load tests)


@dataclass(slots=True)
class Station:
    id: str
    registration: Registration = Registration.ACCEPTED
    security_profile: int = 0
    password_hash: str | None = None
    description: str | None = None
    vendor: str | None = None
    model: str | None = None
    serial_number: str | None = None
    firmware_version: str | None = None
    boot_reason: str | None = None
    ocpp_version: str | None = None
    online: bool = False
    last_seen: datetime | None = None
    last_boot_at: datetime | None = None
    last_boot_status: Registration | None = None
    created_at: datetime | None = None


@dataclass(slots=True)
class ConnectorStatus:
    """Status of one EVSE connector (1.6 connector N is EVSE N, connector 1; connector 0 is EVSE 0)."""

    station_id: str
    evse_id: int
    connector_id: int
    status: str
    error_code: str | None = None
    info: str | None = None
    vendor_id: str | None = None
    vendor_error_code: str | None = None
    timestamp: datetime | None = None


@dataclass(slots=True)
class StationEvent:
    """A 2.0.1 NotifyEvent entry (device model event), kept as reported."""

    station_id: str
    event_id: int
    timestamp: datetime
    trigger: str
    component: str
    variable: str
    actual_value: str
    event_notification_type: str
    cleared: bool | None = None
    tech_code: str | None = None
    tech_info: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True, frozen=True)
class StationBootAccepted(DomainEvent):
    """A station's boot was Accepted and the answer is on the wire: from now on the CSMS may send it calls
    (OCPP forbids them before). Announced by the protocol layer (`voltline.app` wires the dispatcher's
    callback), once per boot; subscribers request their after-boot step on `AfterBoot`."""

    station_id: str


@dataclass(slots=True, frozen=True)
class StationApproved(DomainEvent):
    """An operator changed a Pending station's registration to Accepted. Published in the change's own
    transaction; once it committed, a subscriber asks the station, if it is online, to boot again now
    (TriggerMessage BootNotification), so that it is Accepted at once instead of at its next boot retry,
    which may be a whole heartbeat interval away. The stations area cannot send that command itself: the
    TriggerMessage command belongs to remote control, an area above it."""

    station_id: str


@dataclass(slots=True, frozen=True)
class StationRemoved(DomainEvent):
    """An operator removed a station from the registry (DELETE /stations/{id}). Published in the delete's
    own transaction; once it committed, the stations area ends the station's connection, if it still has
    one (close 1008), and its pending after-boot work. What the station did (transactions, meter values,
    review items, device events) stays as history; what it was (connector statuses, device model, local
    list, template runs) went with its row."""

    station_id: str
