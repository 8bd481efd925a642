"""What the audit area needs from storage."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from voltline.areas.audit.model import AuditEntry, AuditQuery, NewAuditEntry
from voltline.kernel.storage import RepositoryKey


class AuditRepository(Protocol):
    async def add(self, entries: Sequence[NewAuditEntry]) -> None: ...
    async def list(self, query: AuditQuery) -> builtins.list[AuditEntry]:
        """Matching entries, newest first."""
        ...

    async def purge_older(self, before: datetime, batch: int) -> int:
        """Delete up to `batch` of the oldest entries recorded before `before`; how many were deleted."""
        ...


AUDIT_LOG: RepositoryKey[AuditRepository] = RepositoryKey("audit")
