"""SQL repository of the audit trail."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import RowMapping, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from voltline.areas.audit.model import AuditEntry, AuditQuery, NewAuditEntry
from voltline.areas.audit.ports import AUDIT_LOG
from voltline.areas.audit.tables import audit_log
from voltline.storage.sql.unit_of_work import RepositoryFactories


def _audit_entry(m: RowMapping) -> AuditEntry:
    return AuditEntry(
        id=m["id"],
        at=m["at"],
        actor=m["actor"],
        action=m["action"],
        result=m["result"],
        target=m["target"],
        summary=m["summary"],
        detail=m["detail"],
    )


def _like_escaped(text: str) -> str:
    return text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class SqlAuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, entries: Sequence[NewAuditEntry]) -> None:
        if not entries:
            return
        rows = [
            {
                "at": e.at,
                "actor": e.actor,
                "action": e.action,
                "target": e.target,
                "result": e.result,
                "summary": e.summary,
                "detail": e.detail,
            }
            for e in entries
        ]
        await self._session.execute(insert(audit_log), rows)

    async def list(self, query: AuditQuery) -> builtins.list[AuditEntry]:
        statement = select(audit_log)
        if query.actor is not None:
            statement = statement.where(audit_log.c.actor == query.actor)
        if query.target is not None:
            statement = statement.where(audit_log.c.target == query.target)
        if query.action:
            pattern = f"%{_like_escaped(query.action)}%"
            statement = statement.where(func.lower(audit_log.c.action).like(pattern, escape="\\"))
        if query.since is not None:
            statement = statement.where(audit_log.c.at >= query.since)
        if query.until is not None:
            statement = statement.where(audit_log.c.at <= query.until)
        statement = statement.order_by(audit_log.c.at.desc(), audit_log.c.id.desc())
        statement = statement.limit(query.limit).offset(query.offset)
        return [_audit_entry(row._mapping) for row in await self._session.execute(statement)]

    async def purge_older(self, before: datetime, batch: int) -> int:
        """One bounded DELETE: the `batch` oldest entries before `before`, found on the `at` index."""
        c = audit_log.c
        oldest = select(c.id).where(c.at < before).order_by(c.at, c.id).limit(batch).scalar_subquery()
        result = await self._session.execute(delete(audit_log).where(c.id.in_(oldest)))
        return int(result.rowcount)  # type: ignore[attr-defined]


# The repositories this area registers with SQL storage (see `voltline.storage.sql.unit_of_work`).
REPOSITORIES: RepositoryFactories = {
    AUDIT_LOG: lambda session, _dialect: SqlAuditRepository(session),
}
