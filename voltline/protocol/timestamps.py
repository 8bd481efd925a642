"""OCPP date-time strings <-> aware UTC datetimes."""

from __future__ import annotations

from datetime import UTC, datetime


def parse_timestamp(value: str) -> datetime:
    """Parse an RFC 3339 timestamp; one without an offset is taken as UTC (as OCPP asks stations to send).

    RFC 3339 also allows a lower-case "t"/"z" and a leap second (":60"), and the schema validator lets both
    through; `datetime.fromisoformat` knows neither, so they are normalised first (a leap second is read as
    the second before it) instead of failing the handler with an InternalError.
    """
    text = value.upper()
    if text[16:19] == ":60":
        text = f"{text[:16]}:59{text[19:]}"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def format_timestamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
