"""Property test of the station channel (issue 5, acceptance): for every action of OCPP 1.6 and 2.0.1,
schema-valid and mutated payloads, and malformed frames, fed to a real `RpcSession` + `StationDispatcher`
over real services and SQLite.

The oracle is independent of voltline: expected error codes are spelled here, payload validity is
judged by `jsonschema` (tests.support.schema_check), and every CALLRESULT is checked against the
response schema. For each CALL: exactly one answer frame carrying the CALL's message id, never an
exception out of `on_message`, never longer than FRAME_TIMEOUT.

* action unknown to the version -> NotImplemented; known but not routed -> NotSupported (before any
  validation, so also for invalid payloads);
* valid payload of a routed action -> CALLRESULT valid against the response schema. No business CALLERROR
  is allowed for valid input: none of our handlers has a protocol reason to refuse one;
* one schema violation -> the code the version names: missing required -> Occurrence, wrong JSON type ->
  Type, enum / maxLength / format / range / item count -> Property, extra property -> Formation (1.6) /
  Format (2.0.1). Each mutation is checked (with jsonschema) to produce exactly that one violation;
* lone surrogates and numbers beyond a double: the frame cannot be decoded -> envelope error, id "-1";
* broken frames -> the error OCPP-J names, and the session answers a Heartbeat afterwards.

Examples are derandomized (reproducible in CI) and the database is shared by all examples of a test, so
state builds up as on a real connection (transactions started, stopped, meter values stored ...).
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.property.harness import StationChannel, station_channel
from tests.property.schema_strategies import (
    Site,
    load_schema,
    payloads,
    replace_at,
    request_actions,
    sites,
)
from tests.support.schema_check import ERROR_CODES, validator, version_key
from tests.support.wiring import routed_actions
from voltline.ocppj import OcppVersion

VERSIONS = [OcppVersion.V16, OcppVersion.V201]
# Budget: the whole tests/property suite in well under a minute on a slow two-core CI machine.
VALID_EXAMPLES = 150
MUTATED_EXAMPLES = 200
FRAME_EXAMPLES = 100
UNKNOWN_ACTION_EXAMPLES = 30
GENERATOR_EXAMPLES = 5
PROPERTY_SETTINGS = settings(
    max_examples=VALID_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

OCCURRENCE, TYPE, PROPERTY, FORMAT = "occurrence", "type", "property", "format"
# Spelled here, not taken from voltline: 1.6 misspells "Occurence" and says "Formation".
CODES: dict[OcppVersion, dict[str, str]] = {
    OcppVersion.V16: {
        OCCURRENCE: "OccurenceConstraintViolation",
        TYPE: "TypeConstraintViolation",
        PROPERTY: "PropertyConstraintViolation",
        FORMAT: "FormationViolation",
    },
    OcppVersion.V201: {
        OCCURRENCE: "OccurrenceConstraintViolation",
        TYPE: "TypeConstraintViolation",
        PROPERTY: "PropertyConstraintViolation",
        FORMAT: "FormatViolation",
    },
}
# A frame that is no RPC message at all (id unreadable): 1.6 has only FormationViolation; 2.0.1 names
# RpcFrameworkError for it, and FormatViolation is accepted too (issue 5, case 1).
ENVELOPE_CODES: dict[OcppVersion, frozenset[str]] = {
    OcppVersion.V16: frozenset({"FormationViolation"}),
    OcppVersion.V201: frozenset({"RpcFrameworkError", "FormatViolation"}),
}
KEYWORD_KIND = {
    "required": OCCURRENCE,
    "type": TYPE,
    "additionalProperties": FORMAT,
    **dict.fromkeys(
        ("enum", "maxLength", "minLength", "format", "minimum", "maximum", "multipleOf", "minItems", "maxItems"),
        PROPERTY,
    ),
}
MARKER = "@@raw-value@@"


def routed(version: OcppVersion) -> list[str]:
    return routed_actions(version)


def all_actions(version: OcppVersion) -> list[str]:
    return request_actions(version_key(version))


def schema_errors(version: OcppVersion, action: str, kind: str, payload: Any) -> list[Any]:
    return list(validator(version, action, kind).iter_errors(payload))


# --------------------------------------------------------------------------------------- the oracle


def call_frame(message_id: str, action: str, payload: dict[str, Any], raw_value: bytes | None = None) -> bytes:
    frame = orjson.dumps([2, message_id, action, payload])
    if raw_value is not None:
        marker = orjson.dumps(MARKER)
        assert frame.count(marker) == 1
        frame = frame.replace(marker, raw_value)
    return frame


def single_answer(channel: StationChannel, raw: bytes, message_id: str) -> list[Any]:
    answers = channel.exchange(raw)
    assert len(answers) == 1, f"expected exactly one answer, got {answers!r} for {raw[:300]!r}"
    answer = answers[0]
    assert answer[0] in (3, 4) and answer[1] == message_id, f"answer {answer!r} to {raw[:300]!r}"
    if answer[0] == 4:
        assert len(answer) == 5 and isinstance(answer[3], str) and isinstance(answer[4], dict), answer
        assert answer[2] in ERROR_CODES[version_key(channel.version)], answer
    return answer


def assert_valid_result(channel: StationChannel, action: str, answer: list[Any], sent: Any) -> None:
    assert answer[0] == 3, f"{action}: valid request {sent!r} answered with {answer!r}"
    errors = schema_errors(channel.version, action, "response", answer[2])
    assert not errors, f"{action}: response {answer[2]!r} invalid: {errors[0].message}"


def assert_error(answer: list[Any], codes: frozenset[str] | str, context: Any) -> None:
    expected = frozenset({codes}) if isinstance(codes, str) else codes
    assert answer[0] == 4 and answer[2] in expected, f"expected CALLERROR {sorted(expected)}, got {answer!r}: {context}"


def assert_still_serving(channel: StationChannel) -> None:
    message_id = channel.message_id()
    answer = single_answer(channel, call_frame(message_id, "Heartbeat", {}), message_id)
    assert_valid_result(channel, "Heartbeat", answer, {})


def answer_call(channel: StationChannel, action: str, payload: dict[str, Any], raw: bytes | None = None) -> list[Any]:
    message_id = channel.message_id()
    return single_answer(channel, call_frame(message_id, action, payload, raw), message_id)


# --------------------------------------------------------------------------------------- mutations


@dataclass(frozen=True)
class Mutation:
    name: str
    payload: dict[str, Any]
    expect: str | None  # the error kind (one schema keyword violated), None for "the frame is undecodable"
    raw_value: bytes | None = None


def _types(site: Site) -> set[str]:
    kind = site.schema.get("type")
    return {kind} if isinstance(kind, str) else set(kind or ())


def candidate_mutations(payload: dict[str, Any], root: dict[str, Any]) -> list[Mutation]:
    """Every single-violation mutation applicable to `payload`."""
    found: list[Mutation] = []
    for site in sites(payload, root, root):
        node, value, path = site.schema, site.value, site.path
        where = "/".join(map(str, path)) or "<root>"
        if isinstance(value, dict):
            for key in sorted(set(node.get("required", ())) & set(value)):
                smaller = {k: v for k, v in value.items() if k != key}
                found.append(Mutation(f"drop required {where}/{key}", replace_at(payload, path, smaller), OCCURRENCE))
            if node.get("additionalProperties") is False:
                bigger = {**value, "unexpectedField": "x"}
                found.append(Mutation(f"extra property at {where}", replace_at(payload, path, bigger), FORMAT))
        if isinstance(value, list):
            low, high = node.get("minItems", 0), node.get("maxItems")
            if low > 0:
                found.append(Mutation(f"too few items at {where}", replace_at(payload, path, []), PROPERTY))
            if high is not None and high <= 16 and value:
                more = [value[0]] * (high + 1)
                found.append(Mutation(f"too many items at {where}", replace_at(payload, path, more), PROPERTY))
        if not path:
            continue
        types = _types(site)
        if "enum" in node:
            found.append(Mutation(f"not in enum at {where}", replace_at(payload, path, "NotInTheEnum"), PROPERTY))
        elif types:  # a wrong type on an enum field breaks both "type" and "enum": not a single violation
            wrong: Any = 42 if "string" in types else "42" if types & {"integer", "number"} else "text"
            found.append(Mutation(f"wrong type at {where}", replace_at(payload, path, wrong), TYPE))
        if "string" in types and "maxLength" in node:
            too_long = "x" * (node["maxLength"] + 1)
            found.append(Mutation(f"over maxLength at {where}", replace_at(payload, path, too_long), PROPERTY))
        if node.get("format") == "date-time":
            for bad in ("2024-13-45T25:61:00Z", "yesterday", "2024-02-30T10:00:00Z", "2024-01-01T10:00:00"):
                found.append(Mutation(f"bad date-time {bad!r} at {where}", replace_at(payload, path, bad), PROPERTY))
        if types & {"integer", "number"}:
            if "minimum" in node:
                below = node["minimum"] - 1
                found.append(Mutation(f"below minimum at {where}", replace_at(payload, path, below), PROPERTY))
            if "maximum" in node:
                above = node["maximum"] + 1
                found.append(Mutation(f"above maximum at {where}", replace_at(payload, path, above), PROPERTY))
            # Beyond what a double holds: no JSON decoder that maps numbers to doubles can read the frame.
            for digits in (b"1" + b"0" * 400, b"-" + b"9" * 5000):
                found.append(
                    Mutation(f"{len(digits)}-digit number at {where}", replace_at(payload, path, MARKER), None, digits)
                )
        if "string" in types and "enum" not in node and "format" not in node:
            found.append(
                Mutation(f"lone surrogate at {where}", replace_at(payload, path, MARKER), None, b'"id\\ud800tag"')
            )
    return found


@st.composite
def mutated_calls(draw: st.DrawFn, version: OcppVersion, actions: list[str]) -> tuple[str, Mutation]:
    action = draw(st.sampled_from(actions))
    root = load_schema(version_key(version), action)
    payload = draw(payloads(version_key(version), action))
    options = candidate_mutations(payload, root)
    if not options:  # e.g. Heartbeat {}: only an extra property ... which every object allows us
        raise AssertionError(f"no mutation applies to {action} {payload!r}")
    return action, draw(st.sampled_from(options))


def assert_single_violation(version: OcppVersion, action: str, mutation: Mutation) -> None:
    """The test's own guard: the mutation breaks exactly the one keyword it claims to."""
    if mutation.expect is None:
        return
    errors = schema_errors(version, action, "request", mutation.payload)
    kinds = [KEYWORD_KIND.get(error.validator, error.validator) for error in errors]
    assert kinds == [mutation.expect], f"{mutation.name}: mutation broke {kinds} of {action} {mutation.payload!r}"


