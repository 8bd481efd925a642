"""A live event stream ends with the credential that opened it, through the real server: an SSE client
logged in as a user loses its stream when it logs out, an integration's when its key is revoked."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.conftest import ADMIN_TOKEN, API_TIMEOUT_S, RunningServer
from tests.e2e.test_events import SseReader, listening
from tests.support.accounts import bearer, create_user, session_token

# "At once": the announcement, not the 5 s timer, ends the stream; with room for a slow machine.
PROMPTLY = 4.0


def sse_client(server: RunningServer, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=server.http_url, headers=bearer(token), timeout=httpx.Timeout(30))


async def end_of(reader: SseReader) -> list[str]:
    """The comments the stream sent until it ended; fails when it does not end within PROMPTLY."""
    comments: list[str] = []
    try:
        while (block := await reader.next(within=PROMPTLY)) is not None:
            assert block.event is None, f"an event after the credential ended: {block}"
            comments += block.comments
    except TimeoutError:
        raise AssertionError(f"the stream was still open {PROMPTLY} s after its credential ended") from None
    return comments


async def test_logout_and_key_revocation_end_open_streams(server: RunningServer, api: httpx.AsyncClient) -> None:
    await create_user(api, "alice", "viewer")
    key = (await api.post("/api/v1/api-keys", json={"name": "wallboard", "role": "viewer"})).json()
    async with httpx.AsyncClient(base_url=server.http_url, timeout=API_TIMEOUT_S) as anonymous:
        token = await session_token(anonymous, "alice")
        async with (
            sse_client(server, token) as alice,
            alice.stream("GET", "/api/v1/events") as alice_stream,
            sse_client(server, key["token"]) as wallboard,
            wallboard.stream("GET", "/api/v1/events") as wallboard_stream,
            sse_client(server, ADMIN_TOKEN) as admin,
            admin.stream("GET", "/api/v1/events") as admin_stream,
        ):
            alice_reader = await listening(alice_stream)
            wallboard_reader = await listening(wallboard_stream)
            admin_reader = await listening(admin_stream)

            assert (await anonymous.post("/api/v1/auth/logout", headers=bearer(token))).status_code == 204
            assert "credential ended" in await end_of(alice_reader)
            assert (await anonymous.get("/api/v1/auth/me", headers=bearer(token))).status_code == 401

            assert (await api.delete(f"/api/v1/api-keys/{key['id']}")).status_code == 204
            assert "credential ended" in await end_of(wallboard_reader)
            assert (await anonymous.get("/api/v1/auth/me", headers=bearer(key["token"]))).status_code == 401

            # The admin's stream checked its own credential on each change, and stays open.
            with pytest.raises(TimeoutError):
                await admin_reader.next(within=1.0)
