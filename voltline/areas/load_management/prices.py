"""A site's energy price curve: periods with a price per kWh, checked whole (from the API's JSON or a CSV
file). Prices are Decimal, never float arithmetic; times are aware and kept in UTC."""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from voltline.areas.load_management.model import PriceCurve, PricePeriod

MAX_PERIODS = 10_000
PRICE_BOUND = Decimal("1000")  # per kWh, in the currency's unit: anything beyond is a typo
PRICE_PLACES = 6
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
    if abs(price) > PRICE_BOUND:
        raise PriceFileError(f"{where}: price_per_kwh {price} is beyond +/-{PRICE_BOUND}")
    exponent = price.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -PRICE_PLACES:
        raise PriceFileError(f"{where}: price_per_kwh {price} has more than {PRICE_PLACES} decimal places")
    return price


def _period(start: object, end: object, price: object, where: str) -> PricePeriod:
    return PricePeriod(_time(start, where, "start"), _time(end, where, "end"), _price(price, where))


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


def price_curve(currency: str, periods: Sequence[tuple[PricePeriod, str]]) -> PriceCurve:
    """The curve of `periods` (each with where it came from, for the error), sorted; none may overlap."""
    if not _CURRENCY.match(currency):
        raise PriceFileError("currency: three capital letters (ISO 4217, e.g. EUR)")
    if not periods:
        raise PriceFileError("no periods: a curve needs at least one")
    for period, where in periods:
        if period.end <= period.start:
            raise PriceFileError(f"{where}: end {period.end.isoformat()} is not after start {period.start.isoformat()}")
    ordered = sorted(periods, key=lambda row: row[0].start)
    for (before, where_before), (after, where_after) in itertools.pairwise(ordered):
        if after.start < before.end:
            raise PriceFileError(f"{where_after} overlaps {where_before}")
    return PriceCurve(currency, tuple(period for period, _ in ordered))


def parse_price_csv(body: bytes, currency: str = "EUR") -> PriceCurve:
    """The curve in a CSV file: a `start,end,price_per_kwh` header, then one period per line."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PriceFileError(f"not UTF-8 (byte {exc.start})") from None
    return price_curve(currency, _rows_csv(text))
