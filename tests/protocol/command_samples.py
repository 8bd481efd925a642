"""Sample commands for every command type, used to check every version's encoders.

Each functional area adds its command types here; tests/protocol/test_routes.py fails when an encoder has
no sample, so no encoder goes unchecked against the OCA schema.
"""

from __future__ import annotations

from voltline.domain.commands import Command, RemoteStart, RemoteStop

COMMAND_SAMPLES: dict[type[Command], list[Command]] = {
    RemoteStart: [RemoteStart("TAG", 2, remote_start_id=7), RemoteStart("TAG")],
    RemoteStop: [RemoteStop("42")],
}
