"""JSON columns are written by orjson and read back by it, with the standard decoder for older text."""

from __future__ import annotations

import json

from voltline.storage.sql.engine import json_text, json_value


def test_json_text_is_compact_json_the_standard_decoder_reads() -> None:
    document = {"limits": {"CP1/1": 10.5}, "paused": [], 3: "three"}
    text = json_text(document)
    assert " " not in text
    assert json.loads(text) == {"limits": {"CP1/1": 10.5}, "paused": [], "3": "three"}


def test_json_value_reads_orjson_text_and_the_standard_encoders_nan() -> None:
    assert json_value(json_text({"a": [1, 2.5, None]})) == {"a": [1, 2.5, None]}
    legacy = json.dumps({"measured": float("nan"), "ok": 1})
    value = json_value(legacy)
    assert value["ok"] == 1 and value["measured"] != value["measured"]  # NaN is not equal to itself
