"""What counting frames for the metrics costs one RpcSession, in nanoseconds per message: a microbenchmark.

The whole-server benchmark (`bench/runner.py`) is too noisy on a small machine to see a fraction of a
microsecond, so this one measures the session alone: the same CALL, handled by a dispatcher that answers
at once and a send that does nothing, with and without `MessageCounts`, interleaved (A B A B ...) so that
drift hits both alike; the best of many rounds is kept, the figure least disturbed by other processes.

    .venv/bin/python -m bench.session_cost [--messages 20000] [--rounds 15]

Instructions instead of time (deterministic, immune to other load): run one variant at a time under
callgrind and divide the difference of the two totals by the messages, e.g.

    for v in plain counted; do valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.$v \
        .venv/bin/python -m bench.session_cost --only $v --messages 20000; done
    # (Ir of counted - Ir of plain) / 20000 / 2 cases = instructions per message
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import orjson

from voltline.ocppj import MessageCounts, OcppVersion, RpcSession, SchemaRegistry

NOW = "2026-01-01T00:00:00Z"
CASES: dict[str, tuple[OcppVersion, str, dict[str, Any], dict[str, Any]]] = {
    "1.6 Heartbeat": (OcppVersion.V16, "Heartbeat", {}, {"currentTime": NOW}),
    "2.0.1 StatusNotification": (
        OcppVersion.V201,
        "StatusNotification",
        {"timestamp": NOW, "connectorStatus": "Available", "evseId": 1, "connectorId": 1},
        {},
    ),
}


class _Answering:
    def __init__(self, response: dict[str, Any]) -> None:
        self._response = response

    def supports(self, action: str) -> bool:
        return True

    async def handle(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        return self._response

    def answered(self, action: str) -> None:
        pass


async def _discard(data: bytes) -> None:
    pass


async def _ns_per_message(session: RpcSession, frame: str, messages: int) -> float:
    on_message = session.on_message
    started = time.perf_counter_ns()
    for _ in range(messages):
        await on_message(frame)
    return (time.perf_counter_ns() - started) / messages


async def measure(messages: int, rounds: int) -> dict[str, dict[str, float]]:
    schemas = SchemaRegistry()
    results: dict[str, dict[str, float]] = {}
    for name, (version, action, payload, response) in CASES.items():
        frame = orjson.dumps([2, "m-1", action, payload]).decode()
        plain = RpcSession(version, _discard, _Answering(response), schemas)
        counted = RpcSession(version, _discard, _Answering(response), schemas, counts=MessageCounts())
        await _ns_per_message(plain, frame, messages // 10)  # warm-up: validators compiled, caches filled
        await _ns_per_message(counted, frame, messages // 10)
        best_plain = best_counted = float("inf")
        for _ in range(rounds):
            best_plain = min(best_plain, await _ns_per_message(plain, frame, messages))
            best_counted = min(best_counted, await _ns_per_message(counted, frame, messages))
        results[name] = {
            "without_counts_ns": best_plain,
            "with_counts_ns": best_counted,
            "difference_ns": best_counted - best_plain,
        }
    return results


async def run_once(variant: str, messages: int) -> None:
    """Every case, `messages` times, in one variant only: the same work but for counting, for callgrind."""
    schemas = SchemaRegistry()
    for version, action, payload, response in CASES.values():
        frame = orjson.dumps([2, "m-1", action, payload]).decode()
        counts = MessageCounts() if variant == "counted" else None
        session = RpcSession(version, _discard, _Answering(response), schemas, counts=counts)
        await _ns_per_message(session, frame, messages)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20_000, help="messages per round and variant")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--only", choices=["plain", "counted"], help="one pass of one variant, nothing printed")
    args = parser.parse_args(argv)
    if args.only:
        asyncio.run(run_once(args.only, args.messages))
        return
    results = asyncio.run(measure(args.messages, args.rounds))
    print(f"{'case':<28}{'without counts':>16}{'with counts':>14}{'difference':>13}")
    for name, figures in results.items():
        print(
            f"{name:<28}{figures['without_counts_ns']:>13.0f} ns{figures['with_counts_ns']:>11.0f} ns"
            f"{figures['difference_ns']:>+10.0f} ns"
        )


if __name__ == "__main__":
    main()