# --------------------------------------------------------------------------------------- the tests


@pytest.mark.parametrize(
    ("version", "action"),
    [(version, action) for version in VERSIONS for action in all_actions(version)],
    ids=lambda value: value.value if isinstance(value, OcppVersion) else value,
)
@settings(PROPERTY_SETTINGS, max_examples=GENERATOR_EXAMPLES)
@given(data=st.data())
def test_the_generator_draws_schema_valid_payloads_and_mutates_them_once(
    version: OcppVersion, action: str, data: st.DataObject
) -> None:
    payload = data.draw(payloads(version_key(version), action))
    errors = schema_errors(version, action, "request", payload)
    assert not errors, f"generator bug: {action} {payload!r}: {errors[0].message}"
    options = candidate_mutations(payload, load_schema(version_key(version), action))
    assert options, f"no mutation applies to {action} {payload!r}"
    for _ in range(3):
        assert_single_violation(version, action, data.draw(st.sampled_from(options)))


@pytest.mark.parametrize("version", VERSIONS, ids=lambda version: version.value)
def test_every_known_action_with_a_valid_payload_gets_its_answer(version: OcppVersion, tmp_path: Path) -> None:
    handled = routed(version)
    actions = st.one_of(st.sampled_from(handled), st.sampled_from(all_actions(version)))
    calls = actions.flatmap(lambda action: st.tuples(st.just(action), payloads(version_key(version), action)))
    with station_channel(version, tmp_path) as channel:

        @settings(PROPERTY_SETTINGS)
        @given(call=calls)
        def check(call: tuple[str, dict[str, Any]]) -> None:
            action, payload = call
            assert not schema_errors(version, action, "request", payload), "generator bug"
            answer = answer_call(channel, action, payload)
            if action not in handled:
                assert_error(answer, "NotSupported", action)
                return
            assert_valid_result(channel, action, answer, payload)
            if action == "BootNotification":
                assert answer[2]["status"] == "Accepted" and channel.context.accepted

        check()


