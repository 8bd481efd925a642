"""Protocol versions and their capabilities: the lookups per version, and the facts checked against the
OCA schemas each version ships (in the `ocpp` package)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from tests.support.schema_check import validator
from voltline.kernel.versions import (
    Capabilities,
    ChargingProfilePurpose,
    OcppVersion,
    SettingName,
    TokenIdentity,
    capabilities,
)

V16, V201 = OcppVersion.V16, OcppVersion.V201


def schema(version: OcppVersion, action: str, kind: str = "request") -> dict[str, Any]:
    found: dict[str, Any] = validator(version, action, kind).schema
    return found


def test_versions_are_named_by_subprotocol_and_by_number() -> None:
    assert [(v.value, v.number) for v in OcppVersion] == [("ocpp1.6", "1.6"), ("ocpp2.0.1", "2.0.1")]
    assert OcppVersion.parse("ocpp1.6") is V16 and OcppVersion.parse("2.0.1") is V201
    assert OcppVersion.from_number("2.0.1") is V201 and OcppVersion.from_number("ocpp2.0.1") is None
    for unknown in (None, "", "1.5", "ocpp2.1", "ocpp"):
        assert OcppVersion.parse(unknown) is None


def test_every_version_has_capabilities_of_its_own() -> None:
    for version in OcppVersion:
        assert capabilities(version).version is version


def test_tokens_per_version() -> None:
    assert (capabilities(V16).id_token_max_length, capabilities(V16).token_identity) == (20, TokenIdentity.VALUE)
    assert (capabilities(V201).id_token_max_length, capabilities(V201).token_identity) == (
        36,
        TokenIdentity.VALUE_AND_TYPE,
    )


def test_the_id_token_length_is_the_schemas() -> None:
    idtag = schema(V16, "Authorize")["properties"]["idTag"]
    token = schema(V201, "Authorize")["definitions"]["IdTokenType"]["properties"]
    assert capabilities(V16).id_token_max_length == idtag["maxLength"]
    assert capabilities(V201).id_token_max_length == token["idToken"]["maxLength"]
    # 2.0.1 names a token by value and type: both are required.
    assert set(schema(V201, "Authorize")["definitions"]["IdTokenType"]["required"]) == {"idToken", "type"}


def test_configuration_per_version() -> None:
    old, new = capabilities(V16), capabilities(V201)
    assert not old.settings_by_component and new.settings_by_component
    assert old.settings_read_limit == SettingName.key("GetConfigurationMaxKeys")
    assert new.settings_read_limit == SettingName("ItemsPerMessage", "DeviceDataCtrlr", "GetVariables")
    assert old.settings_write_limit is None  # ChangeConfiguration: one key a call
    assert new.settings_write_limit == SettingName("ItemsPerMessage", "DeviceDataCtrlr", "SetVariables")
    assert not old.inventory_by_report and new.inventory_by_report
    # Why: 1.6 ChangeConfiguration has one key; 2.0.1 SetVariables a list.
    assert schema(V16, "ChangeConfiguration")["properties"]["key"]["type"] == "string"
    assert schema(V201, "SetVariables")["properties"]["setVariableData"]["type"] == "array"


def test_local_list_settings_per_version() -> None:
    assert capabilities(V16).local_list_items_per_message == SettingName.key("SendLocalListMaxLength")
    assert capabilities(V16).local_list_max_entries == SettingName.key("LocalAuthListMaxLength")
    assert capabilities(V201).local_list_items_per_message == SettingName("ItemsPerMessage", "LocalAuthListCtrlr")
    assert capabilities(V201).local_list_max_entries == SettingName("Entries", "LocalAuthListCtrlr")


@pytest.mark.parametrize(
    ("version", "action", "where"),
    [
        (V16, "TriggerMessage", ("properties", "requestedMessage")),
        (V201, "TriggerMessage", ("definitions", "MessageTriggerEnumType")),
    ],
)
def test_triggerable_messages_are_the_schemas(version: OcppVersion, action: str, where: tuple[str, str]) -> None:
    found = schema(version, action)
    assert capabilities(version).triggerable_messages == set(found[where[0]][where[1]]["enum"])


def test_display_messages_exist_from_2_0_1() -> None:
    assert not capabilities(V16).display_messages and capabilities(V201).display_messages
    schema(V201, "GetDisplayMessages")  # the action exists in 2.0.1 ...
    with pytest.raises(AssertionError, match=r"no ocpp1\.6 request schema"):
        schema(V16, "GetDisplayMessages")  # ... and not in 1.6


def test_charging_profile_purposes_per_version() -> None:
    names = {
        V16: {"ChargePointMaxProfile": "station_max", "TxDefaultProfile": "tx_default", "TxProfile": "tx"},
        V201: {
            "ChargingStationMaxProfile": "station_max",
            "TxDefaultProfile": "tx_default",
            "TxProfile": "tx",
            "ChargingStationExternalConstraints": "external_constraints",
        },
    }
    profile = schema(V16, "SetChargingProfile")["properties"]["csChargingProfiles"]["properties"]
    assert set(profile["chargingProfilePurpose"]["enum"]) == set(names[V16])
    assert set(schema(V201, "SetChargingProfile")["definitions"]["ChargingProfilePurposeEnumType"]["enum"]) == set(
        names[V201]
    )
    for version, purposes in names.items():
        assert capabilities(version).charging_profile_purposes == {ChargingProfilePurpose(p) for p in purposes.values()}


def test_a_later_version_is_its_predecessor_plus_deltas() -> None:
    """How 2.1 will be added: 2.0.1's capabilities with what changed (here a made-up delta)."""
    later = dataclasses.replace(capabilities(V201), display_messages=False)
    assert isinstance(later, Capabilities) and later != capabilities(V201)
    assert dataclasses.replace(later, display_messages=True) == capabilities(V201)
    with pytest.raises(dataclasses.FrozenInstanceError):
        later.display_messages = True  # type: ignore[misc]
