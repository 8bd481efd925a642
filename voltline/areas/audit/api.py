"""/api/v1/audit: the audit log of state-changing API calls and station commands (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from voltline.api.deps import Provided
from voltline.api.errors import error_responses
from voltline.api.schemas import NO_NUL, UtcDatetime
from voltline.areas.audit.model import AuditQuery
from voltline.areas.audit.schemas import AuditEntryBody
from voltline.areas.audit.service import AuditService

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get(
    "",
    summary="Search the audit log",
    description="Entries newest first. `actor` and `target` match exactly (e.g. `user:alice`, `CP-1`), "
    "`action` is a case-insensitive substring (e.g. `remote-start`, `command`, `DELETE`), `since` and "
    "`until` bound the time (inclusive).",
    response_model=list[AuditEntryBody],
    responses=error_responses(422),
)
async def search_audit(
    audit_service: Annotated[AuditService, Provided(AuditService)],
    actor: Annotated[str | None, Query(max_length=255, pattern=NO_NUL)] = None,
    action: Annotated[str | None, Query(max_length=255, pattern=NO_NUL)] = None,
    target: Annotated[str | None, Query(max_length=255, pattern=NO_NUL)] = None,
    since: Annotated[UtcDatetime | None, Query()] = None,
    until: Annotated[UtcDatetime | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[AuditEntryBody]:
    query = AuditQuery(actor=actor, action=action, target=target, since=since, until=until, limit=limit, offset=offset)
    return [AuditEntryBody.of(entry) for entry in await audit_service.search(query)]