@pytest.mark.parametrize("version", VERSIONS, ids=lambda version: version.value)
def test_every_single_schema_violation_gets_the_code_the_version_names(version: OcppVersion, tmp_path: Path) -> None:
    handled = routed(version)
    # Mostly routed actions (validation only runs for those), the rest from every action of the version.
    actions = [*handled, *handled, *all_actions(version)]
    with station_channel(version, tmp_path) as channel:

        @settings(PROPERTY_SETTINGS, max_examples=MUTATED_EXAMPLES)
        @given(call=mutated_calls(version, actions))
        def check(call: tuple[str, Mutation]) -> None:
            action, mutation = call
            assert_single_violation(version, action, mutation)
            message_id = channel.message_id()
            raw = call_frame(message_id, action, mutation.payload, mutation.raw_value)
            if mutation.expect is None:  # undecodable: nobody can read the id
                answer = single_answer(channel, raw, "-1")
                assert_error(answer, ENVELOPE_CODES[version], mutation.name)
            elif action not in handled:
                assert_error(single_answer(channel, raw, message_id), "NotSupported", action)
            else:
                answer = single_answer(channel, raw, message_id)
                assert_error(answer, CODES[version][mutation.expect], f"{action}: {mutation.name}")
            assert_still_serving(channel)

        check()


