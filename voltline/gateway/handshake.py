"""Pure checks of the opening handshake: station identity from the path, Basic-auth credentials,
and the subprotocol choice."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence

from voltline.domain.identifiers import is_valid_station_id
from voltline.ocppj import OcppVersion

MAX_AUTHORIZATION_HEADER = 512


def station_id_from_path(path: str, prefix: str) -> str | None:
    """The station id if `path` is exactly `{prefix}/{id}` with a valid id, else None."""
    path = path.split("?", 1)[0]
    if not path.startswith(prefix + "/"):
        return None
    candidate = path[len(prefix) + 1 :]
    if not is_valid_station_id(candidate):
        return None
    return candidate


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """(username, password) from an `Authorization: Basic ...` header; None for anything malformed."""
    if header is None or len(header) > MAX_AUTHORIZATION_HEADER:
        return None
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    username, colon, password = decoded.partition(":")
    if not colon:
        return None
    return username, password


def choose_subprotocol(offered: Sequence[str], preference: Sequence[OcppVersion]) -> OcppVersion | None:
    """The first version in the server's order of preference that the station offered."""
    offered_set = set(offered)
    for version in preference:
        if version.value in offered_set:
            return version
    return None
