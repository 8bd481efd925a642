from __future__ import annotations

import pytest

from voltline.ocppj import (
    CallErrorReceived,
    ErrorKind,
    FrameError,
    InvalidPayload,
    OcppError,
    OcppVersion,
    error_code,
)

V16_CODES = {
    ErrorKind.FORMAT: "FormationViolation",
    ErrorKind.OCCURRENCE_CONSTRAINT: "OccurenceConstraintViolation",  # sic: one r in 1.6
    ErrorKind.PROPERTY_CONSTRAINT: "PropertyConstraintViolation",
    ErrorKind.TYPE_CONSTRAINT: "TypeConstraintViolation",
    ErrorKind.PROTOCOL: "ProtocolError",
    ErrorKind.NOT_IMPLEMENTED: "NotImplemented",
    ErrorKind.NOT_SUPPORTED: "NotSupported",
    ErrorKind.SECURITY: "SecurityError",
    ErrorKind.INTERNAL: "InternalError",
    ErrorKind.GENERIC: "GenericError",
    ErrorKind.MESSAGE_TYPE_NOT_SUPPORTED: "ProtocolError",
    ErrorKind.RPC_FRAMEWORK: "FormationViolation",
}

V201_CODES = {
    ErrorKind.FORMAT: "FormatViolation",
    ErrorKind.OCCURRENCE_CONSTRAINT: "OccurrenceConstraintViolation",
    ErrorKind.PROPERTY_CONSTRAINT: "PropertyConstraintViolation",
    ErrorKind.TYPE_CONSTRAINT: "TypeConstraintViolation",
    ErrorKind.PROTOCOL: "ProtocolError",
    ErrorKind.NOT_IMPLEMENTED: "NotImplemented",
    ErrorKind.NOT_SUPPORTED: "NotSupported",
    ErrorKind.SECURITY: "SecurityError",
    ErrorKind.INTERNAL: "InternalError",
    ErrorKind.GENERIC: "GenericError",
    ErrorKind.MESSAGE_TYPE_NOT_SUPPORTED: "MessageTypeNotSupported",
    ErrorKind.RPC_FRAMEWORK: "RpcFrameworkError",
}


@pytest.mark.parametrize("kind", list(ErrorKind))
def test_error_codes_are_spelled_as_ocpp_16_spells_them(kind: ErrorKind) -> None:
    assert error_code(kind, OcppVersion.V16) == V16_CODES[kind]


@pytest.mark.parametrize("kind", list(ErrorKind))
def test_error_codes_are_spelled_as_ocpp_201_spells_them(kind: ErrorKind) -> None:
    assert error_code(kind, OcppVersion.V201) == V201_CODES[kind]


def test_version_values_are_websocket_subprotocols_and_name_schema_folders() -> None:
    assert OcppVersion("ocpp1.6") is OcppVersion.V16
    assert OcppVersion("ocpp2.0.1") is OcppVersion.V201
    assert OcppVersion.V16.schema_folder == "v16"
    assert OcppVersion.V201.schema_folder == "v201"


def test_ocpp_error_carries_kind_description_and_details() -> None:
    err = OcppError(ErrorKind.SECURITY, "not allowed", {"reason": "x"})
    assert (err.kind, err.description, err.details) == (ErrorKind.SECURITY, "not allowed", {"reason": "x"})
    assert OcppError(ErrorKind.GENERIC).details == {}


def test_frame_error_defaults_to_the_unknown_message_id() -> None:
    err = FrameError(ErrorKind.FORMAT, "bad")
    assert isinstance(err, OcppError)
    assert err.message_id == "-1"
    assert FrameError(ErrorKind.FORMAT, message_id="abc").message_id == "abc"


def test_invalid_payload_is_an_ocpp_error_with_a_kind() -> None:
    err = InvalidPayload(ErrorKind.TYPE_CONSTRAINT, "x: must be string")
    assert isinstance(err, OcppError)
    assert err.kind is ErrorKind.TYPE_CONSTRAINT


def test_call_error_received_carries_the_peers_error() -> None:
    err = CallErrorReceived("NotSupported", "nope", {"a": 1})
    assert (err.code, err.description, err.details) == ("NotSupported", "nope", {"a": 1})
