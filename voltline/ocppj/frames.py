"""OCPP-J frames: decoding received text into typed frames and encoding frames to send.

Wire shapes (OCPP-J 1.6 section 4 / 2.0.1 part 4 section 4):
    CALL       [2, "<messageId>", "<action>", {payload}]
    CALLRESULT [3, "<messageId>", {payload}]
    CALLERROR  [4, "<messageId>", "<errorCode>", "<errorDescription>", {errorDetails}]

Error kinds chosen by `decode_frame`:
* the envelope is not a valid RPC message (not JSON, not an array, wrong length, id or action unreadable)
  -> RPC_FRAMEWORK. 2.0.1 defines RpcFrameworkError for exactly this ("Content of the call is not a valid
  RPC Request, for example: MessageId could not be read"); 1.6 spells it FormationViolation, like FORMAT.
* a CALL or CALLRESULT payload that is not a JSON object -> FORMAT ("Payload for Action is syntactically
  incorrect").
* a MessageTypeId other than the integers 2, 3, 4 -> MESSAGE_TYPE_NOT_SUPPORTED.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Final

import orjson

from voltline.ocppj.errors import ErrorKind, FrameError
from voltline.ocppj.versions import OcppVersion

# The spec caps message ids at 36 characters (room for a UUID string).
MAX_MESSAGE_ID_LENGTH: Final = 36
# Descriptions are for humans; long ones only cost bandwidth and can echo attacker input back.
MAX_ERROR_DESCRIPTION_LENGTH: Final = 255
UNKNOWN_MESSAGE_ID: Final = "-1"


class MessageType(IntEnum):
    CALL = 2
    CALLRESULT = 3
    CALLERROR = 4


# Plain ints for the hot path: comparing against an IntEnum member works but goes through more machinery.
_CALL: Final = 2
_CALLRESULT: Final = 3
_CALLERROR: Final = 4
_MESSAGE_TYPES: Final = frozenset((_CALL, _CALLRESULT, _CALLERROR))

# The kind for a broken envelope, in one place should a peer's test tool expect FORMAT instead.
_ENVELOPE: Final = ErrorKind.RPC_FRAMEWORK


@dataclass(slots=True, frozen=True)
class Call:
    message_id: str
    action: str
    payload: dict[str, Any]


@dataclass(slots=True, frozen=True)
class CallResult:
    message_id: str
    payload: dict[str, Any]


@dataclass(slots=True, frozen=True)
class CallError:
    message_id: str
    code: str
    description: str
    details: dict[str, Any]


Frame = Call | CallResult | CallError


def _readable_id(value: object) -> bool:
    # type() is not isinstance(): a str subclass cannot come out of orjson anyway, and this is cheaper.
    return type(value) is str and 0 < len(value) <= MAX_MESSAGE_ID_LENGTH


def decode_frame(data: str | bytes, version: OcppVersion) -> Frame:
    """Parse one WebSocket text message into a frame, or raise `FrameError` saying why it cannot be.

    The rules are the same for both versions, except the code of a CALL whose payload is missing: 1.6
    names that ProtocolError ("payload for action is incomplete"), 2.0.1 FormatViolation.
    """
    try:
        # orjson rejects, with JSONDecodeError: invalid UTF-8 and lone surrogates, nesting deeper than 1024
        # (so 100,000 nested arrays cannot blow the stack), NaN/Infinity, and numbers that overflow a double
        # (integers beyond 64 bits that still fit a double come back as floats, which schemas then reject
        # where an integer is required).
        message = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise FrameError(_ENVELOPE, f"message is not valid JSON: {exc}") from None

    if type(message) is not list or not message:
        raise FrameError(_ENVELOPE, "message is not a non-empty JSON array")

    length = len(message)
    message_type = message[0]
    # `type(...) is int` on purpose: True and 2.0 compare equal to 1 and 2 in Python but are not
    # MessageTypeIds on the wire.
    if type(message_type) is not int or message_type not in _MESSAGE_TYPES:
        message_id = message[1] if length > 1 and _readable_id(message[1]) else UNKNOWN_MESSAGE_ID
        raise FrameError(
            ErrorKind.MESSAGE_TYPE_NOT_SUPPORTED,
            "message type is not supported",
            message_id=message_id,
        )

    message_id = message[1] if length > 1 else None
    if type(message_id) is not str or not 0 < len(message_id) <= MAX_MESSAGE_ID_LENGTH:
        if type(message_id) is int:
            # A number is a readable id of the wrong type (a known charger firmware bug): echo it as sent,
            # so the station can match the error to its request, with the code its version uses for a
            # badly formed message.
            raise FrameError(
                ErrorKind.PROTOCOL if version is OcppVersion.V16 else ErrorKind.FORMAT,
                "message id must be a string, not a number",
                message_id=message_id,
                message_type=message_type,
            )
        raise FrameError(
            _ENVELOPE,
            f"message id must be a string of 1 to {MAX_MESSAGE_ID_LENGTH} characters",
            message_type=message_type,
        )

    if message_type == _CALL:
        if length == 3 and type(message[2]) is str and message[2]:
            raise FrameError(
                ErrorKind.PROTOCOL if version is OcppVersion.V16 else ErrorKind.FORMAT,
                "a CALL must carry a payload object",
                message_id=message_id,
                message_type=message_type,
            )
        if length != 4:
            raise _wrong_length(message_id, message_type, "CALL", 4)
        action = message[2]
        if type(action) is not str or not action:
            raise FrameError(
                _ENVELOPE,
                "action must be a non-empty string",
                message_id=message_id,
                message_type=message_type,
            )
        payload = message[3]
        if type(payload) is not dict:
            # The schemas' top level is "type": "object", so this is a wrong type, as for any field.
            raise FrameError(
                ErrorKind.TYPE_CONSTRAINT,
                "payload must be a JSON object",
                message_id=message_id,
                message_type=message_type,
            )
        return Call(message_id, action, payload)

    if message_type == _CALLRESULT:
        if length != 3:
            raise _wrong_length(message_id, message_type, "CALLRESULT", 3)
        payload = message[2]
        if type(payload) is not dict:
            raise FrameError(
                ErrorKind.FORMAT,
                "payload must be a JSON object",
                message_id=message_id,
                message_type=message_type,
            )
        return CallResult(message_id, payload)

    # CALLERROR
    if length != 5:
        raise _wrong_length(message_id, message_type, "CALLERROR", 5)
    code, description, details = message[2], message[3], message[4]
    if type(code) is not str or not code or type(description) is not str or type(details) is not dict:
        raise FrameError(
            _ENVELOPE,
            "CALLERROR needs a non-empty errorCode, a string errorDescription and an object errorDetails",
            message_id=message_id,
            message_type=message_type,
        )
    return CallError(message_id, code, description, details)


def _wrong_length(message_id: str, message_type: int, name: str, expected: int) -> FrameError:
    return FrameError(
        _ENVELOPE,
        f"a {name} must have exactly {expected} elements",
        message_id=message_id,
        message_type=message_type,
    )


def encode_call(message_id: str, action: str, payload: dict[str, Any]) -> bytes:
    """A CALL as UTF-8 JSON; send it as a TEXT WebSocket frame."""
    return orjson.dumps([_CALL, message_id, action, payload])


def encode_result(message_id: str, payload: dict[str, Any]) -> bytes:
    """A CALLRESULT as UTF-8 JSON; send it as a TEXT WebSocket frame."""
    return orjson.dumps([_CALLRESULT, message_id, payload])


def encode_error(
    message_id: str | int, code: str, description: str = "", details: dict[str, Any] | None = None
) -> bytes:
    """A CALLERROR as UTF-8 JSON, its description cut to 255 characters."""
    return orjson.dumps(
        [
            _CALLERROR,
            message_id,
            code,
            description[:MAX_ERROR_DESCRIPTION_LENGTH],
            details if details is not None else {},
        ]
    )
