"""Remote-control endpoints over HTTP: bodies -> neutral commands, answers -> responses, display-message
listings assembled from their parts, and station trouble as 409 / 502 / 504. (Version mapping and the
real sockets are covered in tests/protocol and tests/e2e.)"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.support.api_fixtures import ADMIN_TOKEN, ScriptedLink
from tests.support.wiring import wired_services
from voltline.areas.access.api_access import ApiAccessService
from voltline.areas.remote_control.commands import (
    ChangeAvailability,
    ClearCache,
    ClearDisplayMessage,
    DisplayMessage,
    GetDisplayMessages,
    MessageFormat,
    MessagePriority,
    MessageState,
    Reset,
    ResetKind,
    SetDisplayMessage,
    TriggerableMessage,
    TriggerMessage,
    UnlockConnector,
)
from voltline.areas.remote_control.service import DISPLAY_MESSAGES
from voltline.kernel.commands import Command, CommandResult
from voltline.kernel.errors import StationRejectedCall, StationTimeout
from voltline.kernel.pending_requests import PendingRequests
from voltline.kernel.services import ServiceRegistry
from voltline.storage.sql.storage import SqlStorage

PARTS_TIMEOUT = 0.2
BASE = "/api/v1/stations/CP-1"


@dataclass
class ReportingLink(ScriptedLink):
    """Also plays the NotifyDisplayMessages parts that follow an answer to GetDisplayMessages."""

    parts: list[tuple[list[DisplayMessage], bool]] = field(default_factory=list)
    pending: PendingRequests | None = None

    async def send(self, station_id: str, command: Command) -> CommandResult:
        result = await super().send(station_id, command)
        if isinstance(command, GetDisplayMessages):
            assert self.pending is not None
            for items, more in self.parts:
                await self.pending.feed(station_id, DISPLAY_MESSAGES, command.request_id, items, more)
        return result


@pytest.fixture
def link() -> ReportingLink:
    return ReportingLink()


@pytest.fixture
async def services(api_storage: SqlStorage, link: ReportingLink) -> ServiceRegistry:
    services = wired_services(api_storage, link, heartbeat_interval=60, call_timeout=PARTS_TIMEOUT)
    await services[ApiAccessService].ensure_admin_token(ADMIN_TOKEN)
    link.pending = services[PendingRequests]
    return services


def a_message(message_id: int, **overrides: Any) -> DisplayMessage:
    values: dict[str, Any] = {"id": message_id, "priority": MessagePriority.NORMAL_CYCLE, "content": f"m{message_id}"}
    values.update(overrides)
    return DisplayMessage(**values)


@pytest.mark.parametrize(
    ("method", "path", "body", "command"),
    [
        ("POST", "reset", {"type": "soft"}, Reset(ResetKind.SOFT)),
        ("POST", "reset", {"type": "immediate", "evse_id": 2}, Reset(ResetKind.IMMEDIATE, 2)),
        ("POST", "unlock", {"evse_id": 2}, UnlockConnector(2, 1)),
        ("POST", "unlock", {"evse_id": 2, "connector_id": 3}, UnlockConnector(2, 3)),
        ("POST", "availability", {"operative": False}, ChangeAvailability(False)),
        ("POST", "availability", {"operative": True, "evse_id": 1, "connector_id": 2}, ChangeAvailability(True, 1, 2)),
        (
            "POST",
            "trigger",
            {"message": "MeterValues", "evse_id": 1},
            TriggerMessage(TriggerableMessage.METER_VALUES, 1),
        ),
        ("POST", "clear-cache", None, ClearCache()),
        ("GET", "display-messages?id=3&id=4&priority=InFront&state=Charging", None, None),
        ("DELETE", "display-messages/9", None, ClearDisplayMessage(9)),
    ],
)
async def test_each_request_becomes_its_neutral_command(
    client: httpx.AsyncClient, link: ReportingLink, method: str, path: str, body: Any, command: Command | None
) -> None:
    link.online.add("CP-1")
    link.answer = CommandResult("Rejected", {"status": "Rejected"})
    response = await client.request(method, f"{BASE}/{path}", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "Rejected"
    [(station_id, sent)] = link.sent
    assert station_id == "CP-1"
    if command is None:  # the listing's request id is allocated per request
        assert isinstance(sent, GetDisplayMessages)
        assert (sent.ids, sent.priority, sent.state) == ((3, 4), MessagePriority.IN_FRONT, MessageState.CHARGING)
    else:
        assert sent == command


async def test_the_answer_carries_status_info_and_the_raw_payload(
    client: httpx.AsyncClient, link: ReportingLink
) -> None:
    link.online.add("CP-1")
    link.answer = CommandResult("Scheduled", {"status": "Scheduled"}, None)
    response = await client.post(f"{BASE}/reset", json={"type": "on_idle"})
    assert response.json() == {"status": "Scheduled", "status_info": None, "response": {"status": "Scheduled"}}


async def test_a_display_message_gets_an_id_when_it_has_none(client: httpx.AsyncClient, link: ReportingLink) -> None:
    link.online.add("CP-1")
    body = {
        "priority": "AlwaysFront",
        "state": "Faulted",
        "message": {"format": "ASCII", "content": "Out of order", "language": "en"},
        "start": "2026-12-05T10:00:00+02:00",
        "end": "2026-12-06T00:00:00",
        "transaction_id": "tx-1",
        "evse_id": 2,
    }
    first = await client.post(f"{BASE}/display-messages", json=body)
    second = await client.post(f"{BASE}/display-messages", json={**body, "id": 77})
    assert first.status_code == second.status_code == 200
    allocated = first.json()["id"]
    assert 1 <= allocated <= 2**31 - 1
    assert second.json()["id"] == 77
    [(_, sent_first), (_, sent_second)] = link.sent
    assert sent_first == SetDisplayMessage(
        DisplayMessage(
            id=allocated,
            priority=MessagePriority.ALWAYS_FRONT,
            content="Out of order",
            format=MessageFormat.ASCII,
            language="en",
            state=MessageState.FAULTED,
            start=datetime(2026, 12, 5, 8, tzinfo=UTC),
            end=datetime(2026, 12, 6, tzinfo=UTC),
            transaction_id="tx-1",
            evse_id=2,
        )
    )
    assert isinstance(sent_second, SetDisplayMessage) and sent_second.message.id == 77


async def test_a_listing_is_assembled_from_its_parts(client: httpx.AsyncClient, link: ReportingLink) -> None:
    link.online.add("CP-1")
    link.parts = [([a_message(9), a_message(2)], True), ([a_message(5, state=MessageState.IDLE)], False)]
    response = await client.get(f"{BASE}/display-messages")
    assert response.status_code == 200, response.text
    listing = response.json()
    assert listing["status"] == "Accepted"
    assert [m["id"] for m in listing["messages"]] == [2, 5, 9]
    assert listing["messages"][1] == {
        "id": 5,
        "priority": "NormalCycle",
        "state": "Idle",
        "message": {"format": "UTF8", "content": "m5", "language": None},
        "start": None,
        "end": None,
        "transaction_id": None,
        "evse_id": None,
    }


async def test_unknown_means_no_messages(client: httpx.AsyncClient, link: ReportingLink) -> None:
    link.online.add("CP-1")
    link.answer = CommandResult("Unknown", {"status": "Unknown"})
    response = await client.get(f"{BASE}/display-messages", params={"priority": "InFront"})
    assert response.status_code == 200
    assert response.json()["messages"] == []


async def test_a_listing_whose_parts_never_complete_is_504(
    client: httpx.AsyncClient, link: ReportingLink, services: ServiceRegistry
) -> None:
    link.online.add("CP-1")
    link.parts = [([a_message(1)], True)]  # the last part never comes
    response = await client.get(f"{BASE}/display-messages")
    assert response.status_code == 504
    assert "1 part(s) arrived" in response.json()["detail"]
    [(_, sent)] = link.sent
    assert isinstance(sent, GetDisplayMessages)
    # Nobody waits for a late part any more.
    assert not await services[PendingRequests].feed("CP-1", DISPLAY_MESSAGES, sent.request_id, [], False)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "reset", {"type": "hard"}),
        ("POST", "unlock", {"evse_id": 1}),
        ("POST", "availability", {"operative": True}),
        ("POST", "trigger", {"message": "Heartbeat"}),
        ("POST", "clear-cache", None),
        ("POST", "data-transfer", {"vendor_id": "v"}),
        ("POST", "display-messages", {"priority": "InFront", "message": {"content": "x"}}),
        ("GET", "display-messages", None),
        ("DELETE", "display-messages/1", None),
    ],
)
async def test_station_trouble_maps_to_http(
    client: httpx.AsyncClient, link: ReportingLink, method: str, path: str, body: Any
) -> None:
    offline = await client.request(method, f"{BASE}/{path}", json=body)
    assert offline.status_code == 409 and "not connected" in offline.json()["detail"]
    assert link.sent == []
    link.online.add("CP-1")
    link.answer = StationRejectedCall("NotSupported", "not here")
    rejected = await client.request(method, f"{BASE}/{path}", json=body)
    assert rejected.status_code == 502
    assert rejected.json()["error_code"] == "NotSupported"
    link.answer = StationTimeout("CP-1 did not answer in time")
    assert (await client.request(method, f"{BASE}/{path}", json=body)).status_code == 504
