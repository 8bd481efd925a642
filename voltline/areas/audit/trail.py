"""ASGI middleware that writes every state-changing /api/v1 request to the audit log.

Recorded for each matched request whose method is not GET, HEAD or OPTIONS, whatever its outcome (a 401,
403 or 422 included): the actor (set by the auth dependency in the request's `AuditNote`, "anonymous"
when there was none), the method and route template, the first path parameter as the target, the route's
summary and the HTTP status. Request bodies are never stored. The entry is written once the response is
complete but before it is released to the client, inside the request's task: a client that saw a change
succeed finds it in the log, and a clean shutdown (which waits for requests in flight) loses none.
The middleware also restores `current_actor` afterwards, so nothing leaks between requests that share a
context. An anonymous request (no actor in the note) goes through `AuditService.record_anonymous` with its
client address, which writes at most VOLTLINE_AUDIT_ANONYMOUS_PER_MINUTE of an address's entries a minute
and counts the rest; authenticated ones are always written.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from voltline.areas.audit.service import ANONYMOUS, AuditService
from voltline.kernel.actors import current_actor

log = logging.getLogger(__name__)

NOTE_KEY = "voltline.audit_note"
UNRECORDED_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(slots=True)
class AuditNote:
    """What the request's handlers tell the audit trail beyond what the middleware sees itself."""

    actor: str | None = None
    route: str | None = None
    target: str | None = None
    summary: str | None = None


def audit_note(request: Request) -> AuditNote:
    """The note of this request (a throwaway one when the request is not audited)."""
    note = request.scope.get(NOTE_KEY)
    return note if isinstance(note, AuditNote) else AuditNote()


class AuditTrail:
    def __init__(self, app: ASGIApp, audit: AuditService, prefix: str = "/api/v1") -> None:
        self.app = app
        self._audit = audit
        self._prefix = prefix.rstrip("/") + "/"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope.get("path", "")).startswith(self._prefix):
            await self.app(scope, receive, send)
            return
        note = AuditNote()
        scope[NOTE_KEY] = note
        audited = scope["method"] not in UNRECORDED_METHODS
        status = 500  # what the client gets if the app raises
        held_start: Message | None = None
        recorded = False

        async def send_after_recording(message: Message) -> None:
            # The response head is held back until the entry is written, so that whoever sees the result of
            # a change can also find it in the audit log (a streamed body is not held: it is recorded last).
            nonlocal status, held_start, recorded
            if not audited:
                await send(message)
                return
            if message["type"] == "http.response.start":
                status = int(message["status"])
                held_start = message
                return
            if message["type"] == "http.response.body" and held_start is not None:
                if not message.get("more_body", False):
                    recorded = True
                    await self._record(scope, note, status)
                start, held_start = held_start, None
                await send(start)
            await send(message)

        actor_token = current_actor.set(ANONYMOUS)
        try:
            await self.app(scope, receive, send_after_recording)
        finally:
            current_actor.reset(actor_token)
            if audited and not recorded:
                await self._record(scope, note, status)

    async def _record(self, scope: Scope, note: AuditNote, status: int) -> None:
        route = scope.get("route")
        if route is None:
            return  # no such endpoint: nothing could have changed
        template = note.route or str(getattr(route, "path", "") or scope.get("path", ""))
        params = {name: str(value) for name, value in (scope.get("path_params") or {}).items()}
        # The first path parameter names the resource acted on (the station, user, key ...); all of them
        # go into the detail, e.g. a raw call's OCPP action.
        target = note.target or next(iter(params.values()), None)
        action = f"{scope['method']} {template}"
        summary = note.summary or getattr(route, "summary", None)
        detail = {"path": params} if len(params) > 1 else None
        try:
            if note.actor is None:
                client = scope.get("client")
                address = str(client[0]) if client else None
                await self._audit.record_anonymous(
                    address, action=action, result=str(status), target=target, summary=summary, detail=detail
                )
            else:
                await self._audit.record(
                    actor=note.actor, action=action, result=str(status), target=target, summary=summary, detail=detail
                )
        except Exception:
            log.exception("could not write %s %s to the audit log", scope["method"], template)