@pytest.mark.parametrize("version", VERSIONS, ids=lambda version: version.value)
def test_edge_values_the_schema_allows_are_answered_never_crash(version: OcppVersion, tmp_path: Path) -> None:
    """Schema-valid edge values: NUL in strings, integers at the int64 limits, RFC 3339 leap seconds, 1.6
    meter readings "NaN"/"inf". Each gets a valid CALLRESULT -- never an InternalError (a handler or the
    database choking). Documented exceptions, both PropertyConstraintViolation: a string holding NUL
    (refused before storage: no database text column can hold it), and a 2.0.1 reading whose
    value * 10^multiplier exceeds a double (a value out of range)."""
    handled = routed(version)
    huge = st.sampled_from([2**31, 2**53 + 1, 2**63 - 1, -(2**63), -(2**31) - 1])
    leap = st.sampled_from(["2016-12-31T23:59:60Z", "2016-12-31t23:59:60.5z"])
    reading = st.sampled_from(["NaN", "nan", "inf", "-Infinity", "1e999", "0x10", " 12 "])

    @st.composite
    def edge_calls(draw: st.DrawFn) -> tuple[str, dict[str, Any], str]:
        action = draw(st.sampled_from(handled))
        root = load_schema(version_key(version), action)
        payload = draw(payloads(version_key(version), action))
        options: list[tuple[str, Any]] = []
        for site in sites(payload, root, root):
            node, where = site.schema, "/".join(map(str, site.path))
            if not site.path or "enum" in node:
                continue
            if node.get("format") == "date-time":
                options.append((f"leap second at {where}", replace_at(payload, site.path, draw(leap))))
            elif node.get("type") == "string" and node.get("maxLength", 3) >= 3:
                options.append((f"NUL at {where}", replace_at(payload, site.path, "A\x00B")))
                if where.endswith("sampledValue/0/value"):  # 1.6 readings are strings
                    options.append((f"reading at {where}", replace_at(payload, site.path, draw(reading))))
            if node.get("type") == "integer" and "minimum" not in node and "maximum" not in node:
                options.append((f"huge integer at {where}", replace_at(payload, site.path, draw(huge))))
        if not options:
            return action, payload, "unchanged"
        name, mutated = draw(st.sampled_from(options))
        return action, mutated, name

    with station_channel(version, tmp_path) as channel:

        @settings(PROPERTY_SETTINGS, max_examples=FRAME_EXAMPLES)
        @given(call=edge_calls())
        def check(call: tuple[str, dict[str, Any], str]) -> None:
            action, payload, name = call
            answer = answer_call(channel, action, payload)
            refused_nul = name.startswith("NUL at")
            out_of_range = name.startswith("huge integer") and name.endswith("multiplier") and answer[0] == 4
            if refused_nul or out_of_range:
                assert_error(answer, CODES[version][PROPERTY], f"{name}: {payload!r}")
            else:
                assert_valid_result(channel, action, answer, f"{name}: {payload!r}")

        check()


