"""A site's energy price curve: periods with a price per kWh, from JSON or CSV. Prices are Decimal (a JSON
number is read through its text, never through float arithmetic); times are aware and kept in UTC."""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from voltline.areas.load_management.model import PriceCurve, PricePeriod

MAX_PERIODS = 10_000
_CURRENCY = re.compile(r"^[A-Z]{3}$")
COLUMNS = ("start", "end", "price_per_kwh")


class PriceFileError(ValueError):
    """What is wrong with a price file, naming the line or entry."""


def _time(text: object, where: str, name: str) -> datetime:
    if not isinstance(text, str):
        raise PriceFileError(f"{where}: {name} must be an ISO 8601 time")
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise PriceFileError(f"{where}: {name} {text!r} is not an ISO 8601 time") from None
    if value.tzinfo is None:
        raise PriceFileError(f"{where}: {name} {text!r} has no UTC offset (add Z or +01:00)")
    return value.astimezone(UTC)


def _price(value: object, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise PriceFileError(f"{where}: price_per_kwh must be a number")
    try:
        price = Decimal(str(value).strip())
    except InvalidOperation:
        raise PriceFileError(f"{where}: price_per_kwh {value!r} is not a number") from None
    if not price.is_finite():
        raise PriceFileError(f"{where}: price_per_kwh must be a finite number")
    return price


def _period(start: object, end: object, price: object, where: str) -> PricePeriod:
    period = PricePeriod(_time(start, where, "start"), _time(end, where, "end"), _price(price, where))
    if period.end <= period.start:
        raise PriceFileError(f"{where}: end {period.end.isoformat()} is not after start {period.start.isoformat()}")
    return period


def _rows_json(body: str) -> tuple[str, list[tuple[PricePeriod, str]]]:
    try:
        document = json.loads(body, parse_float=Decimal)
    except ValueError as exc:
        raise PriceFileError(f"not valid JSON: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("periods"), list):
        raise PriceFileError('JSON: an object with "currency" and a list of "periods" is required')
    currency = document.get("currency")
    if not isinstance(currency, str) or not _CURRENCY.match(currency):
        raise PriceFileError("currency: three capital letters (ISO 4217, e.g. EUR)")
    rows = []
    for index, entry in enumerate(document["periods"]):
        where = f"periods[{index}]"
        if not isinstance(entry, dict) or set(entry) != set(COLUMNS):
            raise PriceFileError(f"{where}: exactly the fields {', '.join(COLUMNS)}")
        rows.append((_period(entry["start"], entry["end"], entry["price_per_kwh"], where), where))
        if len(rows) > MAX_PERIODS:
            raise PriceFileError(f"at most {MAX_PERIODS} periods")
    return currency, rows


def _rows_csv(body: str) -> list[tuple[PricePeriod, str]]:
    reader = csv.reader(io.StringIO(body.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None or [h.strip() for h in header] != list(COLUMNS):
        raise PriceFileError(f"line 1: the header must be {','.join(COLUMNS)}")
    rows = []
    for line, fields in enumerate(reader, start=2):
        if not fields or all(not f.strip() for f in fields):
            continue
        where = f"line {line}"
        if len(fields) != 3:
            raise PriceFileError(f"{where}: 3 columns expected, {len(fields)} found")
        rows.append((_period(fields[0], fields[1], fields[2], where), where))
        if len(rows) > MAX_PERIODS:
            raise PriceFileError(f"at most {MAX_PERIODS} periods")
    return rows


def parse_prices(body: bytes, content_type: str, *, currency: str | None = None) -> PriceCurve:
    """The curve in `body` (application/json, or text/csv with `currency`, default EUR)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PriceFileError(f"not UTF-8 (byte {exc.start})") from None
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/json":
        currency, rows = _rows_json(text)
    elif media == "text/csv":
        currency = currency or "EUR"
        if not _CURRENCY.match(currency):
            raise PriceFileError("currency: three capital letters (ISO 4217, e.g. EUR)")
        rows = _rows_csv(text)
    else:
        raise PriceFileError(f"content type {media!r}: send application/json or text/csv")
    if not rows:
        raise PriceFileError("no periods: a curve needs at least one")
    rows.sort(key=lambda r: r[0].start)
    for (before, where_before), (after, where_after) in itertools.pairwise(rows):
        if after.start < before.end:
            raise PriceFileError(f"{where_after} overlaps {where_before}")
    return PriceCurve(currency, tuple(p for p, _ in rows))
