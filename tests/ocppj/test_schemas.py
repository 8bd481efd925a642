from __future__ import annotations

import contextlib
import copy
from importlib.resources import files
from pathlib import Path
from typing import Any

import fastjsonschema
import orjson
import pytest

from voltline.ocppj import ErrorKind, InvalidPayload, OcppError, OcppVersion, SchemaRegistry
from voltline.ocppj.schemas import _compile_validator

V16 = OcppVersion.V16
V201 = OcppVersion.V201
NOW = "2026-11-23T10:00:00Z"


def a_start_transaction(**overrides: Any) -> dict[str, Any]:
    return {"connectorId": 1, "idTag": "TAG1", "meterStart": 0, "timestamp": NOW, **overrides}


def a_201_boot_notification(**overrides: Any) -> dict[str, Any]:
    return {"reason": "PowerUp", "chargingStation": {"model": "M", "vendorName": "V"}, **overrides}


def schema_error(call: Any, *args: Any) -> InvalidPayload:
    with pytest.raises(InvalidPayload) as caught:
        call(*args)
    return caught.value


def test_knows_the_actions_of_each_version_from_the_schema_file_names(schemas: SchemaRegistry) -> None:
    v16 = schemas.actions(V16)
    v201 = schemas.actions(V201)
    assert {"BootNotification", "StartTransaction", "MeterValues", "RemoteStartTransaction"} <= v16
    assert {"BootNotification", "TransactionEvent", "RequestStartTransaction", "GetVariables"} <= v201
    assert "BootNotificationResponse" not in v16
    assert "BootNotificationRequest" not in v201
    assert "BootNotificationResponse" not in v201
    assert "TransactionEvent" not in v16
    assert "StartTransaction" not in v201
    assert len(v16) == 39  # 28 core + 11 security-extension actions
    assert len(v201) == 64
    assert schemas.knows(V16, "Heartbeat")
    assert not schemas.knows(V16, "heartbeat")  # action names are case-sensitive


def test_valid_payloads_pass(schemas: SchemaRegistry) -> None:
    schemas.validate_request(V16, "StartTransaction", a_start_transaction())
    schemas.validate_response(V16, "StartTransaction", {"idTagInfo": {"status": "Accepted"}, "transactionId": 1})
    schemas.validate_request(V201, "BootNotification", a_201_boot_notification())
    schemas.validate_response(V201, "Heartbeat", {"currentTime": NOW})


@pytest.mark.parametrize(
    ("version", "action", "payload", "kind"),
    [
        (V16, "StartTransaction", {"connectorId": 1, "idTag": "T", "meterStart": 0}, "OCCURRENCE"),
        (V16, "StartTransaction", a_start_transaction(connectorId="1"), "TYPE"),
        (V16, "StartTransaction", a_start_transaction(idTag="T" * 21), "PROPERTY"),
        (V16, "StartTransaction", a_start_transaction(colour="blue"), "FORMAT"),
        (V16, "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Busy"}, "PROPERTY"),
        (V201, "BootNotification", {"reason": "PowerUp"}, "OCCURRENCE"),
        (V201, "BootNotification", a_201_boot_notification(chargingStation={"model": "M"}), "OCCURRENCE"),
        (V201, "BootNotification", a_201_boot_notification(reason=1), "TYPE"),
        (V201, "BootNotification", a_201_boot_notification(reason="Whenever"), "PROPERTY"),
        (V201, "BootNotification", a_201_boot_notification(colour="blue"), "FORMAT"),
        (V201, "Authorize", {"idToken": {"idToken": "A" * 37, "type": "ISO14443"}}, "PROPERTY"),
    ],
)
def test_schema_violations_map_to_the_ocpp_error_kinds(
    schemas: SchemaRegistry, version: OcppVersion, action: str, payload: dict[str, Any], kind: str
) -> None:
    expected = {
        "OCCURRENCE": ErrorKind.OCCURRENCE_CONSTRAINT,
        "TYPE": ErrorKind.TYPE_CONSTRAINT,
        "PROPERTY": ErrorKind.PROPERTY_CONSTRAINT,
        "FORMAT": ErrorKind.FORMAT,
    }[kind]
    err = schema_error(schemas.validate_request, version, action, payload)
    assert err.kind is expected
    assert isinstance(err, OcppError)


def test_description_names_the_field_and_the_problem(schemas: SchemaRegistry) -> None:
    err = schema_error(schemas.validate_request, V16, "StartTransaction", a_start_transaction(idTag="T" * 21))
    assert err.description == "idTag: must be shorter than or equal to 20 characters"
    nested = schema_error(
        schemas.validate_request,
        V16,
        "MeterValues",
        {"connectorId": 1, "meterValue": [{"timestamp": NOW, "sampledValue": [{"value": 5}]}]},
    )
    assert nested.kind is ErrorKind.TYPE_CONSTRAINT
    assert nested.description == "meterValue[0].sampledValue[0].value: must be string"
    missing = schema_error(schemas.validate_request, V16, "StartTransaction", {})
    assert missing.description.startswith("must contain")


def test_responses_are_validated_against_the_response_schema(schemas: SchemaRegistry) -> None:
    err = schema_error(schemas.validate_response, V16, "BootNotification", {"status": "Accepted"})
    assert err.kind is ErrorKind.OCCURRENCE_CONSTRAINT
    err = schema_error(schemas.validate_response, V201, "Heartbeat", {"currentTime": "yesterday"})
    assert err.kind is ErrorKind.PROPERTY_CONSTRAINT


def test_a_non_object_payload_is_a_type_violation(schemas: SchemaRegistry) -> None:
    err = schema_error(schemas.validate_request, V16, "Heartbeat", [])
    assert err.kind is ErrorKind.TYPE_CONSTRAINT


