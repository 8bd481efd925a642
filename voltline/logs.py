"""Logging set-up for the `voltline` command: one line per event, never one per OCPP message at INFO.

Two formats (VOLTLINE_LOG_FORMAT): `text`, for people, and `json`, one JSON object per line for log
shippers (time in ISO 8601 UTC, level, logger, message, and the exception's traceback when there is one).
Neither adds anything to what the code logs, and the code never logs a secret (passwords, tokens,
authorization headers), so neither format can carry one.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any, Literal

import orjson

LogFormat = Literal["text", "json"]


class JsonLineFormatter(logging.Formatter):
    """One JSON object per record, on one line (tracebacks included, as an escaped string)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            # Milliseconds and "Z": what log shippers (Loki, Elasticsearch, Vector) parse without a pattern.
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        # default=str: a message argument orjson cannot encode is already text in getMessage(); this
        # covers only the odd non-string exception text.
        return orjson.dumps(line, default=str).decode()


def configure_logging(level: str, log_format: LogFormat = "text") -> None:
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(JsonLineFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    logging.basicConfig(level=level.upper(), handlers=[handler])
    # websockets logs every failed handshake at INFO with a traceback-ish message; ours are enough.
    logging.getLogger("websockets").setLevel(logging.WARNING)
