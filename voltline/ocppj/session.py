"""The RPC state machine of one OCPP-J connection, symmetric: the CSMS runs one per station, and the
charge-point simulator one per simulated station.

Incoming CALLs are handled one after another in the order received (the transport awaits `on_message`
per frame). Outgoing CALLs go one at a time, as OCPP-J requires: at most one is in flight, later ones wait
in FIFO order. Consequence: a handler must not await `call()` on its own session, because the answer
could only be read after the handler returns; schedule such follow-up CALLs after answering instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import secrets
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Final, Protocol

from voltline.ocppj.counters import UNKNOWN_ACTION, UNREADABLE, MessageCounts, VersionCounts
from voltline.ocppj.errors import (
    CallErrorReceived,
    CallQueueFull,
    CallTimeout,
    ErrorKind,
    FrameError,
    InvalidCall,
    OcppError,
    SessionClosed,
    error_code,
)
from voltline.ocppj.frames import (
    Call,
    CallError,
    CallResult,
    MessageType,
    decode_frame,
    encode_call,
    encode_error,
    encode_result,
)
from voltline.ocppj.schemas import SchemaRegistry
from voltline.ocppj.versions import OcppVersion

_DEFAULT_LOGGER: Final = logging.getLogger("voltline.ocppj")
# Never leak exception text to the peer: it may hold internals (SQL, paths, secrets).
_INTERNAL_DESCRIPTION: Final = "internal error while handling the request"
_RESPONSE_TYPES: Final = frozenset((MessageType.CALLRESULT, MessageType.CALLERROR))


_NUL_TEXT: Final = "\\u0000"
_NUL_BYTES: Final = b"\\u0000"


def _holds_nul(value: Any) -> bool:
    """Whether any string (key or value) in a decoded payload contains NUL, which no database text
    column can hold and no OCPP field needs: refused before anything is stored."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any("\x00" in key or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


# Answers to pipelined calls remembered at once, at most; more only while the peer keeps pipelining.
_MAX_TRACKED_EARLY_ANSWERS = 256


class NoAnswer(Exception):
    """Raised by a dispatcher to leave a CALL unanswered: how the simulator plays a station that ignores
    a command (the CSMS then sees its call time out). The server's own dispatchers never raise it."""


