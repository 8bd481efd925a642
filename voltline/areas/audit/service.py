"""The audit trail: who changed what, when, on which target, with which result.

The API records every state-changing request (voltline/api/audit_trail.py), and every command sent to a
station is recorded from its `CommandCompleted` event (an in-transaction subscriber, so the entry is
written before the sender learns the outcome). Entries hold no secrets: request bodies are not stored, and
command details that may carry a credential are redacted.
"""

from __future__ import annotations

from typing import Any

from voltline.areas.audit.model import AuditEntry, AuditQuery, NewAuditEntry
from voltline.areas.audit.ports import AUDIT_LOG
from voltline.kernel.actors import current_actor
from voltline.kernel.clock import utcnow
from voltline.kernel.commands import CommandCompleted
from voltline.kernel.redaction import REDACTED, mentions_credential
from voltline.kernel.storage import Storage, UnitOfWork

MAX_TEXT = 255
MAX_DETAIL_TEXT = 1000


def redact(detail: dict[str, Any]) -> dict[str, Any]:
    """`detail` with every field that mentions a credential anywhere inside it replaced, and long text cut.

    Whole fields go, not just the matching string: in {"key": "AuthorizationKey", "value": "..."} the
    secret is the sibling of the word that gives it away.
    """
    cleaned: dict[str, Any] = {}
    for name, value in detail.items():
        text = value if isinstance(value, str) else repr(value)
        if mentions_credential(str(name)) or mentions_credential(text):
            cleaned[name] = REDACTED
        elif len(text) > MAX_DETAIL_TEXT:
            cleaned[name] = text[:MAX_DETAIL_TEXT] + "..."  # a huge payload: its start is enough
        else:
            cleaned[name] = value
    return cleaned


def _entry(
    action: str,
    result: str,
    target: str | None,
    summary: str | None,
    detail: dict[str, Any] | None,
    actor: str | None,
) -> NewAuditEntry:
    return NewAuditEntry(
        at=utcnow(),
        actor=_cut(actor or current_actor.get()) or "",
        action=_cut(action) or "",
        result=_cut(result) or "",
        target=_cut(target),
        summary=_cut(summary),
        detail=redact(detail) if detail is not None else None,
    )


def _cut(text: str | None) -> str | None:
    return text if text is None or len(text) <= MAX_TEXT else text[: MAX_TEXT - 3] + "..."


class AuditService:
    def __init__(self, storage: Storage) -> None:
        self._storage = storage

    async def record(
        self,
        *,
        action: str,
        result: str,
        target: str | None = None,
        summary: str | None = None,
        detail: dict[str, Any] | None = None,
        actor: str | None = None,
    ) -> None:
        entry = _entry(action, result, target, summary, detail, actor)

        async def op(uow: UnitOfWork) -> None:
            await uow[AUDIT_LOG].add([entry])

        await self._storage.write(op)

    async def command_completed(self, uow: UnitOfWork, event: CommandCompleted) -> None:
        """In-transaction subscriber of `CommandCompleted` (the bus logs a failure; the sender never sees it)."""
        entry = _entry(
            f"command {event.command}", event.outcome, event.station_id, None, dict(event.detail), event.actor
        )
        await uow[AUDIT_LOG].add([entry])

    async def search(self, query: AuditQuery) -> list[AuditEntry]:
        async def op(uow: UnitOfWork) -> list[AuditEntry]:
            return await uow[AUDIT_LOG].list(query)

        return await self._storage.read(op)
