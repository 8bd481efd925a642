"""The server's garbage collector settings, checked in a fresh interpreter (they are process-wide)."""

from __future__ import annotations

import subprocess
import sys

from voltline.gc_tuning import MIDDLE_THRESHOLD, OLD_THRESHOLD, YOUNG_THRESHOLD

PROBE = """
import gc
before = gc.get_threshold()
import voltline.app  # everything a server imports, so there is plenty to freeze
from voltline.gc_tuning import tune_for_server
tune_for_server()
print(*before, *gc.get_threshold(), gc.get_freeze_count())
"""


def test_start_up_objects_are_frozen_and_every_generation_is_collected_less_often() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout.split()
    default, tuned, frozen = [int(n) for n in out[:3]], [int(n) for n in out[3:6]], int(out[6])
    assert tuned == [YOUNG_THRESHOLD, MIDDLE_THRESHOLD, OLD_THRESHOLD]
    assert all(ours > theirs for ours, theirs in zip(tuned, default, strict=True))  # every generation less often
    assert frozen > 100_000  # the libraries' objects, never walked by a full collection again
