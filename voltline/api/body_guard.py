"""Request bodies cost the station event loop as little as possible, and nothing before the caller is known.

The API shares its event loop with the station gateway, so whatever an HTTP request makes the loop do,
every connected station waits for. `BodyGuard` wraps the receive channel of every HTTP request:

- a `Content-Length` above the limit (`VOLTLINE_HTTP_MAX_BODY`) is answered 413 from the headers, and a
  streamed body is counted while it arrives and refused (413) as soon as it passes the limit: no request
  makes the server hold more than the limit;
- when an endpoint first reads its body, the caller is authenticated and authorized first (the hook
  `before_body`, voltline/api/auth.py), so an anonymous client's body is never even read;
- a JSON body is parsed once here, off the event loop when it is large, with the rules FastAPI's parser
  lacks: no duplicate keys (the last would silently win), no object with more than `MAX_OBJECT_MEMBERS`
  members (a body of a million unknown keys would otherwise be a million validation errors), nesting and
  numbers within the parser's limits. A refusal is FastAPI's own "not valid JSON" 422, naming the rule.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# No request model comes close; free-form JSON (vendor data) has no business being wider.
MAX_OBJECT_MEMBERS = 256
# Bodies up to this size are parsed in the event loop: well under a millisecond, less than a thread hop.
PARSE_IN_LOOP_BYTES = 64 * 1024

BeforeBody = Callable[[Scope], Awaitable[None]]


def too_large(limit: int) -> str:
    return f"the request body is larger than {limit} bytes (VOLTLINE_HTTP_MAX_BODY)"


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=too_large(limit))


class RefusedJson(json.JSONDecodeError):
    """A body that is JSON but breaks one of our rules. FastAPI answers a JSONDecodeError raised while it
    reads the body as its own invalid-JSON 422; a negative position means "no position"."""

    def __init__(self, message: str, document: str = "", position: int = -1) -> None:
        super().__init__(message, document, position)
        self.pos = position


def _members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    if len(pairs) > MAX_OBJECT_MEMBERS:
        raise RefusedJson(f"an object has {len(pairs)} members, more than the {MAX_OBJECT_MEMBERS} allowed")
    members = dict(pairs)
    if len(members) != len(pairs):
        seen: set[str] = set()
        duplicate = next(key for key, _ in pairs if key in seen or seen.add(key))  # type: ignore[func-returns-value]
        raise RefusedJson(f"duplicate key {json.dumps(duplicate)[:80]}")
    return members


def check_json(body: bytes) -> None:
    """Raise RefusedJson (or the parser's own JSONDecodeError) for a body FastAPI must not take as JSON."""
    try:
        json.loads(body, object_pairs_hook=_members)
    except json.JSONDecodeError:
        raise
    except UnicodeDecodeError as error:
        raise RefusedJson(f"the body is not UTF-8 (byte {error.start})") from None
    except RecursionError:
        raise RefusedJson("the body is nested too deeply") from None
    except ValueError as error:  # e.g. an integer of more digits than Python converts
        raise RefusedJson(" ".join(str(error).split())[:200]) from None


def _is_json(scope: Scope) -> bool:
    headers: list[tuple[bytes, bytes]] = scope.get("headers") or []
    for name, value in headers:
        if name == b"content-type":
            media = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or (media.startswith(b"application/") and media.endswith(b"+json"))
    return False


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers") or ():
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyGuard:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int, before_body: BeforeBody | None = None) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self._before_body = before_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _content_length(scope)
        if length is not None and length > self.max_body_bytes:
            answer = JSONResponse({"detail": too_large(self.max_body_bytes), "errors": []}, status_code=413)
            await answer(scope, receive, send)
            return
        await self.app(scope, self._guarded(scope, receive), send)

    def _guarded(self, scope: Scope, receive: Receive) -> Receive:
        read = False

        async def guarded_receive() -> Message:
            nonlocal read
            if read:
                return await receive()  # after the body: only the client's disconnect is left to hear
            read = True
            if self._before_body is not None:
                await self._before_body(scope)
            return await self._whole_body(scope, receive)

        return guarded_receive

    async def _whole_body(self, scope: Scope, receive: Receive) -> Message:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return message  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                raise BodyTooLarge(self.max_body_bytes)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body and _is_json(scope):
            if len(body) <= PARSE_IN_LOOP_BYTES:
                check_json(body)
            else:
                # The hook runs Python for every object, so the interpreter hands the loop back between them.
                await asyncio.to_thread(check_json, body)
        return {"type": "http.request", "body": body, "more_body": False}