@pytest.mark.parametrize("version", VERSIONS, ids=lambda version: version.value)
def test_actions_unknown_to_the_version_are_not_implemented(version: OcppVersion, tmp_path: Path) -> None:
    known = set(all_actions(version))
    other = [action for other in VERSIONS for action in all_actions(other) if action not in known]
    names = st.one_of(
        st.sampled_from(other),  # e.g. 1.6 StartTransaction on a 2.0.1 connection
        st.text(alphabet=string.ascii_letters + string.digits + "._-", min_size=1, max_size=40),
        st.text(min_size=1, max_size=40),
    ).filter(lambda name: name not in known)
    payload: st.SearchStrategy[dict[str, Any]] = st.one_of(
        st.just({}), st.dictionaries(st.text(max_size=8), st.integers(-(2**31), 2**31), max_size=3)
    )
    with station_channel(version, tmp_path) as channel:

        @settings(PROPERTY_SETTINGS, max_examples=UNKNOWN_ACTION_EXAMPLES)
        @given(action=names, body=payload)
        def check(action: str, body: dict[str, Any]) -> None:
            assert_error(answer_call(channel, action, body), "NotImplemented", action)

        check()


# --------------------------------------------------------------------------------------- broken frames


@dataclass(frozen=True)
class BrokenFrame:
    name: str
    raw: bytes
    answer_id: str | int | None  # None: no answer at all (ignored or discarded)
    codes: frozenset[str]


def _is_json(raw: bytes) -> bool:
    try:
        orjson.loads(raw)
    except orjson.JSONDecodeError:
        return False
    return True


