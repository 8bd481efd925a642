"""Fixtures for the OCPP-J engine tests: one schema registry for all (compiling is the slow part)."""

from __future__ import annotations

import pytest

from voltline.ocppj import SchemaRegistry


@pytest.fixture(scope="session")
def schemas() -> SchemaRegistry:
    return SchemaRegistry()
