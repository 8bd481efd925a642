"""Pure checks of the opening handshake: station identity from the path, Basic-auth credentials,
and the subprotocol choice."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence

from voltline.kernel.identifiers import is_valid_station_id
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


MAX_REQUEST_HEAD = 16 * 1024


def parse_request_head(head: bytes) -> tuple[str, dict[str, str]] | None:
    """(request target, headers by lower-case name) of an HTTP/1.1 GET request head (without the final
    blank line); None when it is not one. A header given twice is dropped, so that a duplicated
    Authorization counts as missing. The WebSocket server parses the head again; this is enough to admit."""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or parts[0] != "GET" or parts[2] != "HTTP/1.1" or not parts[1]:
        return None
    headers: dict[str, str] = {}
    repeated: set[str] = set()
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon:
            return None
        name = name.strip().lower()
        if name in headers:
            repeated.add(name)
        headers[name] = value.strip(" \t")
    for name in repeated:
        del headers[name]
    return parts[1], headers


def header_tokens(values: Sequence[str]) -> list[str]:
    """The comma-separated tokens of a list-valued header given once or more (Connection, Sec-WebSocket-Protocol)."""
    return [token.strip() for value in values for token in value.split(",") if token.strip()]
