"""The simulated station's local authorization list: SendLocalList and GetLocalListVersion, both versions.

The list lives on the station (`SimulatedStation.local_list`), so it survives reconnects, as a real
station keeps it in non-volatile memory. Rules followed (OCPP 1.6 5.15/6.27, 2.0.1 D01/D02):
- Full replaces the whole list (no entries: an empty list); Differential adds or changes the entries that
  carry authorization info and removes those that do not.
- A Differential update whose version is not above the current one is answered VersionMismatch; a version
  below 1 or a token appearing twice is answered Failed and changes nothing.
- GetLocalListVersion answers the current version (0: no list). A station without local list support
  answers NotSupported and -1 in 1.6, and a NotSupported CALLERROR in 2.0.1 (whose answers lack both).
Offline, a card swiped at the station is authorized from the list (LocalAuthorizeOffline); online the
CSMS decides (Authorize).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from voltline.ocppj import ErrorKind, OcppError, OcppVersion
from voltline.simulator.handle import StationHandle

Payload = dict[str, Any]
Handler = Callable[[Payload], Awaitable[Payload]]


@dataclass(slots=True)
class LocalAuthList:
    version: int = 0
    # id token -> the entry as last received (1.6: idTag/idTagInfo; 2.0.1: idToken/idTokenInfo)
    entries: dict[str, Payload] = field(default_factory=dict)
    supported: bool = True
    # Answers to give to the next SendLocalList calls instead of applying them (e.g. ["Failed"]), in order.
    forced_answers: list[str] = field(default_factory=list)

    def apply(self, version: int, full: bool, items: list[tuple[str, Payload, bool]]) -> str:
        """Apply an update of (token, entry, has info) items; returns the SendLocalList status."""
        if self.forced_answers:
            return self.forced_answers.pop(0)
        if version < 1 or len({token for token, _, _ in items}) != len(items):
            return "Failed"
        if full:
            self.entries = {token: entry for token, entry, has_info in items if has_info}
        else:
            if version <= self.version:
                return "VersionMismatch"
            for token, entry, has_info in items:
                if has_info:
                    self.entries[token] = entry
                else:
                    self.entries.pop(token, None)
        self.version = version
        return "Accepted"

    def status_of(self, id_token: str) -> str | None:
        """The authorization status the list gives this token (None: not in the list)."""
        entry = self.entries.get(id_token)
        if entry is None:
            return None
        info = entry.get("idTagInfo") or entry.get("idTokenInfo") or {}
        return str(info.get("status", "Accepted"))


class LocalListStation(StationHandle, Protocol):
    """A station that keeps a local authorization list."""

    @property
    def local_list(self) -> LocalAuthList: ...


class LocalListHandler:
    """Answers one station's local list calls."""

    def __init__(self, station: LocalListStation) -> None:
        self.station = station

    def routes(self) -> dict[str, Handler]:
        if self.station.version is OcppVersion.V16:
            return {"SendLocalList": self.send_v16, "GetLocalListVersion": self.version_v16}
        return {"SendLocalList": self.send_v201, "GetLocalListVersion": self.version_v201}

    @property
    def _list(self) -> LocalAuthList:
        return self.station.local_list

    async def send_v16(self, payload: Payload) -> Payload:
        if not self._list.supported:
            return {"status": "NotSupported"}
        items = [(e["idTag"], e, "idTagInfo" in e) for e in payload.get("localAuthorizationList", [])]
        return {"status": self._list.apply(payload["listVersion"], payload["updateType"] == "Full", items)}

    async def version_v16(self, payload: Payload) -> Payload:
        return {"listVersion": self._list.version if self._list.supported else -1}

    async def send_v201(self, payload: Payload) -> Payload:
        self._require_support()
        items = [(e["idToken"]["idToken"], e, "idTokenInfo" in e) for e in payload.get("localAuthorizationList", [])]
        return {"status": self._list.apply(payload["versionNumber"], payload["updateType"] == "Full", items)}

    async def version_v201(self, payload: Payload) -> Payload:
        self._require_support()
        return {"versionNumber": self._list.version}

    def _require_support(self) -> None:
        if not self._list.supported:
            raise OcppError(ErrorKind.NOT_SUPPORTED, "this station has no local authorization list")
