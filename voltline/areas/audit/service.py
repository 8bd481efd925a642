"""The audit trail: who changed what, when, on which target, with which result.

The API records every state-changing request (`trail.py`, the ASGI middleware), and every command sent to
a station is recorded from its `CommandCompleted` event (an in-transaction subscriber, so the entry is
written before the sender learns the outcome). Entries hold no secrets: request bodies are not stored, and
command details that may carry a credential are redacted.

Every entry can be stored: control characters (NUL, which no PostgreSQL text or JSONB value takes,
included) become visible `\\xNN` escapes and a lone surrogate U+FFFD, in every text and in the detail.

Anonymous requests cannot grow the log without bound: per client address (an IPv6 one by its /64) and
minute, the first `anonymous_per_minute` are written one by one and the rest only counted; once the minute
is over one entry, "anonymous requests suppressed", says how many of that address were not written
(`write_suppressed`, on a timer and at shutdown). The counting is in memory, O(1) per request, for at most
`max_tracked_addresses` addresses a minute: the addresses beyond share one budget ("other addresses").
Authenticated entries are never dropped. Entries older than `retention_days` are purged in small batches,
at start-up and every `purge_interval` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from voltline.areas.audit.model import AuditEntry, AuditQuery, NewAuditEntry
from voltline.areas.audit.ports import AUDIT_LOG
from voltline.kernel.actors import SYSTEM, current_actor
from voltline.kernel.clock import utcnow
from voltline.kernel.commands import CommandCompleted
from voltline.kernel.redaction import REDACTED, mentions_credential
from voltline.kernel.storage import Storage, UnitOfWork

log = logging.getLogger(__name__)

MAX_TEXT = 255
MAX_DETAIL_TEXT = 1000
ANONYMOUS: Final = "anonymous"
SUPPRESSED_ACTION: Final = "anonymous requests suppressed"
OTHER_ADDRESSES: Final = "other addresses"  # the shared budget of the addresses beyond the tracked ones
UNKNOWN_ADDRESS: Final = "unknown"

# C0 and C1 control characters and DEL (NUL: refused by PostgreSQL text and JSONB), and lone surrogates
# (no encoding takes them).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return "\ufffd" if 0xD800 <= code <= 0xDFFF else f"\\x{code:02x}"


def printable(text: str) -> str:
    """`text` storable in any text column and readable: a control character as `\\xNN`, a lone surrogate
    as U+FFFD (a C0 character within one `\\x00`-`\\x1f`, so `%00` in a path shows as `\\x00`)."""
    return _UNSAFE.sub(_escape, text) if _UNSAFE.search(text) else text


def _printable_value(value: Any) -> Any:
    """A detail value with every string in it (keys included) made `printable`."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {printable(str(k)): _printable_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_printable_value(v) for v in value]
    return value


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
    at: datetime,
    action: str,
    result: str,
    target: str | None,
    summary: str | None,
    detail: dict[str, Any] | None,
    actor: str | None,
) -> NewAuditEntry:
    return NewAuditEntry(
        at=at,
        actor=_cut(actor or current_actor.get()) or "",
        action=_cut(action) or "",
        result=_cut(result) or "",
        target=_cut(target),
        summary=_cut(summary),
        detail=_printable_value(redact(detail)) if detail is not None else None,
    )


def _cut(text: str | None) -> str | None:
    """Printable, and at most `MAX_TEXT` characters (escapes count: the columns hold 255)."""
    if text is None:
        return None
    text = printable(text)
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 3] + "..."


def client_key(address: str | None) -> str:
    """Whose budget an anonymous request uses: its client address, an IPv6 one by its /64 network (one
    host holds many of those addresses), "unknown" without one."""
    if not address:
        return UNKNOWN_ADDRESS
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return _cut(address) or UNKNOWN_ADDRESS  # e.g. a test client's name
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