def broken_frames(version: OcppVersion) -> st.SearchStrategy[BrokenFrame]:
    envelope = ENVELOPE_CODES[version]
    # A CALL without its payload: "Payload for Action is incomplete" is 1.6's ProtocolError; a broken envelope
    # is accepted as well. A payload that is no object: a format error, or a wrong type (the schemas' root is
    # "type": "object").
    incomplete = envelope | {"ProtocolError", CODES[version][FORMAT]}
    not_object = frozenset({CODES[version][FORMAT], CODES[version][TYPE]})
    ids = st.text(alphabet=string.ascii_letters + string.digits + "-", min_size=1, max_size=36)
    good = ids.map(lambda message_id: orjson.dumps([2, message_id, "Heartbeat", {}]))

    def unsupported_type(message_type: Any, message_id: str) -> BrokenFrame:
        raw = orjson.dumps([message_type, message_id, "Heartbeat", {}])
        if version is OcppVersion.V16:  # OCPP-J 1.6: SHALL be ignored
            return BrokenFrame(f"message type {message_type!r}", raw, None, frozenset())
        return BrokenFrame(f"message type {message_type!r}", raw, message_id, frozenset({"MessageTypeNotSupported"}))

    return st.one_of(
        good.flatmap(
            lambda raw: st.integers(0, len(raw) - 1).map(
                lambda cut: BrokenFrame(f"truncated at {cut}", raw[:cut], "-1", envelope)
            )
        ),
        st.binary(max_size=40)
        .filter(lambda raw: not _is_json(raw))
        .map(lambda raw: BrokenFrame("not JSON", raw, "-1", envelope)),
        st.sampled_from(
            [b"{}", b'{"a": 1}', b"[]", b"2", b'"text"', b"null", b"[2]", b"\xff\xfe[2]", b"[" * 100_000]
        ).map(lambda raw: BrokenFrame(f"no RPC array {raw[:20]!r}", raw, "-1", envelope)),
        st.builds(unsupported_type, st.sampled_from([7, 0, 5, "2", 2.0, None, True, [2]]), ids),
        # A number is a readable id of the wrong type: echoed as sent, with the version's "badly formed" code.
        st.integers(-(2**63), 2**64 - 1).map(
            lambda bad_id: BrokenFrame(
                f"message id {bad_id!r}",
                orjson.dumps([2, bad_id, "Heartbeat", {}]),
                bad_id,
                frozenset({"ProtocolError" if version is OcppVersion.V16 else CODES[version][FORMAT]}),
            )
        ),
        st.one_of(
            st.text(alphabet="abc", min_size=37, max_size=80),
            st.just(""),
            st.floats(allow_nan=False, allow_infinity=False),
            st.just({"id": 1}),
        ).map(
            lambda bad_id: BrokenFrame(
                f"message id {bad_id!r}", orjson.dumps([2, bad_id, "Heartbeat", {}]), "-1", envelope
            )
        ),
        ids.flatmap(
            lambda message_id: st.sampled_from(
                [
                    (f"short CALL {message_id}", [2, message_id, "Heartbeat"], incomplete),
                    (f"long CALL {message_id}", [2, message_id, "Heartbeat", {}, "extra"], envelope),
                    (f"action 5 {message_id}", [2, message_id, 5, {}], envelope),
                    (f"empty action {message_id}", [2, message_id, "", {}], envelope),
                    (f"payload list {message_id}", [2, message_id, "Heartbeat", []], not_object),
                    (f"payload null {message_id}", [2, message_id, "Heartbeat", None], not_object),
                ]
            ).map(lambda case: BrokenFrame(case[0], orjson.dumps(case[1]), message_id, case[2]))
        ),
        ids.map(
            lambda message_id: BrokenFrame(
                "CALLRESULT for an unknown id", orjson.dumps([3, message_id, {}]), None, frozenset()
            )
        ),
        ids.map(
            lambda message_id: BrokenFrame(
                "CALLERROR for an unknown id",
                orjson.dumps([4, message_id, "GenericError", "", {}]),
                None,
                frozenset(),
            )
        ),
    )


@pytest.mark.parametrize("version", VERSIONS, ids=lambda version: version.value)
def test_broken_frames_get_the_rpc_error_and_the_session_keeps_serving(version: OcppVersion, tmp_path: Path) -> None:
    with station_channel(version, tmp_path) as channel:

        @settings(PROPERTY_SETTINGS, max_examples=FRAME_EXAMPLES)
        @given(frame=broken_frames(version))
        def check(frame: BrokenFrame) -> None:
            if frame.answer_id is None:
                assert channel.exchange(frame.raw) == [], frame.name
            else:
                answer = single_answer(channel, frame.raw, frame.answer_id)
                assert_error(answer, frame.codes, frame.name)
            assert_still_serving(channel)

        check()
