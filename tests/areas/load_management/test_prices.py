"""Price curves from CSV (and the checks JSON shares): what is refused names the line and the reason."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from voltline.areas.load_management.model import PricePeriod
from voltline.areas.load_management.prices import PriceFileError, parse_price_csv, price_curve

HEADER = "start,end,price_per_kwh\n"


def csv(*rows: str) -> bytes:
    return (HEADER + "".join(f"{row}\n" for row in rows)).encode()


def test_a_csv_curve_is_sorted_exact_and_in_its_currency() -> None:
    curve = parse_price_csv(
        csv(
            "2026-12-06T01:00:00+01:00,2026-12-06T02:00:00+01:00,0.300001",
            "2026-12-05T23:00:00Z,2026-12-06T00:00:00Z,0.1",
        ),
        "NOK",
    )
    assert curve.currency == "NOK"
    assert [p.start for p in curve.periods] == [
        datetime(2026, 12, 5, 23, tzinfo=UTC),
        datetime(2026, 12, 6, 0, tzinfo=UTC),
    ]
    assert curve.periods[1].price_per_kwh == Decimal("0.300001")  # Decimal, never a float
    assert curve.price_at(datetime(2026, 12, 6, 0, 30, tzinfo=UTC)) == Decimal("0.300001")
    assert curve.price_at(datetime(2026, 12, 6, 1, 0, tzinfo=UTC)) is None  # after the last period: unknown


def test_a_byte_order_mark_and_blank_lines_are_fine() -> None:
    body = "\ufeff".encode() + csv("", "2026-12-06T00:00:00Z,2026-12-06T01:00:00Z,-0.02", "")
    assert parse_price_csv(body).periods[0].price_per_kwh == Decimal("-0.02")  # negative prices happen


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"from,to,price\n", "line 1: the header must be start,end,price_per_kwh"),
        (b"", "line 1: the header"),
        (csv("2026-12-06T00:00:00Z,2026-12-06T01:00:00Z"), "line 2: 3 columns expected, 2 found"),
        (csv("2026-12-06T00:00:00,2026-12-06T01:00:00Z,0.1"), "line 2: start '2026-12-06T00:00:00' has no UTC offset"),
        (csv("tomorrow,2026-12-06T01:00:00Z,0.1"), "line 2: start 'tomorrow' is not an ISO 8601 time"),
        (csv("2026-12-06T00:00:00Z,2026-12-06T01:00:00Z,cheap"), "line 2: price_per_kwh 'cheap' is not a number"),
        (csv("2026-12-06T00:00:00Z,2026-12-06T01:00:00Z,NaN"), "line 2: price_per_kwh must be a finite number"),
        (csv("2026-12-06T00:00:00Z,2026-12-06T01:00:00Z,1000.5"), "beyond +/-1000"),
        (csv("2026-12-06T00:00:00Z,2026-12-06T01:00:00Z,0.1234567"), "more than 6 decimal places"),
        (csv("2026-12-06T01:00:00Z,2026-12-06T01:00:00Z,0.1"), "line 2: end 2026-12-06T01:00:00+00:00 is not after"),
        (
            csv("2026-12-06T00:00:00Z,2026-12-06T02:00:00Z,0.1", "2026-12-06T01:00:00Z,2026-12-06T03:00:00Z,0.2"),
            "line 3 overlaps line 2",
        ),
        (HEADER.encode(), "no periods"),
        (b"start,end,price_per_kwh\n\xff\n", "not UTF-8"),
    ],
)
def test_a_bad_file_is_refused_naming_where_and_why(body: bytes, message: str) -> None:
    with pytest.raises(PriceFileError) as refused:
        parse_price_csv(body)
    assert message in str(refused.value)


def test_a_bad_currency_is_refused() -> None:
    period = PricePeriod(datetime(2026, 12, 6, tzinfo=UTC), datetime(2026, 12, 6, 1, tzinfo=UTC), Decimal("0.1"))
    with pytest.raises(PriceFileError, match="currency"):
        price_curve("eur", [(period, "periods[0]")])
    assert price_curve("EUR", [(period, "periods[0]")]).periods == (period,)
