"""Errors of the RPC layer and the CALLERROR code each one is spelled as, per OCPP version.

Two families:
* `OcppError` (and its subclasses) carry an `ErrorKind` and become a CALLERROR when they answer a CALL.
* `CallErrorReceived`, `CallTimeout`, `SessionClosed`, `CallQueueFull` (and `InvalidCall`, an `OcppError`)
  are what `RpcSession.call()` raises to the code that sent a CALL; they never go on the wire.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from voltline.ocppj.versions import OcppVersion


class ErrorKind(Enum):
    """A version-neutral CALLERROR reason; `error_code` gives its spelling on the wire."""

    FORMAT = "format"
    OCCURRENCE_CONSTRAINT = "occurrence_constraint"
    PROPERTY_CONSTRAINT = "property_constraint"
    TYPE_CONSTRAINT = "type_constraint"
    PROTOCOL = "protocol"
    NOT_IMPLEMENTED = "not_implemented"
    NOT_SUPPORTED = "not_supported"
    SECURITY = "security"
    INTERNAL = "internal"
    GENERIC = "generic"
    MESSAGE_TYPE_NOT_SUPPORTED = "message_type_not_supported"
    RPC_FRAMEWORK = "rpc_framework"


# The spellings differ between versions: 1.6 has "FormationViolation" and the misspelled
# "OccurenceConstraintViolation" (one r) exactly as in the 1.6 OCPP-J specification; 2.0.1 fixed both.
_V16_CODES: dict[ErrorKind, str] = {
    ErrorKind.FORMAT: "FormationViolation",
    ErrorKind.OCCURRENCE_CONSTRAINT: "OccurenceConstraintViolation",
    ErrorKind.PROPERTY_CONSTRAINT: "PropertyConstraintViolation",
    ErrorKind.TYPE_CONSTRAINT: "TypeConstraintViolation",
    ErrorKind.PROTOCOL: "ProtocolError",
    ErrorKind.NOT_IMPLEMENTED: "NotImplemented",
    ErrorKind.NOT_SUPPORTED: "NotSupported",
    ErrorKind.SECURITY: "SecurityError",
    ErrorKind.INTERNAL: "InternalError",
    ErrorKind.GENERIC: "GenericError",
    # 1.6 has no such codes; these are the nearest ones it defines.
    ErrorKind.MESSAGE_TYPE_NOT_SUPPORTED: "ProtocolError",
    ErrorKind.RPC_FRAMEWORK: "FormationViolation",
}

_V201_CODES: dict[ErrorKind, str] = {
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

_CODES: dict[OcppVersion, dict[ErrorKind, str]] = {
    OcppVersion.V16: _V16_CODES,
    OcppVersion.V201: _V201_CODES,
}


def error_code(kind: ErrorKind, version: OcppVersion) -> str:
    """The CALLERROR errorCode for `kind` as `version` spells it."""
    return _CODES[version][kind]


def known_error_codes(version: OcppVersion) -> frozenset[str]:
    """Every CALLERROR errorCode `version` defines (what a received code is checked against)."""
    return frozenset(_CODES[version].values())


class OcppError(Exception):
    """Raised by a handler (or by validation) to answer a CALL with a CALLERROR of this kind."""

    def __init__(self, kind: ErrorKind, description: str = "", details: dict[str, Any] | None = None) -> None:
        super().__init__(f"{kind.name}: {description}" if description else kind.name)
        self.kind = kind
        self.description = description
        self.details: dict[str, Any] = details if details is not None else {}


class InvalidPayload(OcppError):
    """A payload broke the OCA JSON schema of its action (an incoming request, or a request we were
    about to send, or a response). Still an `OcppError`, so it answers a CALL like any other."""


class InvalidCall(OcppError):
    """A CALL we were about to send is not valid for the peer's version: its action is unknown there
    (kind NOT_IMPLEMENTED) or its payload breaks the request schema. Raised by `RpcSession.call()` before
    anything is sent, so the caller can tell its own mistake from an invalid answer of the peer."""


class FrameError(OcppError):
    """A received frame that cannot be processed as an RPC message.

    `message_id` is the frame's id, or "-1" when it cannot be read (the spec's placeholder); a numeric id
    (a type error, but readable) is kept as the number, to be echoed back unchanged.
    `message_type` is the frame's MessageTypeId when it was one of 2, 3, 4, else None; the session uses it
    to fail its in-flight call at once when the peer's answer to it is malformed.
    """

    def __init__(
        self,
        kind: ErrorKind,
        description: str = "",
        details: dict[str, Any] | None = None,
        *,
        message_id: str | int = "-1",
        message_type: int | None = None,
    ) -> None:
        super().__init__(kind, description, details)
        self.message_id = message_id
        self.message_type = message_type


class CallErrorReceived(Exception):
    """The peer answered our CALL with a CALLERROR."""

    def __init__(self, code: str, description: str = "", details: dict[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {description}" if description else code)
        self.code = code
        self.description = description
        self.details: dict[str, Any] = details if details is not None else {}


class CallTimeout(Exception):
    """The peer did not answer our CALL in time; a late answer will be discarded."""


class SessionClosed(Exception):
    """The session is closed (or its connection failed); the CALL was not, or may not have been, answered."""


class CallQueueFull(Exception):
    """Too many CALLs are already waiting for the one in-flight slot of this session."""
