"""How a version-neutral command becomes an OCPP call, and how the answer comes back.

Each version keeps an `EncoderTable` per functional area (protocol/v16/commands.py, ...): command type ->
encoder. An encoder returns the action, the payload and, where the domain needs more than the status word,
a `decode` function that turns the station's answer into a version-neutral value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from voltline.kernel.commands import Command, StatusInfo
from voltline.kernel.errors import InvalidRequest

Payload = dict[str, Any]


@dataclass(slots=True, frozen=True)
class OutboundCall:
    action: str
    payload: Payload
    decode: Callable[[Payload], Any] | None = None


def status_info(info: Payload | None) -> StatusInfo | None:
    """An OCPP 2.0.1 StatusInfoType (an answer's statusInfo, a result item's attributeStatusInfo) in
    version-neutral form; None when the station gave none. The one decoding of it for every area."""
    if not info:
        return None
    return StatusInfo(str(info["reasonCode"]), info.get("additionalInfo"))


def status_info_of(answer: Payload) -> StatusInfo | None:
    """The statusInfo of an answer: the `decode` of commands whose answer holds nothing else worth decoding."""
    return status_info(answer.get("statusInfo"))


Encoder = Callable[[Any], OutboundCall]
EncoderTable = Mapping[type[Command], Encoder]


def merge_tables(*tables: EncoderTable) -> dict[type[Command], Encoder]:
    """One version's encoders from its areas' tables; a command type claimed twice is a bug."""
    merged: dict[type[Command], Encoder] = {}
    for table in tables:
        for command_type, encoder in table.items():
            if command_type in merged:
                raise ValueError(f"two encoders for {command_type.__name__}")
            merged[command_type] = encoder
    return merged


def encode_with(encoders: Mapping[type[Command], Encoder], command: Command, version: str) -> OutboundCall:
    encoder = encoders.get(type(command))
    if encoder is None:
        raise InvalidRequest(f"{type(command).__name__} is not supported on OCPP {version}")
    return encoder(command)
