"""Records of the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(slots=True, frozen=True)
class NewAuditEntry:
    at: datetime
    actor: str
    action: str
    result: str
    target: str | None = None
    summary: str | None = None
    detail: dict[str, Any] | None = None


@dataclass(slots=True, frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    result: str
    target: str | None
    summary: str | None
    detail: dict[str, Any] | None


@dataclass(slots=True, frozen=True)
class AuditQuery:
    """Filters of the audit log: `actor` and `target` match exactly, `action` is a case-insensitive substring."""

    actor: str | None = None
    action: str | None = None
    target: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100
    offset: int = 0
