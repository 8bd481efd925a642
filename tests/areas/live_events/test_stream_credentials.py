"""A live event stream ends with the credential that opened it: logout, API key revocation, a disabled,
reset or removed user, session expiry. Through the real API app (the stream runs to its end inside the
ASGI transport, so each test waits for the response), and the guard's rules on a bare hub: fail closed,
queued events dropped, checks on the announcement and the timer, never per event."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.support.accounts import bearer, create_user, session_token, user_session
from tests.support.api_fixtures import ADMIN_TOKEN, ScriptedLink
from tests.support.waiting import eventually
from tests.support.wiring import api_app, wired_services
from voltline.areas.access.api_access import ApiAccessService
from voltline.areas.access.model import AccessChanged
from voltline.areas.live_events import service
from voltline.areas.live_events.manifest import guard_streams
from voltline.areas.live_events.service import StreamGuard
from voltline.kernel.events import EventBus
from voltline.kernel.live_events import EventHub
from voltline.kernel.services import ServiceRegistry
from voltline.storage.sql.storage import SqlStorage

# Longer than any test: what ends a stream in these tests is the announcement, unless a test shortens it.
NO_TIMER = 600.0
# How long an ended credential may keep its stream open: "at once" with room for a slow CI machine.
PROMPTLY = 5.0


@pytest.fixture(autouse=True)
def no_periodic_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "RECHECK_SECONDS", NO_TIMER)


async def open_stream(client: httpx.AsyncClient, services: ServiceRegistry, token: str) -> asyncio.Task[httpx.Response]:
    """GET /api/v1/events with `token`, running until the stream ends; returns once it is subscribed."""
    guard = services[StreamGuard]
    before = guard.watching
    stream = asyncio.create_task(client.get("/api/v1/events", headers=bearer(token)))

    async def subscribed() -> bool:
        if stream.done():
            raise AssertionError(f"the stream did not open: {stream.result().status_code} {stream.result().text}")
        return guard.watching > before

    await eventually(subscribed, within=10)
    return stream


async def ended(stream: asyncio.Task[httpx.Response], within: float = PROMPTLY) -> str:
    """The stream's whole body once it ended by itself; fails when it is still open after `within` s."""
    try:
        response = await asyncio.wait_for(stream, within)
    except TimeoutError:
        raise AssertionError(f"the stream was still open {within} s after its credential ended") from None
    assert response.status_code == 200
    return response.text


def publish_status(services: ServiceRegistry, status: str) -> None:
    services[EventHub].publish("status", "CP-1", {"status": status})


async def test_logout_ends_the_sessions_stream(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, services: ServiceRegistry
) -> None:
    token = await user_session(client, anonymous, "alice", "viewer")
    stream = await open_stream(anonymous, services, token)
    publish_status(services, "Available")

    assert (await anonymous.post("/api/v1/auth/logout", headers=bearer(token))).status_code == 204

    body = await ended(stream)
    assert ": listening" in body and '"status":"Available"' in body  # what came before was delivered
    assert body.rstrip().endswith(": credential ended")
    assert (await anonymous.get("/api/v1/auth/me", headers=bearer(token))).status_code == 401
    assert services[StreamGuard].watching == 0 and services[EventHub].subscriber_count == 0


async def test_revoking_an_api_key_ends_its_stream(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, services: ServiceRegistry
) -> None:
    created = (await client.post("/api/v1/api-keys", json={"name": "wallboard", "role": "viewer"})).json()
    stream = await open_stream(anonymous, services, created["token"])

    assert (await client.delete(f"/api/v1/api-keys/{created['id']}")).status_code == 204

    assert (await ended(stream)).rstrip().endswith(": credential ended")
    assert (await anonymous.get("/api/v1/auth/me", headers=bearer(created["token"]))).status_code == 401


@pytest.mark.parametrize(
    "change", [{"disabled": True}, {"password": "a brand new password 42"}, {"reset_mfa": True}], ids=str
)
async def test_disabling_or_resetting_a_user_ends_their_stream(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, services: ServiceRegistry, change: dict[str, object]
) -> None:
    user_id = await create_user(client, "alice", "operator")
    token = await session_token(anonymous, "alice")
    stream = await open_stream(anonymous, services, token)

    assert (await client.patch(f"/api/v1/users/{user_id}", json=change)).status_code == 200

    assert (await ended(stream)).rstrip().endswith(": credential ended")
    assert (await anonymous.get("/api/v1/auth/me", headers=bearer(token))).status_code == 401


async def test_removing_a_user_ends_their_stream(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, services: ServiceRegistry
) -> None:
    user_id = await create_user(client, "alice", "viewer")
    stream = await open_stream(anonymous, services, await session_token(anonymous, "alice"))

    assert (await client.delete(f"/api/v1/users/{user_id}")).status_code == 204

    assert (await ended(stream)).rstrip().endswith(": credential ended")