class Dispatcher(Protocol):
    """The business side of a session: the per-version route table."""

    def supports(self, action: str) -> bool: ...

    async def handle(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Return the response payload, or raise `OcppError` to answer with a CALLERROR."""
        ...

    def answered(self, action: str) -> None:
        """Called once the CALLRESULT of `action` was sent: the moment follow-up CALLs may start."""
        ...


Send = Callable[[bytes], Awaitable[None]]
# Told of every frame in and out: (outbound, MessageTypeId or None when unreadable, message id, action, the
# raw text). For an answer, the action is that of the call it answers, when known. Must be cheap: it runs
# on the hot path (the CSMS's message log only queues the values).
FrameObserver = Callable[[bool, int | None, str | int | None, str | None, str | bytes], None]
_CALL: Final = int(MessageType.CALL)
_CALLRESULT: Final = int(MessageType.CALLRESULT)
_CALLERROR: Final = int(MessageType.CALLERROR)


class _MessageIds:
    """Unique CALL message ids: a random per-session prefix and a counter.

    The spec wants a sender's ids unique across reconnections of the same station too, hence the random
    prefix; a counter is much cheaper per CALL than uuid4. Longest id: 16 + 1 + 16 = 33 <= 36 characters.
    """

    __slots__ = ("_counter", "_prefix")

    def __init__(self) -> None:
        self._prefix = secrets.token_hex(8) + "-"
        self._counter = itertools.count(1)

    def next(self) -> str:
        return f"{self._prefix}{next(self._counter):x}"


class _InFlight:
    __slots__ = ("action", "future", "message_id")

    def __init__(self, message_id: str, action: str, future: asyncio.Future[dict[str, Any]]) -> None:
        self.message_id = message_id
        self.action = action
        self.future = future


class RpcSession:
    __slots__ = (
        "_answered_early",
        "_answering",
        "_backlog",
        "_busy",
        "_call_timeout",
        "_calls_in",
        "_close_reason",
        "_closed",
        "_counts",
        "_dispatcher",
        "_ids",
        "_in_flight",
        "_known_actions",
        "_label",
        "_log",
        "_max_queued_calls",
        "_observer",
        "_received",
        "_results_out",
        "_schemas",
        "_send",
        "_waiters",
        "version",
    )

    def __init__(
        self,
        version: OcppVersion,
        send: Send,
        dispatcher: Dispatcher,
        schemas: SchemaRegistry,
        *,
        call_timeout: float = 30.0,
        max_queued_calls: int = 1000,
        logger: logging.Logger | None = None,
        backlog: Callable[[], int] | None = None,
        observer: FrameObserver | None = None,
        counts: MessageCounts | None = None,
    ) -> None:
        self.version = version
        self._observer = observer
        self._answering: str | None = None  # the action of the CALL being handled, for the observer
        # Frames counted for the metrics; `_label` is the bounded action label of the CALL being handled
        # (its CALLERROR is counted under it), unlike `_answering`, which is the peer's text as sent.
        self._counts: VersionCounts | None = counts.of(version) if counts is not None else None
        self._label = UNKNOWN_ACTION
        # The two updates of every station message (CALL in, CALLRESULT out) are written out inline on
        # these: a method call per frame would double what counting costs (see bench/session_cost.py).
        self._calls_in = self._counts.of_kind(False, _CALL) if self._counts is not None else None
        self._results_out = self._counts.of_kind(True, _CALLRESULT) if self._counts is not None else None
        self._known_actions = schemas.actions(version)
        self._send = send
        self._dispatcher = dispatcher
        self._schemas = schemas
        self._call_timeout = call_timeout
        self._max_queued_calls = max_queued_calls
        self._log = logger if logger is not None else _DEFAULT_LOGGER
        self._closed = False
        self._close_reason = ""
        self._ids = _MessageIds()
        # The outgoing-call slot: `_busy` while a call() owns it; waiting calls park a future in `_waiters`
        # and are handed the slot in FIFO order (our own queue rather than asyncio.Lock, so that close()
        # can fail every waiter at once and `pending_calls` is exact).
        self._busy = False
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._in_flight: _InFlight | None = None
        # Reused message ids: `backlog()` says how many received messages wait behind the one being handled.
        # Those were sent before the peer could see our answer, so a CALL among them with the id of a CALL
        # we answered meanwhile reuses an id that was still in progress for the peer. `_answered_early` maps
        # such ids to the number (`_received`) of the last message sent before the answer reached the peer.
        self._backlog = backlog
        self._received = 0
        self._answered_early: dict[str, int] = {}

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def pending_calls(self) -> int:
        """Outgoing calls in flight plus those queued behind it."""
        return int(self._busy) + len(self._waiters)

    # ----------------------------------------------------------------------------------- incoming frames

    async def on_message(self, data: str | bytes) -> None:
        """Process one received WebSocket message. Exceptions raised by `send` propagate unchanged."""
        self._received += 1
        try:
            frame = decode_frame(data, self.version)
        except FrameError as err:
            if self._counts is not None:
                self._label = UNKNOWN_ACTION
                self._counts.frame(False, UNREADABLE, UNKNOWN_ACTION)
            if self._observer is not None:
                self._answering = None
                self._observer(False, err.message_type, err.message_id, None, data)
            await self._on_frame_error(err)
            return
        if self._observer is not None:
            self._observe_inbound(frame, data)
        if isinstance(frame, Call):
            calls = self._calls_in
            if calls is not None:
                # Only actions the version defines become labels: the peer's text could be anything.
                label = self._label = frame.action if frame.action in self._known_actions else UNKNOWN_ACTION
                calls[label] = calls.get(label, 0) + 1
            # JSON can only carry NUL as the escape \u0000, so the costly walk runs only when that text is there.
            if (_NUL_TEXT in data if isinstance(data, str) else _NUL_BYTES in data) and _holds_nul(frame.payload):
                await self._send_error(
                    frame.message_id, ErrorKind.PROPERTY_CONSTRAINT, "strings must not contain NUL (U+0000)"
                )
                return
            await self._on_call(frame)
        else:
            if self._counts is not None:
                self._count_answer(frame)
            if isinstance(frame, CallResult):
                self._on_call_result(frame)
            else:
                self._on_call_error(frame)

    def _observe_inbound(self, frame: Call | CallResult | CallError, data: str | bytes) -> None:
        assert self._observer is not None
        if isinstance(frame, Call):
            self._answering = frame.action
            self._observer(False, _CALL, frame.message_id, frame.action, data)
            return
        in_flight = self._in_flight
        action = in_flight.action if in_flight is not None and in_flight.message_id == frame.message_id else None
        kind = _CALLRESULT if isinstance(frame, CallResult) else _CALLERROR
        self._observer(False, kind, frame.message_id, action, data)

    def _count_answer(self, frame: CallResult | CallError) -> None:
        counts = self._counts
        assert counts is not None
        in_flight = self._in_flight
        action = (
            in_flight.action if in_flight is not None and in_flight.message_id == frame.message_id else UNKNOWN_ACTION
        )
        if isinstance(frame, CallResult):
            counts.frame(False, _CALLRESULT, action)
        else:
            counts.frame(False, _CALLERROR, action)
            counts.error(False, frame.code)

    async def _on_frame_error(self, err: FrameError) -> None:
        if err.kind is ErrorKind.MESSAGE_TYPE_NOT_SUPPORTED and self.version is OcppVersion.V16:
            # OCPP-J 1.6: a message with an unknown MessageTypeId SHALL be ignored.
            self._log.debug("ignoring message with unsupported message type")
            return
        # A malformed answer to our in-flight call: fail that call now instead of letting it time out.
        in_flight = self._in_flight
        if (
            in_flight is not None
            and err.message_type in _RESPONSE_TYPES
            and err.message_id == in_flight.message_id
            and not in_flight.future.done()
        ):
            in_flight.future.set_exception(err)
        await self._send_error(err.message_id, err.kind, err.description)

    async def _on_call(self, call: Call) -> None:
        action = call.action
        if self._answered_early and self._reused_in_progress(call.message_id):
            await self._send_error(
                call.message_id,
                ErrorKind.RPC_FRAMEWORK,
                f"message id {call.message_id!r} was reused before the request that first used it was answered",
            )
            return
        if not self._schemas.knows(self.version, action):
            await self._send_error(call.message_id, ErrorKind.NOT_IMPLEMENTED, f"unknown action {action!r}")
            return
        if not self._dispatcher.supports(action):
            await self._send_error(call.message_id, ErrorKind.NOT_SUPPORTED, f"action {action!r} not supported")
            return
        try:
            self._schemas.validate_request(self.version, action, call.payload)
            response = await self._dispatcher.handle(action, call.payload)
        except NoAnswer:
            return
        except OcppError as err:
            await self._send_error(call.message_id, err.kind, err.description, err.details)
            return
        except Exception:
            self._log.exception("handler for %s failed (message id %s)", action, call.message_id)
            await self._send_error(call.message_id, ErrorKind.INTERNAL, _INTERNAL_DESCRIPTION)
            return
        # Never put an invalid frame on the wire: a handler bug becomes an InternalError, loudly logged.
        try:
            self._schemas.validate_response(self.version, action, response)
            data = encode_result(call.message_id, response)
        except (OcppError, TypeError) as err:  # orjson.JSONEncodeError is a TypeError
            self._log.error("handler for %s returned an invalid response: %s", action, err)
            await self._send_error(call.message_id, ErrorKind.INTERNAL, _INTERNAL_DESCRIPTION)
            return
        if self._observer is not None:
            self._observer(True, _CALLRESULT, call.message_id, action, data)
        results = self._results_out
        if results is not None:
            results[action] = results.get(action, 0) + 1
        await self._send(data)
        if self._backlog is not None:
            self._note_answer(call.message_id)
        self._dispatcher.answered(action)

    def _note_answer(self, message_id: str) -> None:
        assert self._backlog is not None
        waiting = self._backlog()
        if waiting:
            early = self._answered_early
            early[message_id] = self._received + waiting
            if len(early) > _MAX_TRACKED_EARLY_ANSWERS:
                received = self._received
                for stale in [key for key, last in early.items() if last <= received]:
                    del early[stale]

    def _reused_in_progress(self, message_id: str) -> bool:
        last = self._answered_early.get(message_id)
        return last is not None and self._received <= last

    def _on_call_result(self, result: CallResult) -> None:
        in_flight = self._in_flight
        if in_flight is None or result.message_id != in_flight.message_id or in_flight.future.done():
            # Late (after a timeout), duplicated or never asked for: nothing to keep.
            self._log.debug("discarding CALLRESULT for unknown message id %s", result.message_id)
            return
        try:
            self._schemas.validate_response(self.version, in_flight.action, result.payload)
        except OcppError as err:
            in_flight.future.set_exception(err)
            return
        in_flight.future.set_result(result.payload)

    def _on_call_error(self, error: CallError) -> None:
        in_flight = self._in_flight
        if in_flight is None or error.message_id != in_flight.message_id or in_flight.future.done():
            self._log.debug("discarding CALLERROR for unknown message id %s", error.message_id)
            return
        in_flight.future.set_exception(CallErrorReceived(error.code, error.description, error.details))

    async def _send_error(
        self, message_id: str | int, kind: ErrorKind, description: str, details: dict[str, Any] | None = None
    ) -> None:
        code = error_code(kind, self.version)
        try:
            data = encode_error(message_id, code, description, details)
        except TypeError:
            # A handler put something unserialisable into the details; the code still goes out.
            data = encode_error(message_id, code, description)
        if self._observer is not None:
            self._observer(True, _CALLERROR, message_id, self._answering, data)
        if self._counts is not None:
            self._counts.frame(True, _CALLERROR, self._label)
            self._counts.error(True, code)
        await self._send(data)

    # ----------------------------------------------------------------------------------- outgoing calls

    async def call(
        self,
        action: str,
        payload: dict[str, Any],
        # Covers only the wait for the answer, not the wait in the queue, so wrapping call() in
        # asyncio.timeout() would mean something else.
        timeout: float | None = None,  # noqa: ASYNC109
    ) -> dict[str, Any]:
        """Send a CALL and return the peer's CALLRESULT payload (validated against the response schema).

        Every CALL is validated here, whoever sends it: the one place, so no caller validates again.
        Raises: `InvalidCall` (unknown action or invalid request: nothing sent), `OcppError` (the answer
        is invalid: `InvalidPayload`, or a malformed frame), `CallErrorReceived`, `CallTimeout`,
        `CallQueueFull`, `SessionClosed`.
        """
        if self._closed:
            raise SessionClosed(self._close_reason)
        try:
            self._schemas.validate_request(self.version, action, payload)
        except OcppError as err:
            # A distinct type: callers map our own mistake (a 422) apart from the peer's invalid answer.
            raise InvalidCall(err.kind, err.description, err.details) from None
        await self._acquire_slot()
        try:
            if self._closed:
                raise SessionClosed(self._close_reason)
            message_id = self._ids.next()
            data = encode_call(message_id, action, payload)
            future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
            self._in_flight = _InFlight(message_id, action, future)
            if self._observer is not None:
                self._observer(True, _CALL, message_id, action, data)
            if self._counts is not None:
                self._counts.frame(True, _CALL, action)
            try:
                await self._send(data)
            except Exception as exc:
                if future.done() and not future.cancelled():
                    future.exception()  # close() raced with the failed send; mark its error as seen
                raise SessionClosed(f"sending {action} failed: {exc!r}") from exc
            wait = self._call_timeout if timeout is None else timeout
            try:
                async with asyncio.timeout(wait):
                    return await future
            except TimeoutError:
                if future.done() and not future.cancelled():
                    # An answer or close() won the race against the deadline: report that instead.
                    return future.result()
                raise CallTimeout(f"{action} ({message_id}) not answered within {wait:g}s") from None
        finally:
            # Forget the id: an answer arriving from now on is discarded.
            self._in_flight = None
            self._release_slot()

    async def _acquire_slot(self) -> None:
        if not self._busy and not self._waiters:
            self._busy = True
            return
        if len(self._waiters) >= self._max_queued_calls:
            raise CallQueueFull(f"{len(self._waiters)} calls already waiting")
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await waiter  # resolved by _release_slot (slot handed over) or failed by close()
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                # We were handed the slot but cancelled before running: pass it on.
                self._release_slot()
            else:
                with contextlib.suppress(ValueError):  # close() may have taken the queue already
                    self._waiters.remove(waiter)
            raise

    def _release_slot(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # `_busy` stays True: ownership moves to that waiter
                return
        self._busy = False

    def close(self, reason: str = "connection closed") -> None:
        """Fail the in-flight and queued calls with `SessionClosed`; later calls fail at once. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._close_reason = reason
        in_flight = self._in_flight
        if in_flight is not None and not in_flight.future.done():
            in_flight.future.set_exception(SessionClosed(reason))
        waiters, self._waiters = self._waiters, deque()
        for waiter in waiters:
            if not waiter.done():
                waiter.set_exception(SessionClosed(reason))
