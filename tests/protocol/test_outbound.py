"""SessionLink: a command becomes one validated CALL on the station's session, and every way that can go
wrong becomes the domain error the API maps (422 invalid, 409 offline, 502 bad answer)."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from tests.support.wiring import ENCODERS
from voltline.areas.remote_control.commands import Reset, ResetKind
from voltline.kernel.commands import CommandCompleted, CommandService
from voltline.kernel.errors import InvalidRequest, StationOffline, StationRejectedCall
from voltline.kernel.events import EventBus
from voltline.ocppj import OcppVersion, RpcSession, SchemaRegistry
from voltline.protocol.outbound import SessionLink


class CountingSchemas(SchemaRegistry):
    """Counts request validations: each CALL should be validated once, by the session."""

    def __init__(self) -> None:
        super().__init__()
        self.requests_validated = 0

    def validate_request(self, version: OcppVersion, action: str, payload: Any) -> None:
        self.requests_validated += 1
        super().validate_request(version, action, payload)


class NoDispatcher:
    def supports(self, action: str) -> bool:
        return False

    async def handle(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        raise AssertionError("the station sends nothing here")

    def answered(self, action: str) -> None:
        pass


class Sessions:
    """The SessionLookup port: station id -> its session, as the gateway's registry keeps them."""

    def __init__(self) -> None:
        self.by_station: dict[str, RpcSession] = {}
        self.sent: list[list[Any]] = []

    def session(self, station_id: str) -> RpcSession | None:
        return self.by_station.get(station_id)

    def station_ids(self) -> frozenset[str]:
        return frozenset(self.by_station)

    def connect(self, station_id: str, schemas: SchemaRegistry, version: OcppVersion = OcppVersion.V16) -> RpcSession:
        async def send(data: bytes) -> None:
            self.sent.append(orjson.loads(data))

        session = RpcSession(version, send, NoDispatcher(), schemas, call_timeout=2)
        self.by_station[station_id] = session
        return session


@pytest.fixture(scope="module")
def schemas() -> CountingSchemas:
    return CountingSchemas()


async def answered(sessions: Sessions, session: RpcSession, answer: dict[str, Any], count: int = 1) -> None:
    """Wait for the `count`th CALL and answer it."""
    for _ in range(100):
        if len(sessions.sent) >= count:
            break
        await asyncio.sleep(0)
    await session.on_message(orjson.dumps([3, sessions.sent[count - 1][1], answer]))


async def test_a_command_is_validated_once_on_its_way_out(schemas: CountingSchemas) -> None:
    sessions = Sessions()
    session = sessions.connect("CP-1", schemas)
    link = SessionLink(sessions, ENCODERS)
    before = schemas.requests_validated

    sending = asyncio.create_task(link.send("CP-1", Reset(ResetKind.HARD)))
    await answered(sessions, session, {"status": "Accepted"})
    result = await sending

    assert result.status == "Accepted"
    assert sessions.sent[0][2:] == ["Reset", {"type": "Hard"}]
    assert schemas.requests_validated - before == 1


async def test_an_invalid_payload_or_unknown_action_is_an_invalid_request_and_sends_nothing(
    schemas: CountingSchemas,
) -> None:
    sessions = Sessions()
    sessions.connect("CP-1", schemas)
    link = SessionLink(sessions, ENCODERS)

    with pytest.raises(InvalidRequest, match=r"^Reset payload is not valid for OCPP 1\.6: "):
        await link.call_raw("CP-1", "Reset", {"type": "Sideways"})
    with pytest.raises(InvalidRequest, match=r"^'Teleport' is not an OCPP 1\.6 action$"):
        await link.call_raw("CP-1", "Teleport", {})
    assert sessions.sent == []


async def test_an_answer_that_breaks_its_schema_is_a_rejected_call(schemas: CountingSchemas) -> None:
    sessions = Sessions()
    session = sessions.connect("CP-1", schemas)
    link = SessionLink(sessions, ENCODERS)

    sending = asyncio.create_task(link.call_raw("CP-1", "ClearCache", {}))
    await answered(sessions, session, {"status": "Maybe"})
    with pytest.raises(StationRejectedCall) as refused:
        await sending
    assert refused.value.code == "InvalidResponse"


async def test_a_station_without_a_session_is_offline(schemas: CountingSchemas) -> None:
    link = SessionLink(Sessions(), ENCODERS)
    with pytest.raises(StationOffline, match="is not connected"):
        await link.send("CP-1", Reset(ResetKind.SOFT))
    with pytest.raises(StationOffline, match="is not connected"):
        await link.call_raw("CP-1", "ClearCache", {})


async def test_a_station_that_leaves_after_a_service_looked_is_still_offline_not_an_error(
    schemas: CountingSchemas,
) -> None:
    """CommandService sends without checking again: the link's check, made as it calls, is the one that
    counts. A station gone since a service asked its version, or whose session closed before the registry
    forgot it, or that drops during the call, is StationOffline (409) every time, and recorded as such."""
    sessions = Sessions()
    outcomes: list[str] = []
    events = EventBus()
    events.subscribe_after_commit(CommandCompleted, lambda completed: outcomes.append(completed.outcome))
    commands = CommandService(SessionLink(sessions, ENCODERS), events)

    session = sessions.connect("CP-1", schemas)
    assert commands.require_online("CP-1") is OcppVersion.V16
    del sessions.by_station["CP-1"]
    session.close("went away")
    with pytest.raises(StationOffline, match="is not connected"):
        await commands.send("CP-1", Reset(ResetKind.SOFT))

    sessions.connect("CP-1", schemas).close("closed, not yet unregistered")
    with pytest.raises(StationOffline, match="disconnected"):
        await commands.send("CP-1", Reset(ResetKind.SOFT))

    session = sessions.connect("CP-1", schemas)
    sending = asyncio.create_task(commands.call_raw("CP-1", "ClearCache", {}))
    for _ in range(100):
        if sessions.sent:
            break
        await asyncio.sleep(0)
    session.close("dropped mid-call")
    with pytest.raises(StationOffline, match="disconnected"):
        await sending

    assert [outcome.split(":")[:2] for outcome in outcomes] == [["error", " StationOffline"]] * 3
    assert sessions.sent[0][2] == "ClearCache"  # only the call that got out was sent
    assert len(sessions.sent) == 1
