"""Device configuration on OCPP 1.6: GetConfiguration and ChangeConfiguration.

A 1.6 setting is a configuration key: the address's variable name. Keys are case-insensitive
(CiString50), so answers are matched to the requested addresses without regard to case.
"""

from __future__ import annotations

from voltline.areas.configuration.model import AttributeType, SettingAddress
from voltline.areas.configuration.service import (
    ReadSettings,
    RequestReport,
    SettingReading,
    SettingWriteResult,
    WriteSettings,
)
from voltline.kernel.errors import InvalidRequest
from voltline.protocol.commands import EncoderTable, OutboundCall, Payload

MAX_KEY_LENGTH = 50
MAX_VALUE_LENGTH = 500


def _key(address: SettingAddress) -> str:
    if address.attribute_type is not AttributeType.ACTUAL:
        raise InvalidRequest(
            f"OCPP 1.6 keys have only an actual value, not {address.attribute_type.value} ({address.variable.name})"
        )
    if address.variable.instance is not None:
        raise InvalidRequest(f"OCPP 1.6 keys have no instances ({address.variable.name})")
    key = address.variable.name
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidRequest(f"OCPP 1.6 keys are at most {MAX_KEY_LENGTH} characters: {key[:60]!r}")
    return key


def get_configuration(command: ReadSettings) -> OutboundCall:
    keys = [_key(address) for address in command.addresses]
    asked = {key.casefold(): SettingAddress.key(key) for key in keys}

    def decode(answer: Payload) -> list[SettingReading]:
        found: dict[str, SettingReading] = {}
        for entry in answer.get("configurationKey", []):
            folded = entry["key"].casefold()
            address = asked.get(folded, SettingAddress.key(entry["key"]))
            found[folded] = SettingReading(address, "Accepted", entry.get("value"), entry["readonly"])
        if not keys:
            return list(found.values())
        # In the order asked; a key the station neither listed nor reported unknown counts as unknown.
        return [found.get(key.casefold(), SettingReading(asked[key.casefold()], "UnknownKey")) for key in keys]

    return OutboundCall("GetConfiguration", {"key": keys} if keys else {}, decode)


def change_configuration(command: WriteSettings) -> OutboundCall:
    if len(command.values) != 1:
        raise InvalidRequest("OCPP 1.6 ChangeConfiguration changes exactly one key per call")
    setting = command.values[0]
    key = _key(setting.address)
    if len(setting.value) > MAX_VALUE_LENGTH:
        raise InvalidRequest(f"OCPP 1.6 configuration values are at most {MAX_VALUE_LENGTH} characters ({key})")
    address = SettingAddress.key(key)

    def decode(answer: Payload) -> list[SettingWriteResult]:
        return [SettingWriteResult(address, setting.value, str(answer["status"]))]

    return OutboundCall("ChangeConfiguration", {"key": key, "value": setting.value}, decode)


def no_report(command: RequestReport) -> OutboundCall:
    raise InvalidRequest(
        "device model reports (GetReport) are OCPP 2.0.1; an OCPP 1.6 station's keys are all read by "
        "POST .../device-model/refresh"
    )


ENCODERS: EncoderTable = {
    ReadSettings: get_configuration,
    WriteSettings: change_configuration,
    RequestReport: no_report,
}
