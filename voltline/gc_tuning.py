"""Garbage collector settings for a long-running server process.

CPython's full (generation 2) collections walk every tracked object. In a server holding thousands of
station connections next to the objects of FastAPI, pydantic and SQLAlchemy, one such walk takes hundreds of
milliseconds, during which no station is answered: measured as the p99 latency of the whole system. Two
measures, both standard for long-lived Python servers:
- after start-up, `gc.freeze()` moves everything allocated so far (modules, schemas, compiled validators,
  caches) to a permanent generation the collector never walks again;
- a larger generation-0 threshold, so that the objects of a message in flight are usually freed by reference
  counting before a young collection promotes them, which is what makes full collections come often.
Reference counting frees almost everything as before; only reference cycles wait longer.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 5_000  # allocations between generation-0 collections (CPython's default: 700)


def tune_for_server() -> None:
    """Call once, after start-up and before serving."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
