"""The load generator's frames are valid OCPP-J CALLs against the OCA schemas, and its WebSocket framing is right."""

from __future__ import annotations

import csv
import io
from collections import Counter

import orjson
import pytest
from websockets.frames import Frame
from websockets.streams import StreamReader

from bench.frames import ACTIONS, KINDS, V16, V201, StationFrames, mix_pattern, timestamp
from bench.generator import client_frame, latency_summary, mask
from bench.make_fleet import DEFAULT_PASSWORD_SCHEME, write_fleet
from tests.support.schema_check import validator


def a_station(version: str, in_transaction: bool) -> StationFrames:
    station = StationFrames(version, "BENCH-00042", "BENCH-TAG-1")
    if in_transaction:
        station.tx_id = 42 if version == V16 else b"BENCH-00042-1"
    return station


@pytest.mark.parametrize("version", [V16, V201])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("in_transaction", [True, False])
def test_every_frame_is_a_schema_valid_call(version: str, kind: str, in_transaction: bool) -> None:
    station = a_station(version, in_transaction)
    raw = station.frame(kind, b"17")
    assert b" " not in raw.replace(b"Eastron SDM630", b"")  # compact on the wire
    frame = orjson.loads(raw)
    assert frame[:3] == [2, "17", ACTIONS[version][kind]]
    errors = list(validator(version, frame[2], "request").iter_errors(frame[3]))
    assert not errors, [e.message for e in errors]


def test_v201_transaction_lifecycle_keeps_seq_no_and_ids() -> None:
    station = StationFrames(V201, "CP-1")
    started = orjson.loads(station.frame("start", b"1"))[3]
    updated = orjson.loads(station.frame("meter", b"2"))[3]
    ended = orjson.loads(station.frame("stop", b"3"))[3]
    assert [started["seqNo"], updated["seqNo"], ended["seqNo"]] == [0, 1, 2]
    assert started["transactionInfo"]["transactionId"] == ended["transactionInfo"]["transactionId"] == "CP-1-1"
    assert not station.in_transaction
    again = orjson.loads(station.frame("start", b"4"))[3]
    assert again["transactionInfo"]["transactionId"] == "CP-1-2" and again["seqNo"] == 0


def test_v16_transaction_id_comes_from_the_answer() -> None:
    station = StationFrames(V16, "CP-1")
    station.answered("start", {"transactionId": 99, "idTagInfo": {"status": "Accepted"}})
    assert orjson.loads(station.frame("meter", b"1"))[3]["transactionId"] == 99
    station.answered("stop", {})
    assert not station.in_transaction


def test_mix_has_the_default_proportions_and_stop_is_followed_by_start() -> None:
    pattern = mix_pattern()
    counts = Counter(pattern)
    assert len(pattern) == 100
    assert counts["meter"] == 55 and counts["heartbeat"] == 25 and counts["status"] == 12
    assert counts["authorize"] + counts["start"] + counts["stop"] == 8
    for index, kind in enumerate(pattern):
        if kind == "stop":
            assert pattern[index + 1] == "start"


def test_timestamps_are_rfc3339_utc_with_milliseconds() -> None:
    stamp = timestamp().decode()
    assert len(stamp) == 24 and stamp.endswith("Z") and stamp[10] == "T"


@pytest.mark.parametrize("size", [0, 5, 125, 126, 300, 65535, 65536, 70000])
def test_client_frames_decode_as_masked_websocket_frames(size: int) -> None:
    payload = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    reader = StreamReader()
    reader.feed_data(client_frame(0x1, payload))
    reader.feed_eof()
    parser = Frame.parse(reader.read_exact, mask=True)
    try:
        next(parser)
        while True:
            next(parser)
    except StopIteration as done:
        frame = done.value
    assert frame.fin and frame.opcode.value == 1 and frame.data == payload
    assert mask(mask(payload, b"abcd"), b"abcd") == payload


def test_latency_summary_is_exact_on_sorted_samples() -> None:
    summary = latency_summary([i / 1000 for i in range(1, 101)])
    assert summary["count"] == 100 and summary["p50_ms"] == 50.0 and summary["max_ms"] == 100.0
    assert latency_summary([])["p99_ms"] is None


def test_fleet_csv_matches_the_generator_password_scheme() -> None:
    out = io.StringIO()
    assert write_fleet(out, [("S16-", 3), ("C16-", 2)]) == 5
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows[0] == {"id": "S16-00000", "password": "pw-S16-00000-bench-secret", "security_profile": "1"}
    assert rows[-1]["id"] == "C16-00001"
    assert all(row["password"] == DEFAULT_PASSWORD_SCHEME.format(id=row["id"]) for row in rows)