@pytest.mark.parametrize("timestamp", ["2026-11-23T10:00:00Z", "2026-11-23T10:00:00.123Z", "2026-11-23T10:00:00+01:00"])
def test_date_time_format_accepts_ocpp_timestamps(schemas: SchemaRegistry, timestamp: str) -> None:
    schemas.validate_request(V16, "StartTransaction", a_start_transaction(timestamp=timestamp))
    schemas.validate_response(V201, "Heartbeat", {"currentTime": timestamp})


@pytest.mark.parametrize("timestamp", ["2026-11-23 10:00:00", "23.11.2026", "", "2026-11-23T10:00:00"])
def test_date_time_format_rejects_other_strings(schemas: SchemaRegistry, timestamp: str) -> None:
    err = schema_error(schemas.validate_response, V201, "Heartbeat", {"currentTime": timestamp})
    assert err.kind is ErrorKind.PROPERTY_CONSTRAINT


def test_validation_does_not_fill_in_schema_defaults(schemas: SchemaRegistry) -> None:
    # The 2.0.1 MeterValues schema has defaults (measurand, context, location ...).
    payload = {"evseId": 1, "meterValue": [{"timestamp": NOW, "sampledValue": [{"value": 1.5}]}]}
    before = copy.deepcopy(payload)
    schemas.validate_request(V201, "MeterValues", payload)
    assert payload == before


def test_unknown_action_is_not_implemented(schemas: SchemaRegistry) -> None:
    with pytest.raises(OcppError) as caught:
        schemas.validate_request(V16, "TransactionEvent", {})
    assert caught.value.kind is ErrorKind.NOT_IMPLEMENTED


def test_validators_are_compiled_once_and_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = SchemaRegistry()
    compiled: list[object] = []
    real_compile = fastjsonschema.compile_to_code

    def counting_compile(definition: Any, **kwargs: Any) -> Any:
        compiled.append(definition)
        return real_compile(definition, **kwargs)

    monkeypatch.setattr(fastjsonschema, "compile_to_code", counting_compile)
    for _ in range(3):
        registry.validate_request(V16, "Heartbeat", {})
        registry.validate_response(V16, "Heartbeat", {"currentTime": NOW})
        registry.validate_request(V201, "Heartbeat", {})
    assert len(compiled) == 3  # (v16, request), (v16, response), (v201, request)


def test_warm_compiles_every_validator_of_a_version(monkeypatch: pytest.MonkeyPatch) -> None:
    registry = SchemaRegistry()
    registry.warm(V16)

    def no_more_compiling(definition: Any, **kwargs: Any) -> Any:
        raise AssertionError("compiled after warm()")

    monkeypatch.setattr(fastjsonschema, "compile_to_code", no_more_compiling)
    for action in registry.actions(V16):
        for validate in (registry.validate_request, registry.validate_response):
            with contextlib.suppress(InvalidPayload):
                validate(V16, action, {})


def test_schema_files_with_a_utf8_bom_load(tmp_path: Path) -> None:
    folder = tmp_path / "v201" / "schemas"
    folder.mkdir(parents=True)
    schema = b'{"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}'
    (folder / "PingRequest.json").write_bytes(b"\xef\xbb\xbf" + schema)
    (folder / "PingResponse.json").write_bytes(b"\xef\xbb\xbf" + schema)
    (folder / "OrphanRequest.json").write_bytes(schema)  # no response schema: not an action
    registry = SchemaRegistry(root=tmp_path)
    assert registry.actions(V201) == frozenset({"Ping"})
    registry.validate_request(V201, "Ping", {"n": 1})
    assert schema_error(registry.validate_response, V201, "Ping", {}).kind is ErrorKind.OCCURRENCE_CONSTRAINT


@pytest.mark.parametrize("version", [V16, V201])
def test_compiled_validators_build_item_names_lazily_and_still_report_them(version: OcppVersion) -> None:
    registry = SchemaRegistry()
    generated: list[str] = []
    real_compile = fastjsonschema.compile_to_code

    def keeping(definition: Any, **kwargs: Any) -> str:
        code: str = real_compile(definition, **kwargs)
        generated.append(code)
        return code

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fastjsonschema, "compile_to_code", keeping)
        registry.warm(version)  # every schema of the version compiles after the rewrite
    assert sum(".format(**locals())" in code for code in generated) > 0  # what the rewrite is for
    action, payload, path = (
        (
            "MeterValues",
            {"connectorId": 1, "meterValue": [{"timestamp": NOW, "sampledValue": [{"value": "1"}, {}]}]},
            "meterValue[0].sampledValue[1]",
        )
        if version is V16
        else (
            "MeterValues",
            {"evseId": 1, "meterValue": [{"timestamp": NOW, "sampledValue": [{"value": 1}, {}]}]},
            "meterValue[0].sampledValue[1]",
        )
    )
    with pytest.raises(InvalidPayload) as refused:
        registry.validate_request(version, action, payload)
    assert refused.value.kind is ErrorKind.OCCURRENCE_CONSTRAINT
    assert refused.value.description.startswith(path)


def test_the_rewritten_validators_are_the_root_validators_fastjsonschema_itself_picks() -> None:
    checked = 0
    for version in (V16, V201):
        folder = Path(str(files("ocpp"))) / version.schema_folder / "schemas"
        for path in sorted(folder.glob("*.json")):
            schema = orjson.loads(path.read_bytes().removeprefix(b"\xef\xbb\xbf"))
            ours = _compile_validator(schema, path.name)
            assert ours.__name__ == fastjsonschema.compile(schema, use_default=False).__name__, path.name
            checked += 1
    assert checked > 200
