"""Time-of-day peak windows in a site's own time zone: a lower limit on the site's load while one is open.

Wall-clock times are read in the site's zone, so a 17:00-20:00 window is at 17:00 local all year. A start
that does not exist (the spring-forward gap) begins when the clock reaches the next valid time; an
ambiguous one (autumn) takes the first occurrence (fold 0).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from voltline.areas.load_management.model import PeakWindow


def window_problems(windows: Sequence[PeakWindow]) -> list[str]:
    problems: list[str] = []
    for index, w in enumerate(windows):
        if (w.fraction is None) == (w.limit_a is None):
            problems.append(f"[{index}]: give exactly one of fraction and limit_a")
        if w.fraction is not None and not 0 < w.fraction <= 1:
            problems.append(f"[{index}].fraction: above 0 and at most 1")
        if w.limit_a is not None and w.limit_a < 0:
            problems.append(f"[{index}].limit_a: must not be negative")
        if w.start == w.end:
            problems.append(f"[{index}]: start and end are the same time")
        if not w.weekdays or any(not 0 <= d <= 6 for d in w.weekdays):
            problems.append(f"[{index}].weekdays: days 0 (Monday) to 6 (Sunday), at least one")
    return problems


def _local(day: datetime, at: time, zone: ZoneInfo) -> datetime:
    """`at` on `day`'s date in `zone`, in UTC; a wall time in a gap moves forward to where it exists."""
    naive = datetime.combine(day.date(), at)
    candidate = naive.replace(tzinfo=zone, fold=0)
    back = candidate.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if back != naive:  # in the gap: the clock jumped over it
        candidate = (candidate.astimezone(UTC)).astimezone(zone)
    return candidate.astimezone(UTC)


def _spans(window: PeakWindow, zone: ZoneInfo, at: datetime) -> list[tuple[datetime, datetime]]:
    """The window's open spans (UTC) that start from 8 days before to 8 days after `at`."""
    local = at.astimezone(zone)
    spans = []
    for days in range(-8, 9):
        day = local + timedelta(days=days)
        if day.weekday() not in window.weekdays:
            continue
        start = _local(day, window.start, zone)
        end_day = day + timedelta(days=1) if window.end <= window.start else day
        spans.append((start, _local(end_day, window.end, zone)))
    return spans


def _limit_of(window: PeakWindow, connection_a: float) -> float:
    return window.limit_a if window.limit_a is not None else connection_a * (window.fraction or 1.0)


def limit_at(
    connection_a: float, windows: Sequence[PeakWindow], zone: ZoneInfo, at: datetime
) -> tuple[float, PeakWindow | None]:
    """The limit in force at `at` and the window setting it (the lowest of those open; None: the connection)."""
    if at.tzinfo is None:
        raise ValueError("at: an aware datetime is required")
    best, chosen = connection_a, None
    for window in windows:
        if any(start <= at < end for start, end in _spans(window, zone, at)):
            limit = _limit_of(window, connection_a)
            if limit < best:
                best, chosen = limit, window
    return best, chosen


def next_change(windows: Sequence[PeakWindow], zone: ZoneInfo, at: datetime) -> datetime | None:
    """The next instant after `at` where a window opens or closes (within 8 days)."""
    if at.tzinfo is None:
        raise ValueError("at: an aware datetime is required")
    times = [t for w in windows for span in _spans(w, zone, at) for t in span if t > at]
    return min(times) if times else None
