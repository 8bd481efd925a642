"""Peak windows in the site's own time zone: midnight crossing, weekdays, and both DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from voltline.areas.load_management.model import PeakWindow
from voltline.areas.load_management.windows import limit_at, next_change, window_problems

BERLIN = ZoneInfo("Europe/Berlin")
EVENING = PeakWindow(time(17), time(20), fraction=0.6)
NIGHT = PeakWindow(time(22), time(6), limit_a=40)


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_a_window_holds_in_local_time() -> None:
    # 2026-12-07 is a Monday; Berlin is UTC+1 in winter: 17:00 local is 16:00 UTC.
    assert limit_at(100, [EVENING], BERLIN, at(2026, 12, 7, 15, 59)) == (100, None)
    assert limit_at(100, [EVENING], BERLIN, at(2026, 12, 7, 16, 0)) == (60, EVENING)
    assert limit_at(100, [EVENING], BERLIN, at(2026, 12, 7, 18, 59)) == (60, EVENING)
    assert limit_at(100, [EVENING], BERLIN, at(2026, 12, 7, 19, 0)) == (100, None)
    assert next_change([EVENING], BERLIN, at(2026, 12, 7, 12)) == at(2026, 12, 7, 16)


def test_a_window_crossing_midnight_belongs_to_the_day_it_starts() -> None:
    weekday_nights = PeakWindow(time(22), time(6), weekdays=frozenset({4}), limit_a=40)  # Friday night only
    assert limit_at(100, [weekday_nights], BERLIN, at(2026, 12, 12, 4, 0))[0] == 40  # Saturday 05:00 local
    assert limit_at(100, [weekday_nights], BERLIN, at(2026, 12, 12, 5, 0))[0] == 100  # Saturday 06:00 local
    assert limit_at(100, [weekday_nights], BERLIN, at(2026, 12, 12, 22, 0))[0] == 100  # Saturday night: not Friday


def test_the_lowest_open_window_wins() -> None:
    overlapping = [EVENING, PeakWindow(time(18), time(23), limit_a=30)]
    assert limit_at(100, overlapping, BERLIN, at(2026, 12, 7, 16, 30))[0] == 60
    assert limit_at(100, overlapping, BERLIN, at(2026, 12, 7, 17, 30))[0] == 30


def test_windows_follow_both_dst_changes() -> None:
    # Summer time: 17:00 Berlin is 15:00 UTC.
    assert limit_at(100, [EVENING], BERLIN, at(2026, 7, 1, 15, 0))[0] == 60
    assert limit_at(100, [EVENING], BERLIN, at(2026, 7, 1, 14, 59))[0] == 100
    # 2026-03-29 02:00-03:00 local does not exist: a window from 02:30 moves forward by the gap, to 03:30
    # (01:30 UTC), and still ends at 04:00 (02:00 UTC).
    spring = PeakWindow(time(2, 30), time(4), fraction=0.5)
    assert limit_at(100, [spring], BERLIN, at(2026, 3, 29, 1, 29))[0] == 100
    assert limit_at(100, [spring], BERLIN, at(2026, 3, 29, 1, 30))[0] == 50
    assert limit_at(100, [spring], BERLIN, at(2026, 3, 29, 2, 0))[0] == 100
    # The night of 2026-10-25 has 25 hours: 22:00 (20:00 UTC, summer) to 06:00 (05:00 UTC, winter).
    assert limit_at(100, [NIGHT], BERLIN, at(2026, 10, 24, 20, 0))[0] == 40
    assert limit_at(100, [NIGHT], BERLIN, at(2026, 10, 25, 4, 59))[0] == 40
    assert limit_at(100, [NIGHT], BERLIN, at(2026, 10, 25, 5, 0))[0] == 100


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        limit_at(100, [EVENING], BERLIN, datetime(2026, 12, 7, 16))


def test_window_problems_name_the_window() -> None:
    assert window_problems([EVENING, NIGHT]) == []
    problems = window_problems(
        [
            PeakWindow(time(1), time(1), fraction=0.5),
            PeakWindow(time(1), time(2)),
            PeakWindow(time(1), time(2), weekdays=frozenset()),
        ]
    )
    assert "[0]: start and end are the same time" in problems
    assert "[1]: give exactly one of fraction and limit_a" in problems
    assert any(p.startswith("[2].weekdays") for p in problems)
