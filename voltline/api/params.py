"""Path parameters shared by several routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from voltline.api.schemas import NO_NUL, PRINTABLE

# A station identity is the last path segment of its WebSocket URL and the user name of its Basic auth,
# where a ':' would be ambiguous. Control characters are refused as everywhere else. The length is part of
# the pattern (not min/max_length, which pydantic checks first) so that every way an id can be wrong is
# one pattern mismatch, which the error handler answers with STATION_ID_RULE instead of the regex.
STATION_ID_PATTERN = r"^[^:\x00-\x1f\x7f]{1,48}$"
STATION_ID_RULE = "a station id is 1 to 48 characters, any but ':' and control characters"

StationId = Annotated[
    str,
    Path(
        pattern=STATION_ID_PATTERN,
        description="The station's identity: 1 to 48 characters, no ':'.",
        examples=["CP-0001"],
        json_schema_extra={"minLength": 1, "maxLength": 48},
    ),
]

IdTokenPath = Annotated[
    str,
    Path(min_length=1, max_length=36, pattern=PRINTABLE, description="The token's identifier."),
]

# What a value failing one of these patterns is told, rather than the regex itself.
PATTERN_RULES: dict[str, str] = {
    STATION_ID_PATTERN: STATION_ID_RULE,
    PRINTABLE: "printable characters only: no control characters",
    NO_NUL: "any characters but NUL (\\u0000)",
}