async def test_someone_elses_logout_leaves_a_stream_open(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, services: ServiceRegistry
) -> None:
    alice = await user_session(client, anonymous, "alice", "viewer")
    bob = await user_session(client, anonymous, "bob", "viewer")
    stream = await open_stream(anonymous, services, alice)
    key = (await client.post("/api/v1/api-keys", json={"name": "other", "role": "viewer"})).json()

    assert (await anonymous.post("/api/v1/auth/logout", headers=bearer(bob))).status_code == 204
    assert (await client.delete(f"/api/v1/api-keys/{key['id']}")).status_code == 204
    await asyncio.sleep(0.3)  # the re-checks ran and found alice's session standing
    assert not stream.done()
    publish_status(services, "Charging")
    services[EventHub].close()  # the server stops

    body = await ended(stream)
    assert '"status":"Charging"' in body and "credential ended" not in body


async def test_an_expired_session_ends_its_stream_at_the_next_periodic_check(
    api_storage: SqlStorage, link: ScriptedLink, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "RECHECK_SECONDS", 0.1)
    # Long enough to log in and open the stream on a loaded machine (argon2 takes its time), short for a test.
    services = wired_services(api_storage, link, heartbeat_interval=60, session_ttl=3.0)
    await services[ApiAccessService].ensure_admin_token(ADMIN_TOKEN)
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(app=api_app(services)), base_url="http://t") as anonymous,
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=api_app(services)),
            base_url="http://t",
            headers=bearer(ADMIN_TOKEN),
        ) as admin,
    ):
        token = await user_session(admin, anonymous, "alice", "viewer")
        stream = await open_stream(anonymous, services, token)
        await asyncio.sleep(0.3)
        assert not stream.done()  # checked, and still good

        body = await ended(stream, within=3.0 + PROMPTLY)  # nobody announced anything: the timer found it

        assert body.rstrip().endswith(": credential ended")
        assert (await anonymous.get("/api/v1/auth/me", headers=bearer(token))).status_code == 401


async def test_a_stream_opened_with_the_admin_token_survives_other_changes(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient, services: ServiceRegistry
) -> None:
    stream = await open_stream(client, services, ADMIN_TOKEN)
    user_id = await create_user(client, "alice", "viewer")
    assert (await client.patch(f"/api/v1/users/{user_id}", json={"disabled": True})).status_code == 200
    await asyncio.sleep(0.3)
    assert not stream.done()
    services[EventHub].close()
    assert "credential ended" not in await ended(stream)


# -- the guard on a bare hub ------------------------------------------------------------------------


class Credential:
    """A check that counts its calls and answers what the test says."""

    def __init__(self) -> None:
        self.valid = True
        self.error: Exception | None = None
        self.checks = 0

    async def __call__(self) -> bool:
        self.checks += 1
        if self.error is not None:
            raise self.error
        return self.valid


@pytest.fixture
async def hub() -> AsyncIterator[EventHub]:
    hub = EventHub()
    yield hub
    hub.close()


async def test_a_check_that_fails_ends_the_stream_and_drops_what_was_queued(hub: EventHub) -> None:
    guard = StreamGuard(hub)
    credential = Credential()
    subscription = hub.subscribe()
    watch = guard.watch(subscription, credential)
    for n in range(3):
        hub.publish("status", "CP-1", {"n": n})  # queued, not read yet
    credential.valid = False

    guard.access_changed()

    assert await asyncio.wait_for(subscription.next(), PROMPTLY) is None
    assert watch.ended and hub.subscriber_count == 0
    guard.release(watch)
    assert guard.watching == 0


async def test_a_check_that_errors_or_hangs_ends_the_stream(hub: EventHub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "CHECK_TIMEOUT_SECONDS", 0.1)
    guard = StreamGuard(hub)
    broken, hanging = Credential(), Credential()
    broken.error = ConnectionError("database unreachable")

    async def never_answers() -> bool:
        await hanging()
        await asyncio.sleep(NO_TIMER)
        return True

    first, second = hub.subscribe(), hub.subscribe()
    watches = [guard.watch(first, broken), guard.watch(second, never_answers)]
    guard.access_changed()

    assert await asyncio.wait_for(first.next(), PROMPTLY) is None
    assert await asyncio.wait_for(second.next(), PROMPTLY) is None
    assert all(watch.ended for watch in watches)


async def test_credentials_are_checked_on_the_announcement_and_the_timer_never_per_event(
    hub: EventHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    bus = EventBus()
    guard = StreamGuard(hub)
    guard_streams(bus, guard)
    credential = Credential()
    subscription = hub.subscribe()
    watch = guard.watch(subscription, credential)

    for n in range(1000):
        hub.publish("status", "CP-1", {"n": n})
        assert await subscription.next() is not None
    await asyncio.sleep(0.05)
    assert credential.checks == 0  # a thousand events delivered, no check

    bus.announce(AccessChanged("logout"))
    await eventually(lambda: _async(credential.checks == 1), within=PROMPTLY)
    assert not watch.ended and not subscription.closed

    guard.release(watch)  # the stream ended: its watch stops
    await asyncio.sleep(0.05)
    monkeypatch.setattr(service, "RECHECK_SECONDS", 0.05)
    timed = Credential()
    watch = guard.watch(hub.subscribe(), timed)
    await eventually(lambda: _async(timed.checks >= 3), within=PROMPTLY)
    timed.valid = False
    await eventually(lambda: _async(watch.ended), within=PROMPTLY)
    assert credential.checks == 1  # the released watch checked nothing more


async def _async(value: bool) -> bool:
    return value
