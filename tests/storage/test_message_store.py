from __future__ import annotations

import pytest

from voltline.storage.sql.message_store import default_message_log_url


@pytest.mark.parametrize(
    ("main", "expected"),
    [
        ("sqlite+aiosqlite:////srv/voltline.db", "sqlite+aiosqlite:////srv/voltline.messages.db"),
        ("sqlite:///./data/csms.sqlite3", "sqlite+aiosqlite:///data/csms.messages.sqlite3"),
        ("sqlite:///voltline", "sqlite+aiosqlite:///voltline.messages.db"),
        ("postgresql://u:p@db:5432/voltline", "postgresql://u:p@db:5432/voltline"),
    ],
)
def test_the_message_log_database_by_default(main: str, expected: str) -> None:
    assert default_message_log_url(main) == expected
