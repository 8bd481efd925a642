"""MessageCounts: what an RpcSession counts per frame for the metrics, and that every label stays bounded."""

from __future__ import annotations

import asyncio
import contextlib

import orjson

from tests.ocppj.test_session import V16, V201, a_call, a_session, heartbeat_16, until_sent
from voltline.ocppj import (
    OTHER_CODE,
    UNKNOWN_ACTION,
    UNREADABLE,
    CallErrorReceived,
    MessageCounts,
    OcppVersion,
    SchemaRegistry,
)

CALL, CALLRESULT, CALLERROR = 2, 3, 4
IN, OUT = False, True


def frames(counts: MessageCounts, version: OcppVersion) -> dict[tuple[bool, int, str], int]:
    """The non-zero frame counts of one version, flat: (outbound, MessageTypeId, action) -> frames."""
    return {
        (outbound, kind, action): count
        for (outbound, kind), actions in counts.of(version).frames.items()
        for action, count in actions.items()
    }


async def test_a_handled_call_counts_the_call_in_and_the_result_out(schemas: SchemaRegistry) -> None:
    counts = MessageCounts()
    session, _ = a_session(schemas, handlers={"Heartbeat": heartbeat_16}, counts=counts)
    for n in range(3):
        await session.on_message(a_call(f"m{n}", "Heartbeat", {}))
    assert frames(counts, V16) == {(IN, CALL, "Heartbeat"): 3, (OUT, CALLRESULT, "Heartbeat"): 3}
    assert counts.of(V16).errors == {}


async def test_errors_are_counted_by_code_under_bounded_action_labels(schemas: SchemaRegistry) -> None:
    counts = MessageCounts()
    session, send = a_session(schemas, V201, handlers={"Heartbeat": heartbeat_16}, counts=counts)
    await session.on_message(b"not json")
    await session.on_message(a_call("m1", "MadeUpAction", {}))
    await session.on_message(a_call("m2", "Heartbeat", {"unexpected": 1}))  # schema violation
    await session.on_message(a_call("m3", "DataTransfer", {"vendorId": "x"}))  # known, no handler
    assert [frame[2] for frame in send.frames] == [
        "RpcFrameworkError",
        "NotImplemented",
        "FormatViolation",
        "NotSupported",
    ]
    assert frames(counts, V201) == {
        (IN, UNREADABLE, UNKNOWN_ACTION): 1,
        (IN, CALL, UNKNOWN_ACTION): 1,  # "MadeUpAction" is the peer's text: never a label
        (IN, CALL, "Heartbeat"): 1,
        (IN, CALL, "DataTransfer"): 1,
        (OUT, CALLERROR, UNKNOWN_ACTION): 2,
        (OUT, CALLERROR, "Heartbeat"): 1,
        (OUT, CALLERROR, "DataTransfer"): 1,
    }
    assert counts.of(V201).errors == {
        (OUT, "RpcFrameworkError"): 1,
        (OUT, "NotImplemented"): 1,
        (OUT, "FormatViolation"): 1,
        (OUT, "NotSupported"): 1,
    }


async def test_an_outgoing_call_and_its_answers_count_under_its_action(schemas: SchemaRegistry) -> None:
    counts = MessageCounts()
    session, send = a_session(schemas, counts=counts)

    async def answered_with(answer: list[object]) -> None:
        call = asyncio.create_task(session.call("ClearCache", {}, timeout=5))
        await until_sent(send, len(send.sent) + 1)
        await session.on_message(orjson.dumps([answer[0], send.frames[-1][1], *answer[1:]]))
        with contextlib.suppress(CallErrorReceived):  # a CALLERROR answer: raised, counted all the same
            await call

    await answered_with([3, {"status": "Accepted"}])
    await answered_with([4, "GenericError", "no", {}])
    await answered_with([4, "SomethingInvented", "no", {}])  # a code 1.6 does not define
    await session.on_message(orjson.dumps([3, "never-asked", {}]))  # an answer to no call in flight
    assert frames(counts, V16) == {
        (OUT, CALL, "ClearCache"): 3,
        (IN, CALLRESULT, "ClearCache"): 1,
        (IN, CALLERROR, "ClearCache"): 2,
        (IN, CALLRESULT, UNKNOWN_ACTION): 1,
    }
    assert counts.of(V16).errors == {(IN, "GenericError"): 1, (IN, OTHER_CODE): 1}


async def test_a_session_without_counts_counts_nothing(schemas: SchemaRegistry) -> None:
    counts = MessageCounts()
    other_version, _ = a_session(schemas, V201, handlers={"Heartbeat": heartbeat_16}, counts=counts)
    session, send = a_session(schemas, handlers={"Heartbeat": heartbeat_16})
    await session.on_message(a_call("m1", "Heartbeat", {}))
    assert send.frames[0][0] == CALLRESULT
    await other_version.on_message(a_call("m1", "Heartbeat", {}))
    assert frames(counts, V16) == {}  # a session counts under its own version only
