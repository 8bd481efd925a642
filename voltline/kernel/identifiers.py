"""Rules for identifiers that come from outside: station ids."""

from __future__ import annotations

import re

MAX_STATION_ID_LENGTH = 48

# OCPP 2.0.1 identifierString without ':' (it separates Basic-auth username and password), at most 48
# characters. No percent-escapes, slashes or control characters, so an id is always safe in paths and logs.
_STATION_ID = re.compile(r"[A-Za-z0-9*\-_=+|@.]{1,48}")
# The rule above in words, for the messages that refuse an id (API, import, ...).
STATION_ID_RULE = "1 to 48 of A-Z a-z 0-9 * - _ = + | @ ., not only dots"


def is_valid_station_id(candidate: str) -> bool:
    """Whether `candidate` is a station id Voltline accepts (at the handshake, in the API and imports).

    Ids made only of dots are refused: `.` and `..` are path segments, not names."""
    return _STATION_ID.fullmatch(candidate) is not None and candidate.strip(".") != ""
