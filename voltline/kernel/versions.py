"""OCPP-J protocol versions, as one type every layer shares (the areas, the RPC engine, the gateway), and
what each version can express (`Capabilities`), so that domain code asks "does this station's version
name tokens by value and type?" instead of comparing version strings.

The OCPP adapters of an area (`areas/<area>/ocpp/v16.py`, `v201.py`) keep their own payload knowledge;
what the domain needs to decide is here. A later version is its predecessor plus deltas: OCPP 2.1 would
be `dataclasses.replace(_V201, version=OcppVersion.V21, ...)` with only what 2.1 changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class OcppVersion(StrEnum):
    """An OCPP-J version; the value is its WebSocket subprotocol name (RFC 6455 Sec-WebSocket-Protocol)."""

    V16 = "ocpp1.6"
    V201 = "ocpp2.0.1"

    @property
    def schema_folder(self) -> str:
        """The folder holding this version's OCA JSON schemas inside the `ocpp` package."""
        return _SCHEMA_FOLDERS[self]

    @property
    def number(self) -> str:
        """The version as people write it: "1.6", "2.0.1"."""
        return self.value.removeprefix("ocpp")

    @classmethod
    def from_number(cls, number: str | None) -> OcppVersion | None:
        """The version written as a number ("1.6", "2.0.1"); None for None or a version Voltline lacks."""
        return _BY_NUMBER.get(number) if number is not None else None

    @classmethod
    def parse(cls, text: str | None) -> OcppVersion | None:
        """The version a subprotocol name ("ocpp1.6", as stations are stored) or a number ("1.6") names;
        None for None or a version Voltline lacks."""
        if text is None:
            return None
        return _BY_NUMBER.get(text.removeprefix("ocpp"))


_SCHEMA_FOLDERS: dict[OcppVersion, str] = {
    OcppVersion.V16: "v16",
    OcppVersion.V201: "v201",
}
_BY_NUMBER: dict[str, OcppVersion] = {version.number: version for version in OcppVersion}


def schema_folder(version: OcppVersion) -> str:
    """Function form of `OcppVersion.schema_folder`, for callers that map over versions."""
    return _SCHEMA_FOLDERS[version]


class TokenIdentity(StrEnum):
    """What makes two tokens the same token on a station."""

    VALUE = "value"  # 1.6: an idTag is its text
    VALUE_AND_TYPE = "value_and_type"  # 2.0.1: IdTokenType is (idToken, type): KeyCode "1234" is not RFID "1234"


class ChargingProfilePurpose(StrEnum):
    """Why a charging profile exists, version-neutral; each version's adapter names them in its payloads."""

    STATION_MAX = "station_max"  # 1.6 ChargePointMaxProfile, 2.0.1 ChargingStationMaxProfile
    TX_DEFAULT = "tx_default"  # TxDefaultProfile (both)
    TX = "tx"  # TxProfile (both)
    EXTERNAL_CONSTRAINTS = "external_constraints"  # 2.0.1 ChargingStationExternalConstraints (set by the station)


@dataclass(slots=True, frozen=True)
class SettingName:
    """A setting a station announces a limit or a feature in: a 1.6 configuration key (no component), or a
    2.0.1 component and variable (with the variable's instance). The configuration area turns it into its
    own `SettingAddress`; it lives here so that capabilities can name settings without importing an area."""

    variable: str
    component: str | None = None
    instance: str | None = None  # the variable's instance (2.0.1)

    @classmethod
    def key(cls, name: str) -> SettingName:
        """A 1.6 configuration key."""
        return cls(name)


