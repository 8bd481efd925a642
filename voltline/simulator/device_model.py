"""The simulated station's configuration: OCPP 1.6 configuration keys or an OCPP 2.0.1 device model,
and its answers to the CSMS's configuration calls.

1.6: GetConfiguration (unknown keys listed as such), ChangeConfiguration (Accepted; Rejected for a
read-only key or a bad value; RebootRequired for WebSocketPingInterval; NotSupported for an unknown key).
2.0.1: GetVariables / SetVariables with the per-item statuses, GetBaseReport / GetReport answered first
and then reported in NotifyReport parts of `items_per_report` entries (tbc on all but the last). Tests
make a report long with `add_filler`, and play a local change with `set`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from voltline.ocppj import ErrorKind, OcppError, OcppVersion
from voltline.simulator.handle import StationHandle
from voltline.simulator.messages import now_iso

Payload = dict[str, Any]

MEASURANDS = (
    "Energy.Active.Import.Register",
    "Power.Active.Import",
    "Current.Import",
    "Voltage",
    "SoC",
    "Temperature",
)
DEFAULT_ITEMS_PER_REPORT = 25
# Smart charging limits a station announces (and enforces, simulator/smart_charging.py).
DEFAULT_MAX_PERIODS = 24
DEFAULT_MAX_STACK_LEVEL = 8
DEFAULT_MAX_PROFILES = 20
# How 1.6 (ChargingScheduleAllowedChargingRateUnit) and 2.0.1 (SmartChargingCtrlr.RateUnit) name the units.
ALL_RATE_UNITS = frozenset({"A", "W"})
_SMART_CHARGING = "SmartChargingCtrlr"
_RATE_UNIT_WORDS = {"Current": "A", "Power": "W", "A": "A", "W": "W"}


@dataclass(slots=True)
class Key:
    """An OCPP 1.6 configuration key."""

    name: str
    value: str
    readonly: bool = False
    kind: str = "string"  # string, integer, boolean, measurands, rate_units
    reboot: bool = False  # a change takes effect after a reboot


@dataclass(slots=True)
class Attribute:
    value: str | None
    mutability: str = "ReadWrite"


@dataclass(slots=True)
class Variable:
    """An OCPP 2.0.1 variable of a component, with its attributes and characteristics."""

    component: str
    name: str
    attributes: dict[str, Attribute]
    data_type: str = "string"
    evse: int | None = None
    connector: int | None = None
    component_instance: str | None = None
    instance: str | None = None
    unit: str | None = None
    min_limit: float | None = None
    max_limit: float | None = None
    values_list: str | None = None
    supports_monitoring: bool = False
    reboot: bool = False

    @property
    def component_key(self) -> tuple[str, str | None, int | None, int | None]:
        return (self.component, self.component_instance, self.evse, self.connector)

    def report_entry(self) -> Payload:
        characteristics: Payload = {"dataType": self.data_type, "supportsMonitoring": self.supports_monitoring}
        for name, value in (
            ("unit", self.unit),
            ("minLimit", self.min_limit),
            ("maxLimit", self.max_limit),
            ("valuesList", self.values_list),
        ):
            if value is not None:
                characteristics[name] = value
        attributes = []
        for kind, attribute in self.attributes.items():
            entry: Payload = {"type": kind, "mutability": attribute.mutability, "persistent": True}
            if attribute.value is not None and attribute.mutability != "WriteOnly":
                entry["value"] = attribute.value
            attributes.append(entry)
        return {
            "component": _component_payload(self),
            "variable": {"name": self.name, **({"instance": self.instance} if self.instance else {})},
            "variableAttribute": attributes,
            "variableCharacteristics": characteristics,
        }


def _component_payload(variable: Variable) -> Payload:
    component: Payload = {"name": variable.component}
    if variable.component_instance is not None:
        component["instance"] = variable.component_instance
    if variable.evse is not None:
        component["evse"] = {"id": variable.evse}
        if variable.connector is not None:
            component["evse"]["connectorId"] = variable.connector
    return component


def _v16_keys(connectors: int) -> list[Key]:
    return [
        Key("AllowOfflineTxForUnknownId", "false", kind="boolean"),
        Key("AuthorizationCacheEnabled", "true", kind="boolean"),
        Key("AuthorizeRemoteTxRequests", "true", kind="boolean"),
        # Smart charging limits (1.6 §9.4). Read-only in the specification; writable here so that a CSMS
        # test can play a more limited station.
        Key("ChargeProfileMaxStackLevel", str(DEFAULT_MAX_STACK_LEVEL), kind="integer"),
        Key("ChargingScheduleAllowedChargingRateUnit", "Current,Power", kind="rate_units"),
        Key("ChargingScheduleMaxPeriods", str(DEFAULT_MAX_PERIODS), kind="integer"),
        Key("ClockAlignedDataInterval", "0", kind="integer"),
        Key("ConnectionTimeOut", "60", kind="integer"),
        Key("GetConfigurationMaxKeys", "50", readonly=True, kind="integer"),
        Key("HeartbeatInterval", "300", kind="integer"),
        Key("LocalAuthListEnabled", "true", kind="boolean"),
        Key("LocalAuthListMaxLength", "1000", readonly=True, kind="integer"),
        Key("LocalAuthorizeOffline", "true", kind="boolean"),
        Key("LocalPreAuthorize", "false", kind="boolean"),
        Key("MaxChargingProfilesInstalled", str(DEFAULT_MAX_PROFILES), kind="integer"),
        Key("MeterValuesAlignedData", "Energy.Active.Import.Register", kind="measurands"),
        Key("MeterValuesSampledData", "Energy.Active.Import.Register,Power.Active.Import", kind="measurands"),
        Key("MeterValueSampleInterval", "60", kind="integer"),
        Key("NumberOfConnectors", str(connectors), readonly=True, kind="integer"),
        Key("ResetRetries", "3", kind="integer"),
        Key("SendLocalListMaxLength", "100", readonly=True, kind="integer"),
        Key("StopTransactionOnEVSideDisconnect", "true", kind="boolean"),
        Key("StopTransactionOnInvalidId", "true", kind="boolean"),
        Key("StopTxnSampledData", "Energy.Active.Import.Register", kind="measurands"),
        Key(
            "SupportedFeatureProfiles",
            "Core,FirmwareManagement,LocalAuthListManagement,Reservation,SmartCharging,RemoteTrigger",
            readonly=True,
        ),
        Key("TransactionMessageAttempts", "3", kind="integer"),
        Key("TransactionMessageRetryInterval", "60", kind="integer"),
        Key("UnlockConnectorOnEVSideDisconnect", "true", kind="boolean"),
        Key("WebSocketPingInterval", "30", kind="integer", reboot=True),
    ]


def _rw(value: str | None) -> dict[str, Attribute]:
    return {"Actual": Attribute(value)}


def _ro(value: str | None) -> dict[str, Attribute]:
    return {"Actual": Attribute(value, "ReadOnly")}


def _v201_variables(connectors: int) -> list[Variable]:
    measurands = ",".join(MEASURANDS)
    variables = [
        Variable("ChargingStation", "Available", _ro("true"), "boolean"),
        Variable(
            "ChargingStation",
            "AvailabilityState",
            _ro("Available"),
            "OptionList",
            values_list="Available,Occupied,Reserved,Unavailable,Faulted",
        ),
        Variable("ChargingStation", "SupplyPhases", _ro("3"), "integer"),
        Variable("ClockCtrlr", "DateTime", _ro(None), "dateTime"),
        Variable(
            "ClockCtrlr", "TimeSource", _rw("Heartbeat"), "SequenceList", values_list="Heartbeat,NTP,GPS,RealTimeClock"
        ),
        Variable(
            "DeviceDataCtrlr", "ItemsPerMessage", _ro(str(DEFAULT_ITEMS_PER_REPORT)), "integer", instance="GetReport"
        ),
        Variable("DeviceDataCtrlr", "ItemsPerMessage", _ro("50"), "integer", instance="GetVariables"),
        Variable("DeviceDataCtrlr", "ItemsPerMessage", _ro("50"), "integer", instance="SetVariables"),
        Variable("DeviceDataCtrlr", "BytesPerMessage", _ro("65000"), "integer", instance="GetReport"),
        Variable("OCPPCommCtrlr", "HeartbeatInterval", _rw("300"), "integer", unit="s", min_limit=1, max_limit=86400),
        Variable("OCPPCommCtrlr", "MessageTimeout", _rw("30"), "integer", instance="Default", unit="s", min_limit=1),
        Variable("OCPPCommCtrlr", "NetworkConfigurationPriority", _rw("1"), "SequenceList", values_list="1,2"),
        Variable("OCPPCommCtrlr", "RetryBackOffRepeatTimes", _rw("3"), "integer", min_limit=0, max_limit=10),
        Variable("OCPPCommCtrlr", "WebSocketPingInterval", _rw("30"), "integer", unit="s", min_limit=0, reboot=True),
        Variable(
            "OCPPCommCtrlr", "FileTransferProtocols", _ro("HTTPS"), "MemberList", values_list="FTP,FTPS,HTTP,HTTPS"
        ),
        Variable("SampledDataCtrlr", "Enabled", _rw("true"), "boolean"),
        Variable("SampledDataCtrlr", "TxUpdatedInterval", _rw("60"), "integer", unit="s", min_limit=0, max_limit=3600),
        Variable(
            "SampledDataCtrlr",
            "TxUpdatedMeasurands",
            _rw("Energy.Active.Import.Register,Power.Active.Import"),
            "MemberList",
            values_list=measurands,
        ),
        Variable(
            "SampledDataCtrlr",
            "TxEndedMeasurands",
            _rw("Energy.Active.Import.Register"),
            "MemberList",
            values_list=measurands,
        ),
        Variable("AlignedDataCtrlr", "Interval", _rw("900"), "integer", unit="s", min_limit=0),
        Variable(
            "AlignedDataCtrlr", "Measurands", _rw("Energy.Active.Import.Register"), "MemberList", values_list=measurands
        ),
        Variable("AuthCtrlr", "Enabled", _rw("true"), "boolean"),
        Variable("AuthCtrlr", "AuthorizeRemoteStart", _rw("true"), "boolean"),
        Variable("AuthCtrlr", "LocalAuthorizeOffline", _rw("true"), "boolean"),
        Variable("AuthCtrlr", "LocalPreAuthorize", _rw("false"), "boolean"),
        Variable("AuthCacheCtrlr", "Enabled", _rw("true"), "boolean"),
        Variable("LocalAuthListCtrlr", "Enabled", _rw("true"), "boolean"),
        Variable("LocalAuthListCtrlr", "Entries", _ro("0"), "integer"),
        Variable("LocalAuthListCtrlr", "ItemsPerMessage", _ro("100"), "integer"),
        Variable("LocalAuthListCtrlr", "BytesPerMessage", _ro("8192"), "integer"),
        Variable("TxCtrlr", "EVConnectionTimeOut", _rw("60"), "integer", unit="s", min_limit=0),
        Variable("TxCtrlr", "StopTxOnEVSideDisconnect", _rw("true"), "boolean"),
        Variable(
            "TxCtrlr",
            "TxStartPoint",
            _rw("PowerPathClosed"),
            "MemberList",
            values_list="Authorized,EVConnected,PowerPathClosed",
        ),
        Variable(
            "TxCtrlr",
            "TxStopPoint",
            _rw("EVConnected,Authorized"),
            "MemberList",
            values_list="Authorized,EVConnected,PowerPathClosed",
        ),
        # Smart charging (2.0.1 part K). The limits are read-only in the specification; writable here so
        # that a CSMS test can play a more limited station. Entries counts the installed profiles; its
        # maxLimit is how many the station takes.
        Variable(
            "SmartChargingCtrlr",
            "Entries",
            _ro("0"),
            "integer",
            instance="ChargingProfiles",
            max_limit=DEFAULT_MAX_PROFILES,
        ),
        Variable("SmartChargingCtrlr", "PeriodsPerSchedule", _rw(str(DEFAULT_MAX_PERIODS)), "integer", min_limit=1),
        Variable("SmartChargingCtrlr", "ProfileStackLevel", _rw(str(DEFAULT_MAX_STACK_LEVEL)), "integer", min_limit=0),
        Variable("SmartChargingCtrlr", "RateUnit", _rw("A,W"), "MemberList", values_list="A,W"),
        Variable("SecurityCtrlr", "OrganizationName", _rw("Voltline"), "string"),
        Variable("SecurityCtrlr", "SecurityProfile", _ro("0"), "integer"),
        Variable("SecurityCtrlr", "BasicAuthPassword", {"Actual": Attribute(None, "WriteOnly")}, "string"),
    ]
    for evse in range(1, connectors + 1):
        variables += [
            Variable("EVSE", "Available", _ro("true"), "boolean", evse=evse),
            Variable(
                "EVSE",
                "AvailabilityState",
                _ro("Available"),
                "OptionList",
                evse=evse,
                values_list="Available,Occupied,Reserved,Unavailable,Faulted",
            ),
            Variable(
                "EVSE",
                "Power",
                {"Actual": Attribute("0", "ReadOnly"), "MaxSet": Attribute("11000", "ReadOnly")},
                "decimal",
                evse=evse,
                unit="W",
            ),
            Variable("EVSE", "SupplyPhases", _ro("3"), "integer", evse=evse),
            Variable("Connector", "Available", _ro("true"), "boolean", evse=evse, connector=1),
            Variable(
                "Connector",
                "AvailabilityState",
                _ro("Available"),
                "OptionList",
                evse=evse,
                connector=1,
                values_list="Available,Occupied,Reserved,Unavailable,Faulted",
            ),
            Variable("Connector", "ConnectorType", _ro("cType2"), "string", evse=evse, connector=1),
        ]
    return variables


_VariableKey = tuple[str, str | None, int | None, int | None, str, str | None]


@dataclass(frozen=True, slots=True)
class ChargingLimits:
    """What the station takes in a SetChargingProfile, as its configuration says now."""

    max_periods: int = DEFAULT_MAX_PERIODS  # per schedule
    max_stack_level: int = DEFAULT_MAX_STACK_LEVEL
    rate_units: frozenset[str] = ALL_RATE_UNITS
    max_profiles: int = DEFAULT_MAX_PROFILES  # installed at once


def _as_int(value: str | float | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _rate_units(value: str | None) -> frozenset[str]:
    if value is None:
        return ALL_RATE_UNITS
    return frozenset(
        _RATE_UNIT_WORDS[word] for word in (w.strip() for w in value.split(",")) if word in _RATE_UNIT_WORDS
    )


@dataclass(slots=True)
class DeviceModel:
    """A station's configuration, for the version it speaks."""

    version: OcppVersion
    keys: dict[str, Key] = field(default_factory=dict)  # 1.6, by case-folded name
    variables: dict[_VariableKey, Variable] = field(default_factory=dict)  # 2.0.1
    items_per_report: int = DEFAULT_ITEMS_PER_REPORT

    @classmethod
    def for_station(cls, version: OcppVersion, connectors: int) -> DeviceModel:
        model = cls(version)
        if version is OcppVersion.V16:
            model.keys = {key.name.casefold(): key for key in _v16_keys(connectors)}
        else:
            for variable in _v201_variables(connectors):
                model.add(variable)
        return model

    def add(self, variable: Variable) -> None:
        self.variables[(*variable.component_key, variable.name, variable.instance)] = variable

    def add_filler(self, count: int) -> None:
        """Extra read-only vendor variables, so that a full report spans many parts."""
        for n in range(count):
            if self.version is OcppVersion.V16:
                key = Key(f"VendorFiller{n:04d}", str(n), readonly=True, kind="integer")
                self.keys[key.name.casefold()] = key
            else:
                self.add(Variable("VendorFillerCtrlr", f"Filler{n:04d}", _ro(str(n)), "integer"))

    def get(self, name: str, component: str | None = None, **where: Any) -> str | None:
        """A value, for tests: a 1.6 key, or a 2.0.1 variable's Actual attribute."""
        if self.version is OcppVersion.V16:
            key = self.keys.get(name.casefold())
            return key.value if key is not None else None
        variable = self._find(name, component, where)
        if variable is None:
            return None
        attribute = variable.attributes.get(where.get("attribute", "Actual"))
        return attribute.value if attribute is not None else None

    def set(self, name: str, value: str, component: str | None = None, **where: Any) -> None:
        """Change a value locally (as a technician at the station would), for tests."""
        if self.version is OcppVersion.V16:
            self.keys[name.casefold()].value = value
            return
        variable = self._find(name, component, where)
        if variable is None:
            raise KeyError(f"no variable {component}.{name}")
        variable.attributes[where.get("attribute", "Actual")].value = value

    def charging_limits(self) -> ChargingLimits:
        """The smart charging limits from the 1.6 keys or the 2.0.1 SmartChargingCtrlr variables."""
        if self.version is OcppVersion.V16:
            return ChargingLimits(
                _as_int(self.get("ChargingScheduleMaxPeriods"), DEFAULT_MAX_PERIODS),
                _as_int(self.get("ChargeProfileMaxStackLevel"), DEFAULT_MAX_STACK_LEVEL),
                _rate_units(self.get("ChargingScheduleAllowedChargingRateUnit")),
                _as_int(self.get("MaxChargingProfilesInstalled"), DEFAULT_MAX_PROFILES),
            )
        entries = self._find("Entries", _SMART_CHARGING, {"instance": "ChargingProfiles"})
        return ChargingLimits(
            _as_int(self.get("PeriodsPerSchedule", _SMART_CHARGING), DEFAULT_MAX_PERIODS),
            _as_int(self.get("ProfileStackLevel", _SMART_CHARGING), DEFAULT_MAX_STACK_LEVEL),
            _rate_units(self.get("RateUnit", _SMART_CHARGING)),
            _as_int(entries.max_limit if entries is not None else None, DEFAULT_MAX_PROFILES),
        )

    def hold_at_most(self, profiles: int) -> None:
        """Play a station with room for only `profiles` charging profiles (it refuses more: OutOfStorage)."""
        if self.version is OcppVersion.V16:
            self.set("MaxChargingProfilesInstalled", str(profiles))
            return
        entries = self._find("Entries", _SMART_CHARGING, {"instance": "ChargingProfiles"})
        if entries is None:
            raise KeyError("no SmartChargingCtrlr.Entries variable")
        entries.max_limit = profiles

    def record_installed_profiles(self, count: int) -> None:
        """Keep 2.0.1 SmartChargingCtrlr.Entries (instance ChargingProfiles) at the installed count."""
        entries = self._find("Entries", _SMART_CHARGING, {"instance": "ChargingProfiles"})
        if entries is not None:
            entries.attributes["Actual"].value = str(count)

    def _find(self, name: str, component: str | None, where: dict[str, Any]) -> Variable | None:
        """`where`: component_instance, evse, connector, instance (each None when not given)."""
        key = (
            component or "",
            where.get("component_instance"),
            where.get("evse"),
            where.get("connector"),
            name,
            where.get("instance"),
        )
        return self.variables.get(key)


