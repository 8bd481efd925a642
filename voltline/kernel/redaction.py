"""Keeping credentials out of what Voltline records: the audit trail and the OCPP message log.

OCPP carries a few secrets in ordinary messages: 1.6 ChangeConfiguration of AuthorizationKey, 2.0.1
SetVariables of SecurityCtrlr.BasicAuthPassword, their Get* answers, and whatever a vendor puts in a
DataTransfer. The secret sits next to the word that gives it away ({"key": "AuthorizationKey", "value":
"..."}), so redaction works on objects: an object that mentions a credential anywhere inside loses its
value-like fields, and every field whose own name mentions one.
"""

from __future__ import annotations

from typing import Any, Final

import orjson

REDACTED: Final = "[redacted]"
# The fields that hold a setting's value (1.6 "value", 2.0.1 "attributeValue") or a vendor's payload.
_VALUE_FIELDS: Final = frozenset({"value", "attributeValue", "data"})
_UNREADABLE: Final = '"[redacted: a frame that mentions a credential and cannot be read as JSON]"'


def mentions_credential(text: str) -> bool:
    """Whether `text` names a password, secret, authorization key, private key or passphrase, in any case.
    Lower-casing and `in` cost a fifteenth of a case-insensitive regular expression."""
    lowered = text.lower()
    # Spelled out rather than any(... for ...): this runs for every logged frame.
    return (
        "password" in lowered
        or "secret" in lowered
        or "authorizationkey" in lowered
        or "privatekey" in lowered
        or "private_key" in lowered
        or "passphrase" in lowered
    )


def redact_frame(text: str) -> str:
    """An OCPP-J frame's text with its credentials replaced; unchanged (and cheap) when none is mentioned."""
    if not mentions_credential(text):
        return text
    try:
        frame = orjson.loads(text)
    except orjson.JSONDecodeError:  # cut off (a very long frame) or not JSON at all: keep nothing of it
        return _UNREADABLE
    return orjson.dumps(_redact(frame)).decode()


def _redact(value: Any) -> Any:
    if isinstance(value, list):
        return [_redact(item) for item in value]
    if not isinstance(value, dict) or not mentions_credential(orjson.dumps(value).decode()):
        return value
    return {
        name: REDACTED if name in _VALUE_FIELDS or mentions_credential(name) else _redact(item)
        for name, item in value.items()
    }
