"""Hypothesis strategies built from the OCA JSON schemas shipped in the PyPI ``ocpp`` package.

A small, deliberately independent builder (no hypothesis-jsonschema, no voltline code): it understands
exactly the keywords the OCPP 1.6 and 2.0.1 request schemas use -- ``$ref`` to ``#/definitions``,
``type``, ``properties``/``required``, ``additionalProperties``, ``enum``, ``maxLength``, ``minimum``/
``maximum``, ``multipleOf``, ``items`` with ``minItems``/``maxItems``, ``format`` date-time and uri -- and
draws realistic, bounded values: short printable strings (plus strings of exactly ``maxLength``), small
integers, timestamps between 2020 and 2030, at most a few array items.

It also lists the "sites" of a payload (every object and value with the sub-schema that governs it), on
which the tests apply single mutations.
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

import ocpp
from hypothesis import strategies as st

SCHEMA_ROOT = Path(ocpp.__file__).parent
VERSIONS = ("ocpp1.6", "ocpp2.0.1")
_FOLDER = {"ocpp1.6": "v16", "ocpp2.0.1": "v201"}
_REQUEST_SUFFIX = {"ocpp1.6": "", "ocpp2.0.1": "Request"}

# Realistic, bounded values: long strings only where a test wants the maxLength boundary.
MAX_TEXT = 24
MAX_BOUNDARY_TEXT = 512
MAX_EXTRA_ITEMS = 2
INT_RANGE = (-1_000, 100_000)
# A 2.0.1 unitOfMeasure.multiplier is a power of ten; the spec's examples stay within a few steps.
SMALL_INT_FIELDS = {"multiplier": (-3, 3)}
_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), max_size=MAX_TEXT)
_ASCII = st.text(alphabet=string.ascii_letters + string.digits + "-_.:", max_size=MAX_TEXT)
ANY_JSON: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers(-1_000, 1_000) | _ASCII,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_ASCII, inner, max_size=3),
    max_leaves=8,
)
_URIS = st.sampled_from(["https://example.com/firmware.bin", "ftp://files.example.org/logs/", "wss://csms.example/a"])


def request_actions(version: str) -> list[str]:
    """Every action a station may name in a CALL of `version` (a request and a response schema exist)."""
    folder = SCHEMA_ROOT / _FOLDER[version] / "schemas"
    suffix = _REQUEST_SUFFIX[version]
    names = {path.name for path in folder.glob("*.json")}
    actions = []
    for name in names:
        stem = name.removesuffix(".json")
        if stem.endswith("Response") or not stem.endswith(suffix):
            continue
        action = stem.removesuffix(suffix) if suffix else stem
        if f"{action}Response.json" in names:
            actions.append(action)
    return sorted(actions)


@cache
def load_schema(version: str, action: str, kind: str = "request") -> dict[str, Any]:
    suffix = "Response" if kind == "response" else _REQUEST_SUFFIX[version]
    path = SCHEMA_ROOT / _FOLDER[version] / "schemas" / f"{action}{suffix}.json"
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8-sig"))
    return schema


def resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """Follow ``$ref`` (only local ``#/definitions/...`` references occur in the OCA schemas)."""
    while "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), f"unsupported $ref {ref!r}"
        target: Any = root
        for part in ref[2:].split("/"):
            target = target[part]
        node = target
    return node


def timestamps() -> st.SearchStrategy[str]:
    """RFC 3339 date-times: UTC "Z", with milliseconds, with an offset, and the lower-case form RFC 3339
    explicitly allows (section 5.6, NOTE)."""
    moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC))

    def render(moment: datetime, style: int, offset_minutes: int) -> str:
        if style == 0:
            return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        if style == 1:
            return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        if style == 2:
            return moment.astimezone(timezone(timedelta(minutes=offset_minutes))).isoformat(timespec="seconds")
        return moment.strftime("%Y-%m-%dt%H:%M:%Sz")

    return st.builds(render, moments, st.integers(0, 3), st.sampled_from([-300, -60, 60, 120, 330]))


