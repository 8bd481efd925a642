"""Counts of the frames the sessions of one process send and receive, kept as plain ints.

A session given a `MessageCounts` adds one to a dict entry per frame (a tuple key and one dict update,
well under a microsecond); the metrics exposition reads the dicts when it is scraped. This is cheaper on
the station path than a metrics library's labelled counters, whose label lookup and lock would run per
frame. Every label value comes from a bounded set: actions the version's schemas know (else
`UNKNOWN_ACTION`), error codes the version defines (else `OTHER_CODE`), so a hostile station cannot
grow the dicts.
"""

from __future__ import annotations

from typing import Final

from voltline.ocppj.errors import known_error_codes
from voltline.ocppj.versions import OcppVersion

# The action label of a frame whose action is not known: an unreadable frame, a CALL of an action the
# version does not define, an answer to no call in flight.
UNKNOWN_ACTION: Final = "unknown"
# The code label of a received CALLERROR whose code the version does not define.
OTHER_CODE: Final = "other"
# The MessageTypeId key of a frame that could not be decoded (no type, or not a valid frame).
UNREADABLE: Final = 0

FrameKind = tuple[bool, int]  # outbound, MessageTypeId (or UNREADABLE)
ErrorKey = tuple[bool, str]  # outbound, errorCode
_KINDS: Final = tuple((outbound, kind) for outbound in (False, True) for kind in (2, 3, 4, UNREADABLE))


class VersionCounts:
    """The counts of one OCPP version: frames by kind, then by action; CALLERRORs by direction and code.

    Keyed by action strings (whose hashes Python caches) under a dict per kind, rather than by one tuple
    per frame: a tuple is hashed anew at every update, which doubled the cost. A session holds its
    version's counts, so no key holds an enum member either (an Enum hashes through Python code).
    """

    __slots__ = ("_codes", "errors", "frames")

    def __init__(self, version: OcppVersion) -> None:
        self.frames: dict[FrameKind, dict[str, int]] = {kind: {} for kind in _KINDS}
        self.errors: dict[ErrorKey, int] = {}
        self._codes = known_error_codes(version)

    def of_kind(self, outbound: bool, message_type: int) -> dict[str, int]:
        """The action -> frames dict of one kind: a session updates the hot ones in place."""
        return self.frames[(outbound, message_type)]

    def frame(self, outbound: bool, message_type: int, action: str) -> None:
        actions = self.frames[(outbound, message_type)]
        actions[action] = actions.get(action, 0) + 1

    def error(self, outbound: bool, code: str) -> None:
        if not outbound and code not in self._codes:
            code = OTHER_CODE  # the peer's text: bounded before it becomes a label
        key = (outbound, code)
        errors = self.errors
        errors[key] = errors.get(key, 0) + 1


class MessageCounts:
    """Frames and CALLERRORs in and out, per version, since the process started (counters: they only grow)."""

    __slots__ = ("by_version",)

    def __init__(self) -> None:
        self.by_version: dict[OcppVersion, VersionCounts] = {version: VersionCounts(version) for version in OcppVersion}

    def of(self, version: OcppVersion) -> VersionCounts:
        return self.by_version[version]