@dataclass(slots=True, frozen=True)
class Capabilities:
    """What one OCPP version can express, as far as the domain has to decide on it."""

    version: OcppVersion

    # -- identification (tokens)
    # The longest token id (and group id) the version's messages carry: 1.6 IdToken is CiString20Type,
    # 2.0.1 IdTokenType.idToken is string(36). Longer tokens cannot be sent to such a station at all.
    id_token_max_length: int
    token_identity: TokenIdentity

    # -- configuration (device model)
    # 2.0.1 names a setting by component, variable (and their instances) and attribute type; 1.6 by a
    # configuration key alone (the variable name here: no component, no instance, attribute Actual).
    settings_by_component: bool
    # How many settings one read may carry, as the station announces it: 1.6 GetConfigurationMaxKeys,
    # 2.0.1 DeviceDataCtrlr.ItemsPerMessage[GetVariables].
    settings_read_limit: SettingName
    # Likewise for writes: 2.0.1 DeviceDataCtrlr.ItemsPerMessage[SetVariables]. None: a write carries one
    # setting (1.6 ChangeConfiguration), so several go one call each, in order.
    settings_write_limit: SettingName | None
    # True: the full inventory comes as a report in parts (2.0.1 GetBaseReport -> NotifyReport with
    # requestId and tbc); False: as one answer listing every key (1.6 GetConfiguration without keys).
    inventory_by_report: bool

    # -- local authorization lists
    # Entries one SendLocalList may carry: 1.6 SendLocalListMaxLength, 2.0.1 LocalAuthListCtrlr.ItemsPerMessage.
    local_list_items_per_message: SettingName
    # Entries the list may hold: 1.6 LocalAuthListMaxLength; 2.0.1 LocalAuthListCtrlr.Entries, whose
    # maxLimit characteristic is the capacity (its Actual value is the number of entries held).
    local_list_max_entries: SettingName

    # -- remote control
    # The messages TriggerMessage can ask for (1.6 requestedMessage, 2.0.1 MessageTriggerEnumType), by name.
    triggerable_messages: frozenset[str]
    # SetDisplayMessage, GetDisplayMessages -> NotifyDisplayMessages, ClearDisplayMessage (2.0.1 block O).
    display_messages: bool

    # -- smart charging
    charging_profile_purposes: frozenset[ChargingProfilePurpose]
    # Schedules one profile may carry: 1.6 ChargingProfile has one chargingSchedule, 2.0.1 one to three.
    schedules_per_profile: int
    # 2.0.1 ChargingSchedulePeriodType.phaseToUse (which phase a single-phase limit applies to); 1.6 has none.
    phase_to_use: bool
    # Periods one schedule may have: 1.6 ChargingScheduleMaxPeriods, 2.0.1 SmartChargingCtrlr.PeriodsPerSchedule.
    schedule_max_periods: SettingName
    # The highest stack level: 1.6 ChargeProfileMaxStackLevel, 2.0.1 SmartChargingCtrlr.ProfileStackLevel.
    max_stack_level: SettingName
    # The rate units the station takes, a list: 1.6 ChargingScheduleAllowedChargingRateUnit ("Current,Power"),
    # 2.0.1 SmartChargingCtrlr.RateUnit ("A,W").
    rate_units: SettingName


_V16 = Capabilities(
    version=OcppVersion.V16,
    id_token_max_length=20,
    token_identity=TokenIdentity.VALUE,
    settings_by_component=False,
    settings_read_limit=SettingName.key("GetConfigurationMaxKeys"),
    settings_write_limit=None,
    inventory_by_report=False,
    local_list_items_per_message=SettingName.key("SendLocalListMaxLength"),
    local_list_max_entries=SettingName.key("LocalAuthListMaxLength"),
    triggerable_messages=frozenset(
        {
            "BootNotification",
            "DiagnosticsStatusNotification",
            "FirmwareStatusNotification",
            "Heartbeat",
            "MeterValues",
            "StatusNotification",
        }
    ),
    display_messages=False,
    charging_profile_purposes=frozenset(
        {ChargingProfilePurpose.STATION_MAX, ChargingProfilePurpose.TX_DEFAULT, ChargingProfilePurpose.TX}
    ),
    schedules_per_profile=1,
    phase_to_use=False,
    schedule_max_periods=SettingName.key("ChargingScheduleMaxPeriods"),
    max_stack_level=SettingName.key("ChargeProfileMaxStackLevel"),
    rate_units=SettingName.key("ChargingScheduleAllowedChargingRateUnit"),
)

_V201 = Capabilities(
    version=OcppVersion.V201,
    id_token_max_length=36,
    token_identity=TokenIdentity.VALUE_AND_TYPE,
    settings_by_component=True,
    settings_read_limit=SettingName("ItemsPerMessage", "DeviceDataCtrlr", "GetVariables"),
    settings_write_limit=SettingName("ItemsPerMessage", "DeviceDataCtrlr", "SetVariables"),
    inventory_by_report=True,
    local_list_items_per_message=SettingName("ItemsPerMessage", "LocalAuthListCtrlr"),
    local_list_max_entries=SettingName("Entries", "LocalAuthListCtrlr"),
    triggerable_messages=frozenset(
        {
            "BootNotification",
            "LogStatusNotification",
            "FirmwareStatusNotification",
            "Heartbeat",
            "MeterValues",
            "SignChargingStationCertificate",
            "SignV2GCertificate",
            "StatusNotification",
            "TransactionEvent",
            "SignCombinedCertificate",
            "PublishFirmwareStatusNotification",
        }
    ),
    display_messages=True,
    charging_profile_purposes=frozenset(ChargingProfilePurpose),
    schedules_per_profile=3,
    phase_to_use=True,
    schedule_max_periods=SettingName("PeriodsPerSchedule", "SmartChargingCtrlr"),
    max_stack_level=SettingName("ProfileStackLevel", "SmartChargingCtrlr"),
    rate_units=SettingName("RateUnit", "SmartChargingCtrlr"),
)

_CAPABILITIES: Mapping[OcppVersion, Capabilities] = MappingProxyType({OcppVersion.V16: _V16, OcppVersion.V201: _V201})


def capabilities(version: OcppVersion) -> Capabilities:
    """What `version` can express."""
    return _CAPABILITIES[version]