@dataclass(slots=True, frozen=True)
class AuditConfig:
    anonymous_per_minute: int = 30
    retention_days: int = 365  # 0: kept forever
    max_tracked_addresses: int = 1024
    summary_interval: float = 10.0
    purge_interval: float = 3600.0
    purge_batch: int = 1000


@dataclass(slots=True, frozen=True)
class Suppressed:
    """Anonymous requests of one address in one minute that were counted, not written."""

    minute: int  # minutes since the epoch
    address: str
    count: int


class AnonymousBudget:
    """Per client address, the anonymous entries written in the current minute (a fixed window): O(1) per
    request, at most `max_addresses` addresses (then one shared budget), the window's over-budget counts
    kept for `take_suppressed` once it ends."""

    def __init__(self, per_minute: int, max_addresses: int) -> None:
        self.per_minute = per_minute
        self.max_addresses = max_addresses
        self._minute: int | None = None
        self._counts: dict[str, int] = {}
        self._ended: list[Suppressed] = []

    def admit(self, address: str, minute: int) -> bool:
        """Count one anonymous request of `address` in `minute`: whether it is written one by one."""
        if minute != self._minute:
            self._end_window(minute)
        counts = self._counts
        count = counts.get(address)
        if count is None:
            if len(counts) >= self.max_addresses:
                address = OTHER_ADDRESSES
            count = counts.get(address, 0)
        counts[address] = count + 1
        return count < self.per_minute

    def take_suppressed(self, minute: int | None) -> list[Suppressed]:
        """What the windows that ended before `minute` suppressed (None: the current one ends too)."""
        if minute is None or (self._minute is not None and minute > self._minute):
            self._end_window(minute)
        ended, self._ended = self._ended, []
        return ended

    @property
    def tracked(self) -> int:
        return len(self._counts)

    def _end_window(self, minute: int | None) -> None:
        if self._minute is not None:
            limit = self.per_minute
            self._ended.extend(
                Suppressed(self._minute, address, count - limit)
                for address, count in self._counts.items()
                if count > limit
            )
        self._minute = minute
        self._counts = {}


def _minute_of(at: datetime) -> int:
    return int(at.timestamp()) // 60


