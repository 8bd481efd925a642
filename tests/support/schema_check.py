"""Independent OCA-schema check of OCPP-J transcripts.

Deliberately does not use voltline's own validator: it loads the schema files shipped in the PyPI
``ocpp`` package and validates with the ``jsonschema`` library (Draft 4 for 1.6, Draft 6 for 2.0.1),
with a strict RFC 3339 ``date-time`` format check. A transcript is a list of ``("in" | "out", raw)``
frames as recorded by the simulator or by ``tests.support.ocpp_lib_station``; "in" is what the server
sent, "out" what the station sent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import ocpp

_SCHEMA_ROOT = Path(ocpp.__file__).parent

ERROR_CODES: dict[str, frozenset[str]] = {
    "ocpp1.6": frozenset(
        {
            "NotImplemented",
            "NotSupported",
            "InternalError",
            "ProtocolError",
            "SecurityError",
            "FormationViolation",
            "PropertyConstraintViolation",
            "OccurenceConstraintViolation",
            "TypeConstraintViolation",
            "GenericError",
        }
    ),
    "ocpp2.0.1": frozenset(
        {
            "FormatViolation",
            "GenericError",
            "InternalError",
            "MessageTypeNotSupported",
            "NotImplemented",
            "NotSupported",
            "OccurrenceConstraintViolation",
            "PropertyConstraintViolation",
            "ProtocolError",
            "RpcFrameworkError",
            "SecurityError",
            "TypeConstraintViolation",
        }
    ),
}

_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$",
)

_format_checker = jsonschema.FormatChecker(formats=())


@_format_checker.checks("date-time", raises=ValueError)  # type: ignore[untyped-decorator]
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True  # type errors are the "type" keyword's business
    if not _RFC3339.match(value):
        return False
    datetime.fromisoformat(value.upper().replace("Z", "+00:00"))  # raises ValueError on 2024-13-45
    return True


def version_key(version: Enum | str) -> str:
    """Normalise "1.6", "ocpp1.6", OcppVersion.V16 ... to the subprotocol name."""
    value = str(version.value if isinstance(version, Enum) else version).lower()
    if value in ("1.6", "ocpp1.6", "v16"):
        return "ocpp1.6"
    if value in ("2.0.1", "ocpp2.0.1", "v201"):
        return "ocpp2.0.1"
    raise ValueError(f"unsupported OCPP version {version!r}")


@cache
def validator(version: Enum | str, action: str, kind: str) -> jsonschema.protocols.Validator:
    """The schema validator for ``action``; kind is "request" or "response"."""
    key = version_key(version)
    if key == "ocpp1.6":
        path = _SCHEMA_ROOT / "v16" / "schemas" / f"{action}{'Response' if kind == 'response' else ''}.json"
        cls: Any = jsonschema.Draft4Validator
    else:
        path = _SCHEMA_ROOT / "v201" / "schemas" / f"{action}{'Response' if kind == 'response' else 'Request'}.json"
        cls = jsonschema.Draft6Validator
    if not path.is_file():
        raise AssertionError(f"no {key} {kind} schema for action {action!r} ({path.name})")
    schema = json.loads(path.read_text(encoding="utf-8-sig"))
    cls.check_schema(schema)
    cls = jsonschema.validators.extend(cls, {"multipleOf": _decimal_multiple_of})
    result: jsonschema.protocols.Validator = cls(schema, format_checker=_format_checker)
    return result


def _decimal_multiple_of(
    checker: jsonschema.protocols.Validator, divisor: float, instance: object, schema: dict[str, Any]
) -> Iterator[jsonschema.ValidationError]:
    """`multipleOf` on the numbers as written: JSON numbers are decimal, and in binary floats 14.2 is not a
    multiple of 0.1 (jsonschema issue 247; the `ocpp` package parses the 1.6 schemas' payloads as Decimal for
    the same reason)."""
    if not checker.is_type(instance, "number") or isinstance(instance, bool):
        return
    quotient = Decimal(str(instance)) / Decimal(str(divisor))
    if quotient != quotient.to_integral_value():
        yield jsonschema.ValidationError(f"{instance!r} is not a multiple of {divisor}")


def _text(raw: bytes | str) -> str:
    return raw.decode("utf-8") if isinstance(raw, bytes | bytearray) else raw


def _parse(index: int, raw: bytes | str) -> list[Any]:
    try:
        frame = json.loads(_text(raw))
    except ValueError as exc:
        raise AssertionError(f"frame #{index} is not JSON ({exc}): {_text(raw)[:300]}") from exc
    if not isinstance(frame, list) or not frame or frame[0] not in (2, 3, 4):
        raise AssertionError(f"frame #{index} is not an OCPP-J CALL/CALLRESULT/CALLERROR: {_text(raw)[:300]}")
    return frame


def _check_payload(version: str, action: str, kind: str, payload: Any, where: str) -> None:
    errors = sorted(validator(version, action, kind).iter_errors(payload), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        path = "/".join(str(p) for p in first.absolute_path) or "<root>"
        raise AssertionError(
            f"{where}: {action} {kind} invalid against the {version} schema at {path}: {first.message}"
            f" ({len(errors)} violation(s)); payload={json.dumps(payload, default=str)[:500]}"
        )


def _check_frames(version: Enum | str, transcript: list[tuple[str, bytes]], sender: str) -> int:
    key = version_key(version)
    receiver = "out" if sender == "in" else "in"
    who = "server" if sender == "in" else "station"
    # Actions of the CALLs the other side sent, by message id, so results can be paired with them.
    pending: dict[str, str] = {}
    checked = 0
    for index, (direction, raw) in enumerate(transcript):
        if direction == receiver:
            try:
                frame = json.loads(_text(raw))
            except ValueError:
                continue
            if isinstance(frame, list) and len(frame) == 4 and frame[0] == 2:
                pending[str(frame[1])] = str(frame[2])
            continue
        if direction != sender:
            raise AssertionError(f"frame #{index} has unknown direction {direction!r}")
        frame = _parse(index, raw)
        where = f"{who} frame #{index} {_text(raw)[:200]}"
        kind = frame[0]
        if kind == 2:
            if len(frame) != 4 or not isinstance(frame[1], str) or not isinstance(frame[2], str):
                raise AssertionError(f"{where}: CALL must be [2, id, action, payload]")
            _check_payload(key, frame[2], "request", frame[3], where)
        elif kind == 3:
            if len(frame) != 3 or not isinstance(frame[1], str):
                raise AssertionError(f"{where}: CALLRESULT must be [3, id, payload]")
            action = pending.pop(frame[1], None)
            if action is None:
                raise AssertionError(f"{where}: CALLRESULT answers no CALL of the other side")
            _check_payload(key, action, "response", frame[2], where)
        else:
            if (
                len(frame) != 5
                or not isinstance(frame[1], str)
                or not isinstance(frame[2], str)
                or not isinstance(frame[3], str)
                or not isinstance(frame[4], dict)
            ):
                raise AssertionError(f"{where}: CALLERROR must be [4, id, code, description, details-object]")
            if frame[2] not in ERROR_CODES[key]:
                raise AssertionError(f"{where}: {frame[2]!r} is not a {key} error code")
            pending.pop(frame[1], None)
        checked += 1
    return checked


def assert_server_frames_valid(version: Enum | str, transcript: list[tuple[str, bytes]]) -> int:
    """Check every frame the server sent ("in"); returns how many were checked."""
    return _check_frames(version, transcript, sender="in")


def assert_station_frames_valid(version: Enum | str, transcript: list[tuple[str, bytes]]) -> int:
    """Check every frame the station sent ("out"); returns how many were checked."""
    return _check_frames(version, transcript, sender="out")