def _valid(
    kind: str, value: str, *, low: float | None = None, high: float | None = None, options: str | None = None
) -> bool:
    if kind == "integer":
        try:
            number = int(value)
        except ValueError:
            return False
        return (low is None or number >= low) and (high is None or number <= high)
    if kind == "decimal":
        try:
            decimal = float(value)
        except ValueError:
            return False
        return (low is None or decimal >= low) and (high is None or decimal <= high)
    if kind == "boolean":
        return value.lower() in ("true", "false")
    if kind == "rate_units":
        items = [item.strip() for item in value.split(",")]
        return all(item in ("Current", "Power") for item in items)
    if kind == "measurands":
        return all(item.strip() in MEASURANDS for item in value.split(",") if item.strip())
    if kind == "OptionList":
        return options is not None and value in options.split(",")
    if kind in ("MemberList", "SequenceList"):
        allowed = options.split(",") if options is not None else []
        return all(item in allowed for item in value.split(",") if item)
    return True


class ConfiguredStation(StationHandle, Protocol):
    """A station that keeps configuration keys (1.6) or a device model (2.0.1)."""

    @property
    def device_model(self) -> DeviceModel: ...


class DeviceModelHandler:
    """Answers one station's configuration calls from its `device_model`."""

    def __init__(self, station: ConfiguredStation) -> None:
        self.station = station
        # Reports to send once the answer that announced them is on the wire.
        self._follow_ups: list[Callable[[], Coroutine[Any, Any, None]]] = []

    @property
    def model(self) -> DeviceModel:
        return self.station.device_model

    def routes(self) -> dict[str, Callable[[Payload], Awaitable[Payload]]]:
        if self.station.version is OcppVersion.V16:
            return {"GetConfiguration": self.get_configuration, "ChangeConfiguration": self.change_configuration}
        return {
            "GetVariables": self.get_variables,
            "SetVariables": self.set_variables,
            "GetBaseReport": self.get_base_report,
            "GetReport": self.get_report,
        }

    def answered(self, action: str) -> None:
        follow_ups, self._follow_ups = self._follow_ups, []
        for report in follow_ups:
            self.station.spawn(report(), f"notify-report-after-{action}")

    # ------------------------------------------------------------------ OCPP 1.6

    def _refuse_over_limit(self, count: int, name: str, component: str | None = None, **where: Any) -> None:
        """Like real stations, refuse a request with more items than the device model allows, as a whole."""
        limit = self.model.get(name, component, **where)
        if limit is not None and limit.isdigit() and count > int(limit):
            raise OcppError(ErrorKind.OCCURRENCE_CONSTRAINT, f"{count} items, at most {limit} per message")

    async def get_configuration(self, payload: Payload) -> Payload:
        asked = payload.get("key")
        self._refuse_over_limit(len(asked or ()), "GetConfigurationMaxKeys")
        keys = self.model.keys
        if not asked:
            found, unknown = list(keys.values()), []
        else:
            found = [keys[name.casefold()] for name in asked if name.casefold() in keys]
            unknown = [name for name in asked if name.casefold() not in keys]
        answer: Payload = {
            "configurationKey": [{"key": k.name, "readonly": k.readonly, "value": k.value} for k in found]
        }
        if unknown:
            answer["unknownKey"] = unknown
        return answer

    async def change_configuration(self, payload: Payload) -> Payload:
        key = self.model.keys.get(payload["key"].casefold())
        if key is None:
            return {"status": "NotSupported"}
        if key.readonly or not _valid(key.kind, payload["value"], low=0):
            return {"status": "Rejected"}
        key.value = payload["value"]
        return {"status": "RebootRequired" if key.reboot else "Accepted"}

    # ------------------------------------------------------------------ OCPP 2.0.1

    def _lookup(self, item: Payload) -> tuple[str, Variable | None, Attribute | None]:
        component, variable = item["component"], item["variable"]
        evse = component.get("evse") or {}
        component_key = (component["name"], component.get("instance"), evse.get("id"), evse.get("connectorId"))
        known = [v for v in self.model.variables.values() if v.component_key == component_key]
        if not known:
            return "UnknownComponent", None, None
        found = next((v for v in known if v.name == variable["name"] and v.instance == variable.get("instance")), None)
        if found is None:
            return "UnknownVariable", None, None
        attribute = found.attributes.get(item.get("attributeType", "Actual"))
        if attribute is None:
            return "NotSupportedAttributeType", found, None
        return "Accepted", found, attribute

    @staticmethod
    def _echo(item: Payload) -> Payload:
        echo: Payload = {"component": item["component"], "variable": item["variable"]}
        if "attributeType" in item:
            echo["attributeType"] = item["attributeType"]
        return echo

    async def get_variables(self, payload: Payload) -> Payload:
        self._refuse_over_limit(
            len(payload["getVariableData"]), "ItemsPerMessage", "DeviceDataCtrlr", instance="GetVariables"
        )
        results = []
        for item in payload["getVariableData"]:
            status, _, attribute = self._lookup(item)
            result = {**self._echo(item), "attributeStatus": status}
            if attribute is not None:
                if attribute.mutability == "WriteOnly":
                    result["attributeStatus"] = "Rejected"
                elif attribute.value is not None:
                    result["attributeValue"] = attribute.value
            results.append(result)
        return {"getVariableResult": results}

    async def set_variables(self, payload: Payload) -> Payload:
        self._refuse_over_limit(
            len(payload["setVariableData"]), "ItemsPerMessage", "DeviceDataCtrlr", instance="SetVariables"
        )
        results = []
        for item in payload["setVariableData"]:
            status, variable, attribute = self._lookup(item)
            if variable is not None and attribute is not None:
                value = item["attributeValue"]
                valid = _valid(
                    variable.data_type,
                    value,
                    low=variable.min_limit,
                    high=variable.max_limit,
                    options=variable.values_list,
                )
                if attribute.mutability == "ReadOnly" or not valid:
                    status = "Rejected"
                else:
                    attribute.value = value
                    status = "RebootRequired" if variable.reboot else "Accepted"
            results.append({**self._echo(item), "attributeStatus": status})
        return {"setVariableResult": results}

    async def get_base_report(self, payload: Payload) -> Payload:
        base = payload["reportBase"]
        if base == "FullInventory":
            chosen = list(self.model.variables.values())
        elif base == "ConfigurationInventory":
            chosen = [
                v
                for v in self.model.variables.values()
                if any(a.mutability != "ReadOnly" for a in v.attributes.values())
            ]
        else:
            return {"status": "NotSupported"}  # the simulator keeps no summary of problems
        self._announce(payload["requestId"], chosen)
        return {"status": "Accepted"}

    async def get_report(self, payload: Payload) -> Payload:
        criteria = payload.get("componentCriteria")
        chosen = list(self.model.variables.values())
        if criteria is not None and set(criteria) <= {"Problem"}:
            chosen = []  # nothing of the simulator is ever in trouble
        wanted = payload.get("componentVariable")
        if wanted is not None:
            chosen = [v for v in chosen if any(_matches(v, selection) for selection in wanted)]
        if not chosen:
            return {"status": "EmptyResultSet"}
        self._announce(payload["requestId"], chosen)
        return {"status": "Accepted"}

    def _announce(self, request_id: int, variables: Iterable[Variable]) -> None:
        entries = [v.report_entry() for v in variables]
        self._follow_ups.append(lambda: self._report(request_id, entries))

    async def _report(self, request_id: int, entries: list[Payload]) -> None:
        size = max(1, self.model.items_per_report)
        for seq_no, start in enumerate(range(0, len(entries), size)):
            await self.station.call(
                "NotifyReport",
                {
                    "requestId": request_id,
                    "generatedAt": now_iso(),
                    "seqNo": seq_no,
                    "tbc": start + size < len(entries),
                    "reportData": entries[start : start + size],
                },
            )


def _matches(variable: Variable, selection: Payload) -> bool:
    component = selection["component"]
    if component["name"] != variable.component:
        return False
    if "instance" in component and component["instance"] != variable.component_instance:
        return False
    evse = component.get("evse")
    if evse is not None and (
        evse["id"] != variable.evse or evse.get("connectorId", variable.connector) != variable.connector
    ):
        return False
    wanted = selection.get("variable")
    return wanted is None or (
        wanted["name"] == variable.name and wanted.get("instance", variable.instance) == variable.instance
    )
