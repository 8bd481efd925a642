"""Version-neutral remote-control commands (reset, unlock, availability, trigger, cache, data transfer,
display messages) and the version-neutral pieces of the stations' answers.

protocol/v16/remote_control.py and protocol/v201/remote_control.py map each command onto its OCPP call,
or refuse it (InvalidRequest) where the version cannot express it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from voltline.kernel.commands import Command, StatusInfo


@dataclass(slots=True, frozen=True)
class RemoteStart(Command):
    id_token: str
    evse_id: int | None = None
    remote_start_id: int | None = None


@dataclass(slots=True, frozen=True)
class RemoteStop(Command):
    station_tx_id: str


class ResetKind(StrEnum):
    """How to reset. 1.6 knows Soft/Hard, 2.0.1 OnIdle/Immediate; each version maps the other pair onto
    its own (Soft ~ OnIdle: wait for transactions to end; Hard ~ Immediate: end them now). Spelled as
    OCPP spells them, like every OCPP word in the API (which also takes the older `soft`, `on_idle`)."""

    SOFT = "Soft"
    HARD = "Hard"
    ON_IDLE = "OnIdle"
    IMMEDIATE = "Immediate"


class TriggerableMessage(StrEnum):
    """Messages a station can be asked to send (TriggerMessage), across both versions. A version that
    lacks one refuses it."""

    BOOT_NOTIFICATION = "BootNotification"
    HEARTBEAT = "Heartbeat"
    STATUS_NOTIFICATION = "StatusNotification"
    METER_VALUES = "MeterValues"
    FIRMWARE_STATUS_NOTIFICATION = "FirmwareStatusNotification"
    DIAGNOSTICS_STATUS_NOTIFICATION = "DiagnosticsStatusNotification"  # 1.6 only
    LOG_STATUS_NOTIFICATION = "LogStatusNotification"  # 2.0.1 only, from here on
    TRANSACTION_EVENT = "TransactionEvent"
    SIGN_CHARGING_STATION_CERTIFICATE = "SignChargingStationCertificate"
    SIGN_V2G_CERTIFICATE = "SignV2GCertificate"
    SIGN_COMBINED_CERTIFICATE = "SignCombinedCertificate"
    PUBLISH_FIRMWARE_STATUS_NOTIFICATION = "PublishFirmwareStatusNotification"


class MessagePriority(StrEnum):
    ALWAYS_FRONT = "AlwaysFront"
    IN_FRONT = "InFront"
    NORMAL_CYCLE = "NormalCycle"


class MessageState(StrEnum):
    """The station state during which a display message is shown."""

    CHARGING = "Charging"
    FAULTED = "Faulted"
    IDLE = "Idle"
    UNAVAILABLE = "Unavailable"


class MessageFormat(StrEnum):
    ASCII = "ASCII"
    HTML = "HTML"
    URI = "URI"
    UTF8 = "UTF8"


@dataclass(slots=True, frozen=True)
class DisplayMessage:
    """A message shown on a station's display (OCPP 2.0.1 MessageInfo)."""

    id: int
    priority: MessagePriority
    content: str
    format: MessageFormat = MessageFormat.UTF8
    language: str | None = None
    state: MessageState | None = None
    start: datetime | None = None  # shown from ...
    end: datetime | None = None  # ... until
    transaction_id: str | None = None  # shown only during this transaction (the station's id)
    evse_id: int | None = None  # the display of this EVSE


@dataclass(slots=True, frozen=True)
class RemoteStartAnswer:
    """The decoded answer to a `RemoteStart` on OCPP 2.0.1: the remoteStartId that was sent, which the
    station puts in the TransactionEvent of the transaction it starts (how a caller finds that
    transaction), and the station's reason. OCPP 1.6 has no such id: its answers are not decoded."""

    remote_start_id: int
    status_info: StatusInfo | None = None


@dataclass(slots=True, frozen=True)
class Reset(Command):
    kind: ResetKind
    evse_id: int | None = None  # one EVSE instead of the whole station (2.0.1 only)


@dataclass(slots=True, frozen=True)
class UnlockConnector(Command):
    evse_id: int
    connector_id: int = 1


@dataclass(slots=True, frozen=True)
class ChangeAvailability(Command):
    operative: bool
    evse_id: int | None = None  # None or 0: the whole station
    connector_id: int | None = None  # one connector of the EVSE


@dataclass(slots=True, frozen=True)
class TriggerMessage(Command):
    message: TriggerableMessage
    evse_id: int | None = None
    connector_id: int | None = None


@dataclass(slots=True, frozen=True)
class ClearCache(Command):
    pass


@dataclass(slots=True, frozen=True)
class SetDisplayMessage(Command):
    message: DisplayMessage


@dataclass(slots=True, frozen=True)
class GetDisplayMessages(Command):
    request_id: int
    ids: tuple[int, ...] = ()
    priority: MessagePriority | None = None
    state: MessageState | None = None


@dataclass(slots=True, frozen=True)
class ClearDisplayMessage(Command):
    message_id: int
