"""API bodies of the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from voltline.areas.audit.model import AuditEntry


class AuditEntryBody(BaseModel):
    id: int
    at: datetime
    actor: str = Field(description='"user:<name>", "key:<name>", "system" or "anonymous".', examples=["user:alice"])
    action: str = Field(
        description="Method and route of an API call, or `command <name>` for a command sent to a station.",
        examples=["POST /api/v1/stations/{station_id}/remote-start"],
    )
    target: str | None = Field(
        default=None, description="The resource acted on: the first path parameter (a station id, user id ...)."
    )
    result: str = Field(description="The HTTP status, or the station's answer to a command.")
    summary: str | None = None
    detail: dict[str, Any] | None = None

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryBody:
        return cls(
            id=entry.id,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            target=entry.target,
            result=entry.result,
            summary=entry.summary,
            detail=entry.detail,
        )
