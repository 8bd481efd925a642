"""One accepted station WebSocket, over picows: message assembly and limits, an ordered inbox, keepalive
pings, and the closing handshake.

picows hands every frame to `on_ws_frame` synchronously, straight from the read buffer; this class turns
them into messages (text only, valid UTF-8, fragments reassembled up to the size limit) and queues them.
`pump` then feeds them to the RPC session one at a time, in order. While more than `_HIGH_WATER` messages
wait, the socket stops reading, so a fast sender cannot grow memory. Sending is synchronous in picows;
`send` only awaits when the transport's write buffer is above its high-water mark.

Close codes: binary message 1003 (after the messages before it are handled), invalid UTF-8 1007,
message too big 1009 (a single frame: picows, before buffering it), protocol violations 1002, keepalive
timeout 1011. Whoever closes, the TCP link is dropped if the peer has not finished within `close_timeout`.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final

from picows import WSCloseCode, WSFrame, WSListener, WSMsgType, WSTransport

log = logging.getLogger("voltline.gateway")

_TEXT: Final = WSMsgType.TEXT
_CONTINUATION: Final = WSMsgType.CONTINUATION
_BINARY: Final = WSMsgType.BINARY
_PONG: Final = WSMsgType.PONG
_CLOSE: Final = WSMsgType.CLOSE

# Connection states, as ints: compared on every frame.
_OPEN: Final = 0  # messages accepted and answered
_DRAINING: Final = 1  # a binary message arrived: the messages before it are still answered, nothing new is taken
_CLOSING: Final = 2  # a close frame went out or came in: nothing more is sent or taken
_CLOSED: Final = 3  # the TCP link is gone

# Stop reading while this many messages wait; read again once the inbox is down to `_LOW_WATER`
# (the values websockets uses for its default max_queue).
_HIGH_WATER: Final = 16
_LOW_WATER: Final = 4

ABNORMAL_CLOSURE: Final = 1006


class ConnectionClosed(Exception):
    """The closing handshake has begun or the link is gone: nothing more reaches the peer."""


@dataclass(slots=True, frozen=True)
class SocketLimits:
    max_message_size: int
    ping_interval: float
    ping_timeout: float
    close_timeout: float


class StationSocket(WSListener):
    """The picows listener of one connection. Created by the gateway when it accepts a handshake."""

    __slots__ = (
        "_close_timer",
        "_closed",
        "_drain_waiter",
        "_fragment_size",
        "_fragments",
        "_inbox",
        "_limits",
        "_loop",
        "_on_open",
        "_ping_payload",
        "_ping_sent_at",
        "_ping_timer",
        "_reading_paused",
        "_send_frame",
        "_state",
        "_transport",
        "_waiter",
        "_write_paused",
        "context",
        "remote_address",
    )

    def __init__(
        self,
        limits: SocketLimits,
        remote_address: str,
        on_open: Callable[[StationSocket], None],
        context: object = None,
    ) -> None:
        super().__init__()
        self._limits = limits
        self.remote_address = remote_address
        self._on_open = on_open
        self.context = context  # what the gateway decided at the handshake
        self._loop = asyncio.get_running_loop()
        self._transport: WSTransport | None = None
        self._send_frame: Callable[[WSMsgType, bytes], None] = _not_connected
        self._state = _OPEN
        self._inbox: deque[str | None] = deque()  # None marks a binary message
        self._waiter: asyncio.Future[None] | None = None
        self._reading_paused = False
        self._write_paused = False
        self._drain_waiter: asyncio.Future[None] | None = None
        self._fragments: list[bytes] | None = None
        self._fragment_size = 0
        self._ping_payload: bytes | None = None
        self._ping_sent_at = 0.0
        self._ping_timer: asyncio.TimerHandle | None = None
        self._close_timer: asyncio.TimerHandle | None = None
        self._closed: asyncio.Future[None] = self._loop.create_future()

    # ------------------------------------------------------------------------------------ public surface

    @property
    def open(self) -> bool:
        return self._state <= _DRAINING

    @property
    def close_code(self) -> int:
        """The code of the close frame received from the peer; 1006 when there was none."""
        handshake = self._transport.close_handshake if self._transport is not None else None
        if handshake is not None and handshake.recv is not None:
            return handshake.recv.code.value
        return ABNORMAL_CLOSURE

    async def send(self, data: bytes) -> None:
        """Send one text message. Raises `ConnectionClosed` once closing has begun."""
        if self._state > _DRAINING:
            raise ConnectionClosed("connection closing")
        self._send_frame(_TEXT, data)
        if self._write_paused:
            await self._drained()

    def backlog(self) -> int:
        """Received messages not yet handed to `pump`'s callback."""
        return len(self._inbox)

    async def pump(self, on_message: Callable[[str], Awaitable[None]], seen: Callable[[str], None], key: str) -> None:
        """Hand each received message to `on_message`, one at a time and in order, calling `seen(key)`
        first; returns once the connection is closed."""
        inbox = self._inbox
        create_future = self._loop.create_future
        try:
            while self._state < _CLOSING:
                if not inbox:
                    waiter = self._waiter = create_future()
                    await waiter
                    continue
                message = inbox.popleft()
                if self._reading_paused and len(inbox) <= _LOW_WATER:
                    self._resume_reading()
                if message is None:
                    self.close(WSCloseCode.UNSUPPORTED_DATA, "OCPP-J uses text frames only")
                    break
                seen(key)
                await on_message(message)
        except ConnectionClosed:
            pass
        await self.wait_closed()

    def close(self, code: WSCloseCode, reason: str = "") -> None:
        """Begin the closing handshake (idempotent); drop the link if the peer has not finished it within
        `close_timeout`. Messages not yet handled are dropped."""
        if self._state >= _CLOSING or self._transport is None:
            return
        self._enter_closing()
        self._transport.send_close(code, reason.encode())

    async def wait_closed(self) -> None:
        await asyncio.shield(self._closed)

    # ------------------------------------------------------------------------------------ picows callbacks

    def on_ws_connected(self, transport: WSTransport) -> None:
        self._transport = transport
        self._send_frame = transport.send
        self._ping_timer = self._loop.call_later(self._limits.ping_interval, self._send_keepalive_ping)
        self._on_open(self)

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        msg_type = frame.msg_type
        if msg_type is _TEXT and frame.fin and self._fragments is None and not (frame.rsv1 or frame.rsv2 or frame.rsv3):
            try:
                message = frame.get_payload_as_utf8_text()
            except UnicodeDecodeError:
                self._fail(WSCloseCode.INVALID_TEXT, "invalid UTF-8 in a text message")
                return
            self._put(message)
            return
        self._on_other_frame(frame, msg_type)

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self._state = _CLOSED
        self._stop_taking()
        for timer in (self._ping_timer, self._close_timer):
            if timer is not None:
                timer.cancel()
        self._ping_timer = self._close_timer = None
        self._wake_writers()
        if not self._closed.done():
            self._closed.set_result(None)

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        self._wake_writers()

    # ------------------------------------------------------------------------------------ incoming frames

    def _put(self, message: str | None) -> None:
        if self._state != _OPEN:
            return
        inbox = self._inbox
        inbox.append(message)
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)
        elif len(inbox) >= _HIGH_WATER and not self._reading_paused:
            self._reading_paused = True
            assert self._transport is not None
            self._transport.underlying_transport.pause_reading()

    def _on_other_frame(self, frame: WSFrame, msg_type: WSMsgType) -> None:
        if msg_type is _PONG:
            self._on_pong(frame)
        elif msg_type is _CLOSE:
            self._on_close_frame(frame)
        elif frame.rsv1 or frame.rsv2 or frame.rsv3:
            self._fail(WSCloseCode.PROTOCOL_ERROR, "reserved bits must be 0")
        elif msg_type is _CONTINUATION:
            self._on_continuation(frame)
        elif self._fragments is not None:
            self._fail(WSCloseCode.PROTOCOL_ERROR, "expected a continuation frame")
        elif msg_type is _TEXT:  # the first fragment of a message
            self._fragments = [frame.get_payload_as_bytes()]
            self._fragment_size = frame.payload_size
        elif msg_type is _BINARY:
            self._put(None)
            if self._state == _OPEN:
                self._state = _DRAINING

    def _on_continuation(self, frame: WSFrame) -> None:
        fragments = self._fragments
        if fragments is None:
            self._fail(WSCloseCode.PROTOCOL_ERROR, "unexpected continuation frame")
            return
        self._fragment_size += frame.payload_size
        if self._fragment_size > self._limits.max_message_size:
            self._fail(
                WSCloseCode.MESSAGE_TOO_BIG,
                f"message over size limit ({self._fragment_size} > {self._limits.max_message_size} bytes)",
            )
            return
        fragments.append(frame.get_payload_as_bytes())
        if not frame.fin:
            return
        self._fragments = None
        try:
            message = b"".join(fragments).decode()
        except UnicodeDecodeError:
            self._fail(WSCloseCode.INVALID_TEXT, "invalid UTF-8 in a text message")
            return
        self._put(message)

    def _on_close_frame(self, frame: WSFrame) -> None:
        assert self._transport is not None
        if self._state < _CLOSING:
            # The peer closes: answer with the same code and reason, then end the TCP link (the server's part).
            self._enter_closing()
            self._transport.send(_CLOSE, frame.get_payload_as_bytes())
        self._transport.disconnect()

    # ------------------------------------------------------------------------------------ keepalive

    def _send_keepalive_ping(self) -> None:
        self._ping_timer = None
        if self._state >= _CLOSING or self._transport is None:
            return
        self._ping_payload = os.urandom(4)
        self._ping_sent_at = self._loop.time()
        self._transport.send_ping(self._ping_payload)
        self._ping_timer = self._loop.call_later(self._limits.ping_timeout, self._keepalive_timed_out)

    def _on_pong(self, frame: WSFrame) -> None:
        if self._ping_payload is None or frame.get_payload_as_bytes() != self._ping_payload:
            return  # unsolicited, or for an older ping
        self._ping_payload = None
        if self._ping_timer is not None:
            self._ping_timer.cancel()
        if self._state < _CLOSING:
            latency = self._loop.time() - self._ping_sent_at
            delay = max(self._limits.ping_interval - latency, 0.0)
            self._ping_timer = self._loop.call_later(delay, self._send_keepalive_ping)

    def _keepalive_timed_out(self) -> None:
        self._ping_timer = None
        if self._ping_payload is not None:
            log.debug("%s: no pong within %gs; dropping the connection", self.remote_address, self._limits.ping_timeout)
            self._fail(WSCloseCode.INTERNAL_ERROR, "keepalive ping timeout")

    # ------------------------------------------------------------------------------------ closing

    def _fail(self, code: WSCloseCode, reason: str) -> None:
        """A protocol failure: send a close frame and end the TCP link without waiting for the peer's."""
        assert self._transport is not None
        self.close(code, reason)
        self._transport.disconnect()

    def _enter_closing(self) -> None:
        self._state = _CLOSING
        self._fragments = None
        self._stop_taking()
        if self._ping_timer is not None:
            self._ping_timer.cancel()
            self._ping_timer = None
        self._close_timer = self._loop.call_later(self._limits.close_timeout, self._abort)

    def _abort(self) -> None:
        self._close_timer = None
        if self._state != _CLOSED and self._transport is not None:
            log.debug(
                "%s: closing handshake not finished within %gs; aborting",
                self.remote_address,
                self._limits.close_timeout,
            )
            self._transport.disconnect(graceful=False)

    def _stop_taking(self) -> None:
        self._inbox.clear()
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def _resume_reading(self) -> None:
        self._reading_paused = False
        if self._state < _CLOSING and self._transport is not None:
            self._transport.underlying_transport.resume_reading()

    async def _drained(self) -> None:
        if self._drain_waiter is None:
            self._drain_waiter = self._loop.create_future()
        await asyncio.shield(self._drain_waiter)
        if self._state == _CLOSED:
            raise ConnectionClosed("connection lost")

    def _wake_writers(self) -> None:
        waiter, self._drain_waiter = self._drain_waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


def _not_connected(msg_type: WSMsgType, data: bytes) -> None:
    raise ConnectionClosed("not connected")
