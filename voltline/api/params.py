"""Path parameters shared by several routers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from voltline.api.schemas import PRINTABLE

# A station identity is the last path segment of its WebSocket URL and the user name of its Basic auth,
# where a ':' would be ambiguous. Control characters are refused as everywhere else.
STATION_ID_PATTERN = r"^[^:\x00-\x1f\x7f]+$"

StationId = Annotated[
    str,
    Path(
        min_length=1,
        max_length=48,
        pattern=STATION_ID_PATTERN,
        description="The station's identity: 1 to 48 characters, no ':'.",
        examples=["CP-0001"],
    ),
]

IdTokenPath = Annotated[
    str,
    Path(min_length=1, max_length=36, pattern=PRINTABLE, description="The token's identifier."),
]
