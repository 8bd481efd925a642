"""The functional areas of this Voltline, in build order: an area may use the services of those above it.

Adding an area is one package under `voltline/areas/` with a `manifest.py`, and one line here.
"""

from __future__ import annotations

from voltline.areas.access.manifest import AREA as ACCESS
from voltline.areas.audit.manifest import AREA as AUDIT
from voltline.areas.authorization.manifest import AREA as AUTHORIZATION
from voltline.areas.configuration.manifest import AREA as CONFIGURATION
from voltline.areas.data_transfer.manifest import AREA as DATA_TRANSFER
from voltline.areas.live_events.manifest import AREA as LIVE_EVENTS
from voltline.areas.load_management.manifest import AREA as LOAD_MANAGEMENT
from voltline.areas.local_lists.manifest import AREA as LOCAL_LISTS
from voltline.areas.message_log.manifest import AREA as MESSAGE_LOG
from voltline.areas.remote_control.manifest import AREA as REMOTE_CONTROL
from voltline.areas.smart_charging.manifest import AREA as SMART_CHARGING
from voltline.areas.stations.manifest import AREA as STATIONS
from voltline.areas.transactions.manifest import AREA as TRANSACTIONS
from voltline.kernel.area import Area

AREAS: tuple[Area, ...] = (
    AUDIT,
    ACCESS,
    STATIONS,
    AUTHORIZATION,
    TRANSACTIONS,
    REMOTE_CONTROL,
    DATA_TRANSFER,
    CONFIGURATION,
    LOCAL_LISTS,
    SMART_CHARGING,
    LOAD_MANAGEMENT,
    MESSAGE_LOG,
    LIVE_EVENTS,
)
