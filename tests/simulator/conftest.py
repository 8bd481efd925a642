from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def no_errors_logged(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """A failed background task of a station (or an engine error) is logged, not raised: fail on it."""
    caplog.set_level(logging.WARNING)
    yield
    errors = [
        r
        for r in caplog.get_records("call")
        if r.levelno >= logging.ERROR and r.name.startswith(("voltline", "websockets"))
    ]
    assert not errors, "errors logged: " + "; ".join(r.getMessage() for r in errors)
