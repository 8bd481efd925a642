"""What the smart-charging area needs from storage."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from voltline.areas.smart_charging.model import (
    ChargingLimit,
    ChargingProfile,
    ProfileTemplate,
    ReportedProfile,
    StoredProfile,
)
from voltline.kernel.storage import RepositoryKey


class ChargingProfileRepository(Protocol):
    """The profiles Voltline keeps per station (one per station and profile id)."""

    async def get(self, station_id: str, profile_id: int) -> StoredProfile | None: ...
    async def list(self, station_id: str, *, active_only: bool = False) -> builtins.list[StoredProfile]:
        """The station's profiles by EVSE, purpose and stack level; `active_only`: not cleared, not rejected."""
        ...

    async def save(self, record: StoredProfile) -> None:
        """Insert or replace the record of (station, profile id)."""
        ...

    async def save_many(self, records: Sequence[StoredProfile]) -> None:
        """`save` for many records with one statement (each of another station, or another profile id)."""
        ...

    async def set_state(self, records: Sequence[StoredProfile]) -> None:
        """Write the delivery state (state, status_reason, updated_at) of each record."""
        ...

    async def stations_with_pending(self) -> builtins.list[str]:
        """Ids of the stations holding a profile not yet delivered."""
        ...

    async def all_active(self) -> builtins.list[StoredProfile]:
        """Every pending or accepted profile of every station."""
        ...

    async def stations_with_active(self) -> builtins.list[str]:
        """Ids of the stations holding a profile that is not cleared or rejected."""
        ...

    async def next_profile_id(self, station_id: str) -> int:
        """One above the highest profile id stored for the station (1 for none)."""
        ...

    async def retire_expired(self, now: datetime) -> builtins.list[StoredProfile]:
        """Mark cleared every active profile whose validity ended before `now`; the records changed."""
        ...


class StationViewRepository(Protocol):
    """What stations report: the profiles they hold (2.0.1 ReportChargingProfiles) and the limits they are
    under (external constraints, EV charging needs and schedules)."""

    async def replace_reported(self, station_id: str, profiles: Sequence[ReportedProfile]) -> None:
        """The station's view is now `profiles` (the first part of a report)."""
        ...

    async def add_reported(self, profiles: Sequence[ReportedProfile]) -> None:
        """Add (or overwrite) profiles to the view (a later part of the same report)."""
        ...

    async def reported(self, station_id: str) -> builtins.list[ReportedProfile]: ...
    async def put_limit(self, limit: ChargingLimit) -> None:
        """Insert or replace the limit of (station, EVSE, kind, source)."""
        ...

    async def clear_limit(self, station_id: str, kind: str, source: str, evse_id: int | None) -> int:
        """Remove the limits of that kind and source (on one EVSE, or all when None); how many."""
        ...

    async def limits(self, station_id: str) -> builtins.list[ChargingLimit]: ...


class ProfileTemplateRepository(Protocol):
    async def get(self, template_id: int) -> ProfileTemplate | None: ...
    async def by_name(self, name: str) -> ProfileTemplate | None: ...
    async def list(self) -> builtins.list[ProfileTemplate]: ...
    async def add(self, name: str, profile: ChargingProfile, created_by: str) -> ProfileTemplate: ...
    async def delete(self, template_id: int) -> bool: ...


CHARGING_PROFILES: RepositoryKey[ChargingProfileRepository] = RepositoryKey("charging_profiles")
STATION_VIEWS: RepositoryKey[StationViewRepository] = RepositoryKey("charging_station_views")
PROFILE_TEMPLATES: RepositoryKey[ProfileTemplateRepository] = RepositoryKey("charging_profile_templates")