class AuditService:
    def __init__(
        self, storage: Storage, config: AuditConfig | None = None, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._storage = storage
        self.config = config if config is not None else AuditConfig()
        self.clock = clock
        self._anonymous = AnonymousBudget(self.config.anonymous_per_minute, self.config.max_tracked_addresses)
        self._purging: asyncio.Task[None] | None = None

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
        """Write one entry (always: this is how authenticated actions are recorded)."""
        entry = _entry(self.clock(), action, result, target, summary, detail, actor)

        async def op(uow: UnitOfWork) -> None:
            await uow[AUDIT_LOG].add([entry])

        await self._storage.write(op)

    async def record_anonymous(
        self,
        address: str | None,
        *,
        action: str,
        result: str,
        target: str | None = None,
        summary: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> bool:
        """An anonymous request of the client at `address`: written, or only counted when that address
        is over its budget this minute (see the module doc). Whether it was written."""
        at = self.clock()
        if not self._anonymous.admit(client_key(address), _minute_of(at)):
            return False
        entry = _entry(at, action, result, target, summary, detail, ANONYMOUS)

        async def op(uow: UnitOfWork) -> None:
            await uow[AUDIT_LOG].add([entry])

        await self._storage.write(op)
        return True

    async def write_suppressed(self, *, everything: bool = False) -> int:
        """Write one entry per address and minute that ended with anonymous requests over budget (with
        `everything`, the current minute's too: at shutdown). How many entries were written."""
        at = self.clock()
        suppressed = self._anonymous.take_suppressed(None if everything else _minute_of(at))
        if not suppressed:
            return 0
        limit = self._anonymous.per_minute
        entries = [_suppressed_entry(at, s, limit) for s in suppressed]

        async def op(uow: UnitOfWork) -> None:
            await uow[AUDIT_LOG].add(entries)

        try:
            await self._storage.write(op)
        except Exception:
            log.exception(
                "could not write %d 'anonymous requests suppressed' entries (%d requests)",
                len(entries),
                sum(s.count for s in suppressed),
            )
            return 0
        return len(entries)

    async def command_completed(self, uow: UnitOfWork, event: CommandCompleted) -> None:
        """In-transaction subscriber of `CommandCompleted` (the bus logs a failure; the sender never sees it)."""
        await self.commands_completed(uow, (event,))

    async def commands_completed(self, uow: UnitOfWork, events: Sequence[CommandCompleted]) -> None:
        """The batch form: one insert for the outcomes a service records together (a load controller's limits)."""
        now = self.clock()
        entries = [
            _entry(now, f"command {e.command}", e.outcome, e.station_id, None, dict(e.detail), e.actor) for e in events
        ]
        await uow[AUDIT_LOG].add(entries)

    async def search(self, query: AuditQuery) -> list[AuditEntry]:
        # The filters as the entries store them: a NUL typed in a filter finds its `\x00`.
        query = AuditQuery(
            actor=_printable_or_none(query.actor),
            action=_printable_or_none(query.action),
            target=_printable_or_none(query.target),
            since=query.since,
            until=query.until,
            limit=query.limit,
            offset=query.offset,
        )

        async def op(uow: UnitOfWork) -> list[AuditEntry]:
            return await uow[AUDIT_LOG].list(query)

        return await self._storage.read(op)

    # -- retention --------------------------------------------------------------------------------

    async def purge(self, now: datetime | None = None) -> int:
        """Delete the entries older than the retention period (none when it is 0), in batches of
        `purge_batch`, one short write each. How many were deleted."""
        days = self.config.retention_days
        if days <= 0:
            return 0
        cutoff = (now or self.clock()) - timedelta(days=days)
        batch = self.config.purge_batch
        total = 0

        async def op(uow: UnitOfWork) -> int:
            return await uow[AUDIT_LOG].purge_older(cutoff, batch)

        while True:
            deleted = await self._storage.write(op)
            total += deleted
            if deleted < batch:
                return total
            await asyncio.sleep(0)  # between batches, let other writes through

    def start(self) -> None:
        """Start the purge (right away, then every `purge_interval` seconds), unless entries are kept forever."""
        if self.config.retention_days > 0 and self._purging is None:
            self._purging = asyncio.get_running_loop().create_task(self._purge_forever(), name="audit-purge")

    async def close(self) -> None:
        """Stop the purge and write what the current minute suppressed (graceful stop: before storage closes)."""
        task, self._purging = self._purging, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.write_suppressed(everything=True)

    async def _purge_forever(self) -> None:
        current_actor.set(SYSTEM)
        while True:
            try:
                purged = await self.purge()
                if purged:
                    log.info("audit log: purged %d entries older than %d days", purged, self.config.retention_days)
            except Exception:
                log.exception("audit log purge failed; will retry in %s s", self.config.purge_interval)
            await asyncio.sleep(self.config.purge_interval)


def _printable_or_none(text: str | None) -> str | None:
    return None if text is None else printable(text)


def _suppressed_entry(at: datetime, suppressed: Suppressed, limit: int) -> NewAuditEntry:
    minute = datetime.fromtimestamp(suppressed.minute * 60, UTC)
    return _entry(
        at,
        SUPPRESSED_ACTION,
        "suppressed",
        suppressed.address,
        f"{suppressed.count} anonymous requests from {suppressed.address} in the minute from "
        f"{minute:%Y-%m-%d %H:%M} UTC were not recorded one by one (over {limit} a minute)",
        {"address": suppressed.address, "count": suppressed.count, "minute": minute.isoformat(), "limit": limit},
        ANONYMOUS,
    )
