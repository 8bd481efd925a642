from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import pytest

from voltline.ocppj import (
    CallErrorReceived,
    CallQueueFull,
    CallTimeout,
    ErrorKind,
    FrameError,
    InvalidCall,
    InvalidPayload,
    NoAnswer,
    OcppError,
    OcppVersion,
    RpcSession,
    SchemaRegistry,
    SessionClosed,
)

V16 = OcppVersion.V16
V201 = OcppVersion.V201
NOW = "2026-11-23T10:00:00Z"

Handler = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


class FakeSend:
    """Collects what the session sends; can be made to fail like a dropped connection."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.failure: Exception | None = None
        self.on_send: Callable[[list[Any]], None] | None = None

    async def __call__(self, data: bytes) -> None:
        assert isinstance(data, bytes)
        if self.failure is not None:
            raise self.failure
        self.sent.append(data)
        if self.on_send is not None:
            self.on_send(orjson.loads(data))

    @property
    def frames(self) -> list[list[Any]]:
        return [orjson.loads(data) for data in self.sent]


class FakeDispatcher:
    def __init__(self, handlers: dict[str, Handler] | None = None) -> None:
        self.handlers = handlers or {}
        self.handled: list[tuple[str, dict[str, Any]]] = []
        self.answered_actions: list[str] = []

    def supports(self, action: str) -> bool:
        return action in self.handlers

    def answered(self, action: str) -> None:
        self.answered_actions.append(action)

    async def handle(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        self.handled.append((action, payload))
        return await self.handlers[action](payload)


def returning(response: dict[str, Any]) -> Handler:
    async def handler(payload: dict[str, Any]) -> dict[str, Any]:
        return response

    return handler


def raising(exc: Exception) -> Handler:
    async def handler(payload: dict[str, Any]) -> dict[str, Any]:
        raise exc

    return handler


async def heartbeat_16(payload: dict[str, Any]) -> dict[str, Any]:
    return {"currentTime": NOW}


def a_session(
    schemas: SchemaRegistry,
    version: OcppVersion = V16,
    handlers: dict[str, Handler] | None = None,
    **options: Any,
) -> tuple[RpcSession, FakeSend]:
    send = FakeSend()
    return RpcSession(version, send, FakeDispatcher(handlers), schemas, **options), send


def a_call(message_id: str, action: str, payload: dict[str, Any]) -> bytes:
    return orjson.dumps([2, message_id, action, payload])


async def until_sent(send: FakeSend, count: int) -> None:
    for _ in range(100):
        if len(send.sent) >= count:
            return
        await asyncio.sleep(0)
    raise AssertionError(f"expected {count} frames, got {send.frames}")


# ------------------------------------------------------------------------------------------ incoming CALLs


async def test_a_call_is_answered_with_the_handlers_response(schemas: SchemaRegistry) -> None:
    session, send = a_session(schemas, handlers={"Heartbeat": heartbeat_16})
    await session.on_message(a_call("m1", "Heartbeat", {}))
    assert send.frames == [[3, "m1", {"currentTime": NOW}]]


@pytest.mark.parametrize(("version", "code"), [(V16, "NotImplemented"), (V201, "NotImplemented")])
async def test_unknown_action_is_not_implemented(schemas: SchemaRegistry, version: OcppVersion, code: str) -> None:
    session, send = a_session(schemas, version, handlers={"FooBar": heartbeat_16})
    await session.on_message(a_call("m1", "FooBar", {}))
    assert send.frames[0][:3] == [4, "m1", code]


async def test_known_action_without_handler_is_not_supported(schemas: SchemaRegistry) -> None:
    session, send = a_session(schemas, handlers={"Heartbeat": heartbeat_16})
    await session.on_message(a_call("m1", "DataTransfer", {"vendorId": "x"}))
    assert send.frames[0][:3] == [4, "m1", "NotSupported"]


async def test_the_dispatcher_hears_of_an_answer_only_after_it_was_sent(schemas: SchemaRegistry) -> None:
    dispatcher = FakeDispatcher({"Heartbeat": heartbeat_16})
    send = FakeSend()
    sent_before_notice: list[int] = []
    notice = dispatcher.answered
    dispatcher.answered = lambda action: (sent_before_notice.append(len(send.sent)), notice(action))  # type: ignore[method-assign]
    session = RpcSession(V16, send, dispatcher, schemas)
    await session.on_message(a_call("m1", "Heartbeat", {}))
    await session.on_message(a_call("m2", "Heartbeat", {"unexpected": 1}))  # refused: no notice
    assert dispatcher.answered_actions == ["Heartbeat"]
    assert sent_before_notice == [1]


async def test_an_id_reused_before_its_answer_could_arrive_is_refused(schemas: SchemaRegistry) -> None:
    waiting = [0]
    send = FakeSend()
    session = RpcSession(V201, send, FakeDispatcher({"Heartbeat": heartbeat_16}), schemas, backlog=lambda: waiting[0])
    waiting[0] = 2  # while m1 is answered, two more messages (sent before the answer) wait
    await session.on_message(a_call("m1", "Heartbeat", {}))
    waiting[0] = 1
    await session.on_message(a_call("m1", "Heartbeat", {}))  # the station had not seen the answer yet
    waiting[0] = 0
    await session.on_message(a_call("m2", "Heartbeat", {}))
    await session.on_message(a_call("m1", "Heartbeat", {}))  # sent after the answer: not in progress
    assert [frame[:3] for frame in send.frames] == [
        [3, "m1", {"currentTime": NOW}],
        [4, "m1", "RpcFrameworkError"],
        [3, "m2", {"currentTime": NOW}],
        [3, "m1", {"currentTime": NOW}],
    ]


async def test_without_a_backlog_probe_ids_are_not_tracked(schemas: SchemaRegistry) -> None:
    session, send = a_session(schemas, handlers={"Heartbeat": heartbeat_16})
    for _ in range(3):
        await session.on_message(a_call("same", "Heartbeat", {}))
    assert [frame[0] for frame in send.frames] == [3, 3, 3]


async def test_ignoring_a_call_sends_nothing(schemas: SchemaRegistry) -> None:
    session, send = a_session(schemas, handlers={"Heartbeat": raising(NoAnswer())})
    await session.on_message(a_call("m1", "Heartbeat", {}))
    assert send.sent == []


async def test_invalid_request_is_answered_with_the_schema_error_and_not_handled(
    schemas: SchemaRegistry,
) -> None:
    dispatcher = FakeDispatcher({"StartTransaction": returning({})})
    send = FakeSend()
    session = RpcSession(V16, send, dispatcher, schemas)
    await session.on_message(a_call("m1", "StartTransaction", {"connectorId": 1}))
    frame = send.frames[0]
    assert frame[:3] == [4, "m1", "OccurenceConstraintViolation"]
    assert dispatcher.handled == []


async def test_handler_ocpp_error_is_answered_with_its_kind(schemas: SchemaRegistry) -> None:
    error = OcppError(ErrorKind.SECURITY, "not on this connection", {"hint": "use TLS"})
    session, send = a_session(schemas, V201, handlers={"Heartbeat": raising(error)})
    await session.on_message(a_call("m1", "Heartbeat", {}))
    assert send.frames == [[4, "m1", "SecurityError", "not on this connection", {"hint": "use TLS"}]]


async def test_handler_crash_is_an_internal_error_that_leaks_nothing(
    schemas: SchemaRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    boom = RuntimeError("password=hunter2 at /srv/db")
    session, send = a_session(schemas, handlers={"Heartbeat": raising(boom)})
    with caplog.at_level(logging.ERROR, logger="voltline.ocppj"):
        await session.on_message(a_call("m1", "Heartbeat", {}))
    frame = send.frames[0]
    assert frame[:3] == [4, "m1", "InternalError"]
    assert "hunter2" not in send.sent[0].decode()
    assert any(record.exc_info and record.exc_info[1] is boom for record in caplog.records)


async def test_invalid_handler_response_becomes_an_internal_error(
    schemas: SchemaRegistry, caplog: pytest.LogCaptureFixture
) -> None:
    session, send = a_session(schemas, handlers={"Heartbeat": returning({"currentTime": "soon"})})
    with caplog.at_level(logging.ERROR, logger="voltline.ocppj"):
        await session.on_message(a_call("m1", "Heartbeat", {}))
    assert send.frames[0][:3] == [4, "m1", "InternalError"]
    assert "invalid response" in caplog.text


async def test_pipelined_calls_are_answered_in_the_order_received(schemas: SchemaRegistry) -> None:
    delays = iter([0.03, 0.0, 0.01])

    async def slow_heartbeat(payload: dict[str, Any]) -> dict[str, Any]:
        await asyncio.sleep(next(delays))
        return {"currentTime": NOW}

    session, send = a_session(schemas, handlers={"Heartbeat": slow_heartbeat})
    for message_id in ("a", "b", "c"):
        await session.on_message(a_call(message_id, "Heartbeat", {}))
    assert [frame[1] for frame in send.frames] == ["a", "b", "c"]


@pytest.mark.parametrize(("version", "code"), [(V16, "FormationViolation"), (V201, "RpcFrameworkError")])
async def test_unparseable_frame_is_answered_with_unknown_id(
    schemas: SchemaRegistry, version: OcppVersion, code: str
) -> None:
    session, send = a_session(schemas, version)
    await session.on_message(b"\x00garbage")
    assert send.frames[0][:3] == [4, "-1", code]


@pytest.mark.parametrize(("version", "code"), [(V16, "TypeConstraintViolation"), (V201, "TypeConstraintViolation")])
async def test_non_object_payload_is_a_type_constraint_violation(
    schemas: SchemaRegistry, version: OcppVersion, code: str
) -> None:
    session, send = a_session(schemas, version, handlers={"Heartbeat": heartbeat_16})
    await session.on_message('[2, "m1", "Heartbeat", []]')
    assert send.frames[0][:3] == [4, "m1", code]


async def test_unsupported_message_type_is_ignored_on_16(schemas: SchemaRegistry) -> None:
    session, send = a_session(schemas, V16)
    await session.on_message('[7, "m1", "Heartbeat", {}]')
    await session.on_message('[true, "m2", "Heartbeat", {}]')
    assert send.sent == []


async def test_unsupported_message_type_is_answered_on_201(schemas: SchemaRegistry) -> None:
    session, send = a_session(schemas, V201)
    await session.on_message('[7, "m1", "Heartbeat", {}]')
    assert send.frames[0][:3] == [4, "m1", "MessageTypeNotSupported"]


# ------------------------------------------------------------------------------------------ outgoing CALLs


def answer(session: RpcSession, payload: dict[str, Any]) -> Callable[[list[Any]], None]:
    """An on_send hook: the peer answers every CALL at once with `payload`."""

    answering: set[asyncio.Task[None]] = set()  # keep references until the tasks are done

    def on_send(frame: list[Any]) -> None:
        if frame[0] == 2:
            task = asyncio.create_task(session.on_message(orjson.dumps([3, frame[1], payload])))
            answering.add(task)
            task.add_done_callback(answering.discard)

    return on_send


async def test_call_sends_a_call_and_returns_the_result(schemas: SchemaRegistry) -> None:
    session, send = a_session(schemas)
    task = asyncio.create_task(session.call("ChangeAvailability", {"connectorId": 0, "type": "Inoperative"}))
    await until_sent(send, 1)
    kind, message_id, action, payload = send.frames[0]
    assert (kind, action, payload) == (2, "ChangeAvailability", {"connectorId": 0, "type": "Inoperative"})
    assert isinstance(message_id, str) and 0 < len(message_id) <= 36
    await session.on_message(orjson.dumps([3, message_id, {"status": "Accepted"}]))
    assert await task == {"status": "Accepted"}
    assert session.pending_calls == 0


async def test_call_with_an_invalid_payload_raises_and_sends_nothing(schemas: SchemaRegistry) -> None:
    session, send = a_session(schemas)
    # InvalidCall, not the InvalidPayload of an invalid answer: the caller tells its own mistake apart.
    with pytest.raises(InvalidCall) as caught:
        await session.call("ChangeAvailability", {"connectorId": 0, "type": "Sometimes"})
    assert caught.value.kind is ErrorKind.PROPERTY_CONSTRAINT
    with pytest.raises(InvalidCall) as unknown:
        await session.call("TransactionEvent", {})
    assert unknown.value.kind is ErrorKind.NOT_IMPLEMENTED
    assert send.sent == []
    assert session.pending_calls == 0


async def test_an_invalid_result_fails_the_call(schemas: SchemaRegistry) -> None:
    session, send = a_session(schemas)
    task = asyncio.create_task(session.call("ClearCache", {}))
    await until_sent(send, 1)
    await session.on_message(orjson.dumps([3, send.frames[0][1], {"status": "Maybe"}]))
    with pytest.raises(InvalidPayload) as caught:
        await task
    assert caught.value.kind is ErrorKind.PROPERTY_CONSTRAINT


async def test_a_malformed_answer_to_the_call_fails_it_at_once(schemas: SchemaRegistry) -> None:
    session, send = a_session(schemas, call_timeout=30)
    task = asyncio.create_task(session.call("ClearCache", {}))
    await until_sent(send, 1)
    message_id = send.frames[0][1]
    await session.on_message(f'[3, "{message_id}", []]')
    with pytest.raises(FrameError):
        await asyncio.wait_for(task, 1)
    assert send.frames[1][:3] == [4, message_id, "FormationViolation"]


async def test_call_error_raises_call_error_received(schemas: SchemaRegistry) -> None:
    session, send = a_session(schemas, V201)
    task = asyncio.create_task(session.call("Reset", {"type": "Immediate"}))
    await until_sent(send, 1)
    await session.on_message(orjson.dumps([4, send.frames[0][1], "NotSupported", "no", {"why": 1}]))
    with pytest.raises(CallErrorReceived) as caught:
        await task
    assert (caught.value.code, caught.value.description, caught.value.details) == (
        "NotSupported",
        "no",
        {"why": 1},
    )


async def test_one_call_in_flight_and_the_rest_wait_in_fifo_order(schemas: SchemaRegistry) -> None:
    session, send = a_session(schemas)
    tasks = [asyncio.create_task(session.call("UnlockConnector", {"connectorId": n})) for n in (1, 2, 3)]
    await until_sent(send, 1)
    await asyncio.sleep(0.01)
    assert len(send.sent) == 1
    assert session.pending_calls == 3
    for n in (1, 2, 3):
        await until_sent(send, n)
        frame = send.frames[n - 1]
        assert frame[3] == {"connectorId": n}  # FIFO
        assert len(send.sent) == n  # the next one waits for this answer
        await session.on_message(orjson.dumps([3, frame[1], {"status": "Unlocked"}]))
    assert [await task for task in tasks] == [{"status": "Unlocked"}] * 3
    assert len({frame[1] for frame in send.frames}) == 3  # unique ids
    assert session.pending_calls == 0


async def test_too_many_queued_calls_raise_call_queue_full_at_once(schemas: SchemaRegistry) -> None:
    session, send = a_session(schemas, max_queued_calls=2)
    tasks = [asyncio.create_task(session.call("ClearCache", {})) for _ in range(3)]
    await until_sent(send, 1)
    assert session.pending_calls == 3  # one in flight, two queued
    with pytest.raises(CallQueueFull):
        await session.call("ClearCache", {})
    session.close()
    for task in tasks:
        with pytest.raises(SessionClosed):
            await task


async def test_a_cancelled_waiter_leaves_the_queue_working(schemas: SchemaRegistry) -> None:
    session, send = a_session(schemas)
    first = asyncio.create_task(session.call("UnlockConnector", {"connectorId": 1}))
    second = asyncio.create_task(session.call("UnlockConnector", {"connectorId": 2}))
    third = asyncio.create_task(session.call("UnlockConnector", {"connectorId": 3}))
    await until_sent(send, 1)
    second.cancel()
    await asyncio.sleep(0)
    assert session.pending_calls == 2
    await session.on_message(orjson.dumps([3, send.frames[0][1], {"status": "Unlocked"}]))
    await until_sent(send, 2)
    assert send.frames[1][3] == {"connectorId": 3}
    await session.on_message(orjson.dumps([3, send.frames[1][1], {"status": "Unlocked"}]))
    assert await first == await third == {"status": "Unlocked"}
    assert second.cancelled()


async def test_unanswered_call_times_out_and_a_late_result_is_discarded(schemas: SchemaRegistry) -> None:
    session, send = a_session(schemas, call_timeout=30)
    with pytest.raises(CallTimeout):
        await session.call("ClearCache", {}, timeout=0.02)
    assert session.pending_calls == 0
    late_id = send.frames[0][1]
    await session.on_message(orjson.dumps([3, late_id, {"status": "Accepted"}]))
    await session.on_message(orjson.dumps([4, late_id, "GenericError", "", {}]))
    assert len(send.sent) == 1  # nothing answered the late frames

    task = asyncio.create_task(session.call("ClearCache", {}))
    await until_sent(send, 2)
    assert send.frames[1][1] != late_id
    await session.on_message(orjson.dumps([3, late_id, {"status": "Accepted"}]))  # stale id: ignored
    assert not task.done()
    await session.on_message(orjson.dumps([3, send.frames[1][1], {"status": "Rejected"}]))
    assert await task == {"status": "Rejected"}


async def test_call_timeout_comes_from_the_session_when_not_given(schemas: SchemaRegistry) -> None:
    session, _ = a_session(schemas, call_timeout=0.02)
    with pytest.raises(CallTimeout):
        await asyncio.wait_for(session.call("ClearCache", {}), 1)


async def test_10000_unknown_results_are_discarded_and_the_next_call_works(schemas: SchemaRegistry) -> None:
    session, send = a_session(schemas)
    for n in range(10_000):
        await session.on_message(f'[3, "unknown-{n}", {{"status": "Accepted"}}]')
        await session.on_message(f'[4, "unknown-{n}", "GenericError", "", {{}}]')
    assert send.sent == []
    assert session.pending_calls == 0
    send.on_send = answer(session, {"status": "Accepted"})
    assert await asyncio.wait_for(session.call("ClearCache", {}), 1) == {"status": "Accepted"}


async def test_message_ids_are_unique_and_at_most_36_characters(schemas: SchemaRegistry) -> None:
    session, send = a_session(schemas)
    other, other_send = a_session(schemas)
    send.on_send = answer(session, {"status": "Accepted"})
    other_send.on_send = answer(other, {"status": "Accepted"})
    for _ in range(200):
        await asyncio.wait_for(session.call("ClearCache", {}), 1)
        await asyncio.wait_for(other.call("ClearCache", {}), 1)
    ids = [frame[1] for frame in send.frames + other_send.frames]
    assert len(set(ids)) == 400  # also unique across sessions (reconnects of the same station)
    assert all(0 < len(message_id) <= 36 for message_id in ids)


async def test_close_fails_in_flight_and_queued_calls_and_later_calls(schemas: SchemaRegistry) -> None:
    session, send = a_session(schemas)
    tasks = [asyncio.create_task(session.call("ClearCache", {})) for _ in range(3)]
    await until_sent(send, 1)
    session.close("station went away")
    assert session.closed
    for task in tasks:
        with pytest.raises(SessionClosed, match="station went away"):
            await task
    assert len(send.sent) == 1
    assert session.pending_calls == 0
    with pytest.raises(SessionClosed):
        await session.call("ClearCache", {})
    session.close()  # idempotent


async def test_a_failing_send_raises_session_closed_and_frees_the_slot(schemas: SchemaRegistry) -> None:
    session, send = a_session(schemas)
    send.failure = ConnectionResetError("gone")
    with pytest.raises(SessionClosed):
        await session.call("ClearCache", {})
    assert session.pending_calls == 0
    send.failure = None
    send.on_send = answer(session, {"status": "Accepted"})
    assert await asyncio.wait_for(session.call("ClearCache", {}), 1) == {"status": "Accepted"}


async def test_sessions_are_symmetric_a_charge_point_answers_csms_calls(schemas: SchemaRegistry) -> None:
    """Two sessions wired back to back: the charge point's CALL reaches the CSMS handler and back."""
    boot = {"status": "Accepted", "currentTime": NOW, "interval": 300}
    csms_handlers = {"BootNotification": returning(boot)}
    to_csms: list[bytes] = []
    to_station: list[bytes] = []

    async def send_to_csms(data: bytes) -> None:
        to_csms.append(data)

    async def send_to_station(data: bytes) -> None:
        to_station.append(data)

    csms = RpcSession(V16, send_to_station, FakeDispatcher(csms_handlers), schemas)
    station = RpcSession(V16, send_to_csms, FakeDispatcher(), schemas)
    task = asyncio.create_task(station.call("BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}))
    for _ in range(10):
        await asyncio.sleep(0)
    await csms.on_message(to_csms.pop())
    await station.on_message(to_station.pop())
    assert await task == boot


@pytest.mark.parametrize("version", [V16, V201])
async def test_nul_in_any_string_is_refused_before_the_handler_runs(
    schemas: SchemaRegistry, version: OcppVersion
) -> None:
    calls: list[dict[str, object]] = []

    async def record(payload: dict[str, object]) -> dict[str, object]:
        calls.append(payload)
        return {"currentTime": "2026-11-23T10:00:00Z"}

    session, send = a_session(schemas, version, handlers={"Heartbeat": record})
    await session.on_message('[2, "m1", "Heartbeat", {"x": ["ok", "A\\u0000B"]}]')
    assert send.frames[0][:3] == [4, "m1", "PropertyConstraintViolation"]
    await session.on_message('[2, "m2", "Heartbeat", {}]')  # the session goes on serving
    assert send.frames[1][0] == 3
    assert calls == [{}]
