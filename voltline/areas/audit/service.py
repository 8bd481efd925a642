"""The audit trail: who changed what, when, on which target, with which result.

The API records every state-changing request (voltline/api/audit_trail.py) and `CommandService` records
every command sent to a station through `record_command`. Entries hold no secrets: request bodies are not
stored, and command details that may carry a credential are redacted.
"""

from __future__ import annotations

import logging
from typing import Any

from voltline.areas.audit.model import AuditEntry, AuditQuery, NewAuditEntry
from voltline.areas.audit.ports import AUDIT_LOG
from voltline.kernel.actors import current_actor
from voltline.kernel.clock import utcnow
from voltline.kernel.redaction import REDACTED, mentions_credential
from voltline.kernel.storage import Storage, UnitOfWork

log = logging.getLogger(__name__)

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


def _cut(text: str | None) -> str | None:
    return text if text is None or len(text) <= MAX_TEXT else text[: MAX_TEXT - 3] + "..."


class AuditService:
    """Implements `voltline.kernel.commands.CommandAudit` as well."""

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
        entry = NewAuditEntry(
            at=utcnow(),
            actor=_cut(actor or current_actor.get()) or "",
            action=_cut(action) or "",
            result=_cut(result) or "",
            target=_cut(target),
            summary=_cut(summary),
            detail=redact(detail) if detail is not None else None,
        )

        async def op(uow: UnitOfWork) -> None:
            await uow[AUDIT_LOG].add([entry])

        await self._storage.write(op)

    async def record_command(self, station_id: str, command: str, detail: dict[str, Any], outcome: str) -> None:
        try:
            await self.record(action=f"command {command}", result=outcome, target=station_id, detail=detail)
        except Exception:
            # The station already acted on the command: losing the record must not turn success into an error.
            log.exception("could not record command %s to station %s in the audit log", command, station_id)

    async def search(self, query: AuditQuery) -> list[AuditEntry]:
        async def op(uow: UnitOfWork) -> list[AuditEntry]:
            return await uow[AUDIT_LOG].list(query)

        return await self._storage.read(op)
