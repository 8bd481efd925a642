"""AuditService over real SQL storage: entries, filters, newest first, the command trail, no secrets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from voltline.areas.audit.model import AuditQuery
from voltline.areas.audit.service import AuditService, redact
from voltline.kernel.actors import current_actor
from voltline.kernel.commands import CommandCompleted
from voltline.kernel.events import EventBus
from voltline.kernel.redaction import REDACTED
from voltline.storage.sql import SqlStorage


async def test_entries_come_back_newest_first_and_filter_by_actor_action_target(storage: SqlStorage) -> None:
    audit = AuditService(storage)
    await audit.record(actor="user:alice", action="PUT /api/v1/stations/{station_id}", result="201", target="CP-1")
    await audit.record(actor="user:bob", action="POST /api/v1/id-tokens", result="409")
    await audit.record(actor="user:alice", action="DELETE /api/v1/stations/{station_id}", result="204", target="CP-1")

    everything = await audit.search(AuditQuery())
    assert [e.result for e in everything] == ["204", "409", "201"]
    assert [e.result for e in await audit.search(AuditQuery(actor="user:alice"))] == ["204", "201"]
    assert [e.result for e in await audit.search(AuditQuery(action="stations"))] == ["204", "201"]
    assert [e.result for e in await audit.search(AuditQuery(action="delete"))] == ["204"]  # any case
    assert [e.result for e in await audit.search(AuditQuery(action="%"))] == []  # no wildcards
    assert [e.result for e in await audit.search(AuditQuery(target="CP-1", limit=1))] == ["204"]
    assert [e.result for e in await audit.search(AuditQuery(target="CP-1", limit=1, offset=1))] == ["201"]


async def test_entries_filter_by_time(storage: SqlStorage) -> None:
    audit = AuditService(storage)
    before = datetime.now(UTC) - timedelta(seconds=1)
    await audit.record(action="POST /api/v1/id-tokens", result="201")
    after = datetime.now(UTC) + timedelta(seconds=1)
    assert len(await audit.search(AuditQuery(since=before, until=after))) == 1
    assert await audit.search(AuditQuery(since=after)) == []
    assert await audit.search(AuditQuery(until=before)) == []


async def test_commands_are_recorded_with_the_acting_user(storage: SqlStorage) -> None:
    audit = AuditService(storage)
    bus = EventBus(storage)
    bus.subscribe_in_transaction(CommandCompleted, audit.command_completed)  # as the audit manifest does
    token = current_actor.set("user:alice")
    try:
        detail = {"command": "RemoteStart(id_token='TOKEN-A')"}
        await bus.publish(CommandCompleted("CP-1", "RemoteStart", detail, "Accepted", current_actor.get()))
    finally:
        current_actor.reset(token)
    [entry] = await audit.search(AuditQuery(target="CP-1"))
    assert (entry.actor, entry.action, entry.result) == ("user:alice", "command RemoteStart", "Accepted")
    assert entry.detail == {"command": "RemoteStart(id_token='TOKEN-A')"}


def test_details_that_mention_a_credential_are_redacted_whole() -> None:
    detail = {
        "payload": {"key": "AuthorizationKey", "value": "0123456789abcdef"},
        "command": "SetVariables(component='SecurityCtrlr', variable='BasicAuthPassword', value='s3cret')",
        "station_password": "x",
        "note": "y" * 5000,
        "count": 3,
    }
    cleaned = redact(detail)
    assert cleaned["payload"] == REDACTED
    assert cleaned["command"] == REDACTED
    assert cleaned["station_password"] == REDACTED
    assert len(cleaned["note"]) < 1100
    assert cleaned["count"] == 3
    assert "s3cret" not in repr(cleaned) and "0123456789abcdef" not in repr(cleaned)
