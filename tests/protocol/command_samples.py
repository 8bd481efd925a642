"""Sample commands for every command type, used to check every version's encoders.

Each functional area adds its command types here; tests/protocol/test_routes.py fails when an encoder has
no sample, so no encoder goes unchecked against the OCA schema.
"""

from __future__ import annotations

from tests.protocol.configuration_samples import CONFIGURATION_SAMPLES
from tests.protocol.local_list_samples import LOCAL_LIST_SAMPLES
from tests.protocol.remote_control_samples import REMOTE_CONTROL_SAMPLES
from tests.protocol.smart_charging_samples import SMART_CHARGING_SAMPLES
from voltline.areas.remote_control.commands import RemoteStart, RemoteStop
from voltline.kernel.commands import Command

COMMAND_SAMPLES: dict[type[Command], list[Command]] = {
    RemoteStart: [RemoteStart("TAG", 2, remote_start_id=7), RemoteStart("TAG")],
    RemoteStop: [RemoteStop("42")],
    **REMOTE_CONTROL_SAMPLES,
    **LOCAL_LIST_SAMPLES,
    **CONFIGURATION_SAMPLES,
    **SMART_CHARGING_SAMPLES,
}
