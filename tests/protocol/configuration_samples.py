"""Sample device configuration commands (tests/protocol/command_samples.py merges them in).

Some are beyond one version: OCPP 1.6 changes one key per call and has no reports, 2.0.1 cannot read
"every key"; tests/protocol/test_configuration_encoders.py pins down which are refused where.
"""

from __future__ import annotations

from voltline.areas.configuration.model import (
    AttributeType,
    ComponentRef,
    EvseRef,
    SettingAddress,
    SettingValue,
    VariableRef,
)
from voltline.areas.configuration.service import (
    ReadSettings,
    ReportBase,
    ReportSelection,
    RequestBaseReport,
    RequestReport,
    WriteSettings,
)
from voltline.kernel.commands import Command

HEARTBEAT = SettingAddress(ComponentRef("OCPPCommCtrlr"), VariableRef("HeartbeatInterval"))
EVSE_POWER = SettingAddress(ComponentRef("EVSE", evse=EvseRef(1)), VariableRef("Power"), AttributeType.MAX_SET)
MESSAGE_TIMEOUT = SettingAddress(
    ComponentRef("OCPPCommCtrlr", "Primary", EvseRef(2, 1)), VariableRef("MessageTimeout", "Default")
)

CONFIGURATION_SAMPLES: dict[type[Command], list[Command]] = {
    ReadSettings: [
        ReadSettings(),
        ReadSettings((SettingAddress.key("HeartbeatInterval"),)),
        ReadSettings((HEARTBEAT, EVSE_POWER, MESSAGE_TIMEOUT)),
    ],
    WriteSettings: [
        WriteSettings((SettingValue(SettingAddress.key("MeterValueSampleInterval"), "30"),)),
        WriteSettings((SettingValue(HEARTBEAT, "120"), SettingValue(MESSAGE_TIMEOUT, "45"))),
    ],
    RequestBaseReport: [RequestBaseReport(7), RequestBaseReport(8, ReportBase.CONFIGURATION_INVENTORY)],
    RequestReport: [
        RequestReport(9),
        RequestReport(
            10,
            ("Available", "Problem"),
            (
                ReportSelection(ComponentRef("EVSE", evse=EvseRef(1))),
                ReportSelection(ComponentRef("OCPPCommCtrlr"), VariableRef("HeartbeatInterval")),
            ),
        ),
    ],
}
