"""The server's garbage collector settings, checked in a fresh interpreter (they are process-wide)."""

from __future__ import annotations

import subprocess
import sys

from voltline.gc_tuning import YOUNG_THRESHOLD

PROBE = """
import gc
before = gc.get_threshold()
import voltline.app  # everything a server imports, so there is plenty to freeze
from voltline.gc_tuning import tune_for_server
tune_for_server()
print(before[0], gc.get_threshold()[0], gc.get_threshold()[1:] == before[1:], gc.get_freeze_count())
"""


def test_start_up_objects_are_frozen_and_young_collections_come_less_often() -> None:
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout.split()
    default_young, tuned_young, older_unchanged, frozen = int(out[0]), int(out[1]), out[2] == "True", int(out[3])
    assert tuned_young == YOUNG_THRESHOLD > default_young
    assert older_unchanged
    assert frozen > 100_000  # the libraries' objects, never walked by a full collection again
