"""Who is acting: set by the API for each request, read by the audit trail and command events.

A context variable rather than a parameter threaded through every service: the API's authentication
dependency sets it for the request's task, and anything the request awaits sees it. Work the CSMS does by
itself (on a station's boot, on a timer) runs as "system".
"""

from __future__ import annotations

from contextvars import ContextVar

SYSTEM = "system"

current_actor: ContextVar[str] = ContextVar("current_actor", default=SYSTEM)
