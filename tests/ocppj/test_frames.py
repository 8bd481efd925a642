from __future__ import annotations

import orjson
import pytest

from voltline.ocppj import (
    Call,
    CallError,
    CallResult,
    ErrorKind,
    FrameError,
    MessageType,
    OcppVersion,
    decode_frame,
    encode_call,
    encode_error,
    encode_result,
    error_code,
)

V16 = OcppVersion.V16
V201 = OcppVersion.V201
ENVELOPE = ErrorKind.RPC_FRAMEWORK  # broken RPC envelope: 1.6 FormationViolation, 2.0.1 RpcFrameworkError
ID_36 = "x" * 36
ID_37 = "x" * 37


def decode_error(data: str | bytes, version: OcppVersion = V16) -> FrameError:
    with pytest.raises(FrameError) as caught:
        decode_frame(data, version)
    return caught.value


def test_decodes_a_call_from_text_and_from_bytes() -> None:
    text = '[2, "19223201", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}]'
    expected = Call("19223201", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"})
    assert decode_frame(text, V16) == expected
    assert decode_frame(text.encode(), V201) == expected


def test_decodes_a_call_result() -> None:
    assert decode_frame('[3,"abc",{"currentTime":"2026-11-23T10:00:00Z"}]', V16) == CallResult(
        "abc", {"currentTime": "2026-11-23T10:00:00Z"}
    )


def test_decodes_a_call_error() -> None:
    assert decode_frame('[4,"abc","NotSupported","no",{"k":1}]', V201) == CallError(
        "abc", "NotSupported", "no", {"k": 1}
    )


def test_accepts_a_message_id_of_exactly_36_characters() -> None:
    assert decode_frame(f'[3,"{ID_36}",{{}}]', V16) == CallResult(ID_36, {})


@pytest.mark.parametrize(
    ("data", "kind", "message_id"),
    [
        pytest.param("this is not json", ENVELOPE, "-1", id="not-json"),
        pytest.param('[2, "abc", "Heartbeat", {', ENVELOPE, "-1", id="truncated"),
        pytest.param("", ENVELOPE, "-1", id="empty-string"),
        pytest.param('{"messageTypeId": 2}', ENVELOPE, "-1", id="object"),
        pytest.param('"a string"', ENVELOPE, "-1", id="string"),
        pytest.param("[]", ENVELOPE, "-1", id="empty-array"),
        pytest.param("[2]", ENVELOPE, "-1", id="only-message-type"),
        pytest.param('[2, "abc"]', ENVELOPE, "abc", id="call-too-short"),
        pytest.param('[2, "abc", "Heartbeat"]', ErrorKind.PROTOCOL, "abc", id="call-without-payload"),
        pytest.param('[2, "abc", "Heartbeat", {}, {}]', ENVELOPE, "abc", id="call-extra-element"),
        pytest.param('[3, "abc", {}, 1]', ENVELOPE, "abc", id="result-extra-element"),
        pytest.param('[3, "abc"]', ENVELOPE, "abc", id="result-too-short"),
        pytest.param('[4, "abc", "GenericError", "x"]', ENVELOPE, "abc", id="error-too-short"),
        pytest.param('[4, "abc", "GenericError", "x", {}, 1]', ENVELOPE, "abc", id="error-extra-element"),
        pytest.param(f'[2, "{ID_37}", "Heartbeat", {{}}]', ENVELOPE, "-1", id="id-37-chars"),
        pytest.param('[2, {"id": "abc"}, "Heartbeat", {}]', ENVELOPE, "-1", id="id-object"),
        pytest.param('[2, "", "Heartbeat", {}]', ENVELOPE, "-1", id="id-empty"),
        pytest.param('[2, 123, "Heartbeat", {}]', ErrorKind.PROTOCOL, 123, id="id-number"),
        pytest.param('[2, 1.5, "Heartbeat", {}]', ENVELOPE, "-1", id="id-float"),
        pytest.param('[2, true, "Heartbeat", {}]', ENVELOPE, "-1", id="id-boolean"),
        pytest.param('[2, null, "Heartbeat", {}]', ENVELOPE, "-1", id="id-null"),
        pytest.param('[2, "abc", 5, {}]', ENVELOPE, "abc", id="action-number"),
        pytest.param('[2, "abc", "", {}]', ENVELOPE, "abc", id="action-empty"),
        pytest.param('[2, "abc", "Heartbeat", []]', ErrorKind.TYPE_CONSTRAINT, "abc", id="call-payload-array"),
        pytest.param('[2, "abc", "Heartbeat", null]', ErrorKind.TYPE_CONSTRAINT, "abc", id="call-payload-null"),
        pytest.param('[2, "abc", "Heartbeat", "{}"]', ErrorKind.TYPE_CONSTRAINT, "abc", id="call-payload-string"),
        pytest.param('[3, "abc", 1]', ErrorKind.FORMAT, "abc", id="result-payload-number"),
        pytest.param('[4, "abc", 1, "x", {}]', ENVELOPE, "abc", id="error-code-number"),
        pytest.param('[4, "abc", "GenericError", null, {}]', ENVELOPE, "abc", id="error-description-null"),
        pytest.param('[4, "abc", "GenericError", "x", null]', ENVELOPE, "abc", id="error-details-null"),
        pytest.param(b'[2, "abc", "Heartbeat", {"a": "\xff"}]', ENVELOPE, "-1", id="invalid-utf8"),
        pytest.param('[2, "abc", "Heartbeat", {"a": "\\ud800"}]', ENVELOPE, "-1", id="lone-surrogate"),
        pytest.param('[2, "abc", "Heartbeat", {"a": NaN}]', ENVELOPE, "-1", id="nan"),
    ],
)
def test_malformed_frames_raise_frame_error(data: str | bytes, kind: ErrorKind, message_id: str | int) -> None:
    err = decode_error(data)
    assert err.kind is kind
    assert err.message_id == message_id
    assert err.description


@pytest.mark.parametrize(
    "message_type",
    ["7", '"2"', "2.0", "null", "true", "false", "0", "-2", "5", "[2]", "{}", "3.0"],
)
def test_message_types_other_than_the_integers_2_3_4_are_not_supported(message_type: str) -> None:
    err = decode_error(f'[{message_type}, "abc", "Heartbeat", {{}}]')
    assert err.kind is ErrorKind.MESSAGE_TYPE_NOT_SUPPORTED
    assert err.message_id == "abc"  # readable, so the answer (on 2.0.1) can refer to it


def test_unsupported_message_type_without_readable_id_reports_the_unknown_id() -> None:
    assert decode_error("[7]").message_id == "-1"
    assert decode_error(f'[7, "{ID_37}"]').message_id == "-1"


def test_100000_levels_of_nesting_is_a_frame_error_not_a_crash() -> None:
    depth = 100_000
    assert decode_error("[" * depth + "]" * depth).kind is ENVELOPE
    nested_payload = '[2, "abc", "DataTransfer", {"data": ' + "[" * depth + "]" * depth + "}]"
    assert decode_error(nested_payload).kind is ENVELOPE


def test_a_5000_digit_number_is_a_frame_error_not_a_crash() -> None:
    err = decode_error('[2, "abc", "MeterValues", {"connectorId": ' + "9" * 5000 + "}]")
    assert err.kind is ENVELOPE
    assert err.message_id == "-1"


def test_an_integer_just_beyond_64_bits_is_read_as_a_float() -> None:
    # orjson's documented behaviour; the schemas then decide whether a float is acceptable there.
    frame = decode_frame('[3, "abc", {"v": 18446744073709551616}]', V16)
    assert isinstance(frame, CallResult)
    assert frame.payload["v"] == float(2**64)


def test_frame_error_codes_are_spelled_per_version() -> None:
    not_json = decode_error("nope")
    assert error_code(not_json.kind, V16) == "FormationViolation"
    assert error_code(not_json.kind, V201) == "RpcFrameworkError"
    bad_payload = decode_error('[2, "abc", "Heartbeat", []]')
    assert error_code(bad_payload.kind, V16) == "TypeConstraintViolation"
    assert error_code(bad_payload.kind, V201) == "TypeConstraintViolation"
    assert error_code(decode_error('[2, "abc", "Heartbeat"]', V16).kind, V16) == "ProtocolError"
    assert error_code(decode_error('[2, "abc", "Heartbeat"]', V201).kind, V201) == "FormatViolation"


def test_frame_error_tells_the_message_type_of_a_malformed_answer() -> None:
    assert decode_error('[3, "abc", []]').message_type == MessageType.CALLRESULT
    assert decode_error('[2, "abc", "Heartbeat", []]').message_type == MessageType.CALL
    assert decode_error("[]").message_type is None


def test_encoded_frames_are_compact_json_bytes_that_decode_back() -> None:
    call = encode_call("id-1", "Heartbeat", {})
    assert call == b'[2,"id-1","Heartbeat",{}]'
    assert decode_frame(call, V16) == Call("id-1", "Heartbeat", {})
    result = encode_result("id-1", {"currentTime": "2026-11-23T10:00:00Z"})
    assert decode_frame(result, V16) == CallResult("id-1", {"currentTime": "2026-11-23T10:00:00Z"})
    error = encode_error("id-1", "NotSupported", "nope", {"k": "v"})
    assert decode_frame(error, V201) == CallError("id-1", "NotSupported", "nope", {"k": "v"})


def test_encoded_call_error_has_empty_details_by_default_and_a_short_description() -> None:
    frame = orjson.loads(encode_error("-1", "GenericError", "x" * 10_000))
    assert frame == [4, "-1", "GenericError", "x" * 255, {}]