def _strings(node: dict[str, Any]) -> st.SearchStrategy[str]:
    if node.get("format") == "date-time":
        return timestamps()
    if node.get("format") == "uri":
        return _URIS
    limit = node.get("maxLength")
    if limit is None:
        return st.one_of(_ASCII, _TEXT)
    short = st.one_of(_ASCII, _TEXT).map(lambda text: text[:limit])
    if limit <= MAX_BOUNDARY_TEXT:
        boundary = st.text(alphabet=string.ascii_letters + string.digits, min_size=limit, max_size=limit)
        return st.one_of(short, short, boundary)
    return short


def _integers(node: dict[str, Any], name: str) -> st.SearchStrategy[int]:
    low, high = SMALL_INT_FIELDS.get(name, INT_RANGE)
    if "minimum" in node:
        low = max(low, int(node["minimum"]))
    if "maximum" in node:
        high = min(high, int(node["maximum"]))
    return st.one_of(
        st.integers(max(low, 0), min(high, 10)) if low <= 10 and high >= 0 else st.nothing(), st.integers(low, high)
    )


def _numbers(node: dict[str, Any]) -> st.SearchStrategy[float]:
    low = float(node.get("minimum", -1e6))
    high = float(node.get("maximum", 1e6))
    step = node.get("multipleOf")
    if step is not None:
        # Whole numbers divide by 0.1 exactly in binary floating point; 0.3 would not.
        return st.integers(int(low), int(high)).map(float)
    return st.one_of(
        st.integers(int(low), int(high)).map(float),
        st.floats(low, high, allow_nan=False, allow_infinity=False).map(lambda value: round(value, 3)),
    ).filter(lambda value: low <= value <= high)


def strategy(node: dict[str, Any], root: dict[str, Any], name: str = "") -> st.SearchStrategy[Any]:
    """A strategy for values valid against `node` (a (sub-)schema of `root`)."""
    node = resolve(node, root)
    if "enum" in node:
        return st.sampled_from(node["enum"])
    kind = node.get("type")
    if kind == "object":
        properties: dict[str, Any] = node.get("properties", {})
        required = set(node.get("required", []))
        return st.fixed_dictionaries(
            {key: strategy(sub, root, key) for key, sub in properties.items() if key in required},
            optional={key: strategy(sub, root, key) for key, sub in properties.items() if key not in required},
        )
    if kind == "array":
        low = int(node.get("minItems", 0))
        high = min(int(node.get("maxItems", low + MAX_EXTRA_ITEMS)), low + MAX_EXTRA_ITEMS)
        return st.lists(strategy(node.get("items", {}), root, name), min_size=low, max_size=high)
    if kind == "string":
        return _strings(node)
    if kind == "integer":
        return _integers(node, name)
    if kind == "number":
        return _numbers(node)
    if kind == "boolean":
        return st.booleans()
    if kind is None:  # "any JSON value" (2.0.1 DataTransfer data)
        return ANY_JSON
    raise AssertionError(f"schema keyword set not supported by the generator: {node}")


def payloads(version: str, action: str) -> st.SearchStrategy[dict[str, Any]]:
    """Schema-valid request payloads of `action`."""
    root = load_schema(version, action)
    return strategy(root, root)


@dataclass(frozen=True)
class Site:
    """A place in a payload: the path to it and the (resolved) schema that governs the value there."""

    path: tuple[str | int, ...]
    schema: dict[str, Any]
    value: Any


def sites(payload: Any, schema: dict[str, Any], root: dict[str, Any]) -> Iterator[Site]:
    """Every object and value of `payload` (a valid instance of `schema`), the root included."""

    def walk(value: Any, node: dict[str, Any], path: tuple[str | int, ...]) -> Iterator[Site]:
        node = resolve(node, root)
        yield Site(path, node, value)
        if isinstance(value, dict):
            properties = node.get("properties", {})
            for key, item in value.items():
                if key in properties:
                    yield from walk(item, properties[key], (*path, key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                yield from walk(item, node.get("items", {}), (*path, index))

    yield from walk(payload, schema, ())


def replace_at(payload: Any, path: tuple[str | int, ...], value: Any) -> Any:
    """A deep copy of `payload` with the value at `path` replaced (the root when `path` is empty)."""
    if not path:
        return value
    copy = json.loads(json.dumps(payload))
    target = copy
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return copy
