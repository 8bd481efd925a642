"""Every request is in the audit log, whatever its path holds: NUL (which PostgreSQL refuses in text and
JSONB), other control characters and lone surrogates are stored as visible escapes; on SQLite and
PostgreSQL, through the real app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.support.api_fixtures import ADMIN_TOKEN, ScriptedLink
from tests.support.wiring import api_app, wired_services
from voltline.areas.access.api_access import ApiAccessService
from voltline.areas.audit.model import AuditQuery
from voltline.areas.audit.service import AuditService, printable
from voltline.storage.sql import SqlStorage


@pytest.fixture
async def clients(storage: SqlStorage) -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """(anonymous, admin) clients of the real app over `storage` (each backend)."""
    link = ScriptedLink()
    link.online.add("CP-1")
    link.raw_answer = {"status": "Accepted"}
    services = wired_services(storage, link)
    await services[ApiAccessService].ensure_admin_token(ADMIN_TOKEN)
    transport = httpx.ASGITransport(app=api_app(services))
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://voltline.test") as anonymous,
        httpx.AsyncClient(
            transport=transport, base_url="http://voltline.test", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
        ) as admin,
    ):
        yield anonymous, admin


async def audit(client: httpx.AsyncClient, **filters: Any) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/audit", params=filters)
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()
    return entries


async def test_an_anonymous_request_with_nul_in_a_path_parameter_is_recorded(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    anonymous, admin = clients
    assert (await anonymous.delete("/api/v1/stations/CP%00-1")).status_code == 401
    assert (await anonymous.post("/api/v1/stations/CP%001/ocpp/Re%00set%1b", json={})).status_code == 401

    entries = await audit(admin)
    assert [(e["actor"], e["action"], e["target"], e["result"]) for e in entries] == [
        ("anonymous", "POST /api/v1/stations/{station_id}/ocpp/{action}", "CP\\x001", "401"),
        ("anonymous", "DELETE /api/v1/stations/{station_id}", "CP\\x00-1", "401"),
    ]
    assert entries[0]["detail"] == {"path": {"station_id": "CP\\x001", "action": "Re\\x00set\\x1b"}}
    # The entry is found by its stored (escaped) text; a raw NUL in a filter is a 422, as in every filter.
    [found] = await audit(admin, target="CP\\x00-1")
    assert found["action"] == "DELETE /api/v1/stations/{station_id}"
    refused = await admin.get("/api/v1/audit", params={"actor": "\x00"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "query.actor"


async def test_an_authenticated_request_with_nul_in_a_path_parameter_is_recorded(
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient],
) -> None:
    _, admin = clients
    await admin.post("/api/v1/stations/CP-1/ocpp/Reset%00", json={"type": "Soft"})  # whatever it answers

    [call] = await audit(admin, action="/ocpp/")
    assert call["actor"].startswith("key:admin") and call["target"] == "CP-1"
    assert call["detail"] == {"path": {"station_id": "CP-1", "action": "Reset\\x00"}}


async def test_every_text_of_an_entry_is_stored_printable(storage: SqlStorage) -> None:
    audit_service = AuditService(storage)
    await audit_service.record(
        actor="user:a\x00b",
        action="POST /x\x7f",
        result="2\x0000",
        target="T\x00\ud800",
        summary="line\nbreak\x9b",
        detail={"k\x00": ["v\x00", {"deep": "\x00\udfff"}], "n": 3},
    )
    [entry] = await audit_service.search(AuditQuery())
    assert (entry.actor, entry.action, entry.result, entry.target, entry.summary) == (
        "user:a\\x00b",
        "POST /x\\x7f",
        "2\\x0000",
        "T\\x00\ufffd",
        "line\\x0abreak\\x9b",
    )
    assert entry.detail == {"k\\x00": ["v\\x00", {"deep": "\\x00\ufffd"}], "n": 3}


async def test_escapes_are_cut_to_the_column(storage: SqlStorage) -> None:
    audit_service = AuditService(storage)
    await audit_service.record(actor="user:a", action="DELETE /x", result="401", target="\x00" * 200)
    [entry] = await audit_service.search(AuditQuery())
    assert entry.target is not None and len(entry.target) == 255 and entry.target.startswith("\\x00\\x00")


def test_printable_leaves_ordinary_text_alone_and_escapes_within_the_column() -> None:
    assert printable("CP-1 Zürich 充電") == "CP-1 Zürich 充電"
    assert printable("\x00\x1f\x7f\x80\x9f") == "\\x00\\x1f\\x7f\\x80\\x9f"
