"""Request and response bodies of the local authorization list endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from voltline.api.schemas import GroupId, StatusInfoBody, Strict
from voltline.areas.local_lists.model import LocalListState, Selection, SyncState
from voltline.areas.local_lists.service import SentUpdate, StopOutcome, SyncOutcome, VersionCheck


class SelectionBody(Strict):
    """Which registry tokens the station's list holds: `{"all": true}` or `{"groups": [...]}`."""

    all: bool = Field(default=False, description="Every token of the registry.")
    groups: list[GroupId] = Field(
        default_factory=list,
        max_length=100,
        description="The tokens of these groups (when `all` is not true).",
        examples=[["FLEET-A", "STAFF"]],
    )

    @model_validator(mode="after")
    def _one_kind(self) -> SelectionBody:
        if self.all and self.groups:
            raise ValueError("give either all=true or groups, not both")
        if not self.all and not self.groups:
            raise ValueError("give all=true or at least one group")
        return self

    def to_domain(self) -> Selection:
        return Selection(all=True) if self.all else Selection(groups=tuple(self.groups))

    @classmethod
    def of(cls, selection: Selection) -> SelectionBody:
        return cls(all=True) if selection.all else cls(groups=list(selection.groups))


class LocalListRequest(Strict):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"selection": {"all": True}}, {"selection": {"groups": ["FLEET-A"]}}]},
    )

    selection: SelectionBody


class LocalListBody(BaseModel):
    station_id: str = Field(examples=["CP-0001"])
    managed: bool = Field(description="Whether Voltline manages this station's local list.")
    selection: SelectionBody | None = Field(default=None, description="What the list holds (when managed).")
    state: SyncState | None = Field(
        default=None,
        description="in_sync: the station confirmed the current list; pending: a change awaits delivery "
        "(offline stations are updated after their next boot); failed: the last attempt failed (see last_error).",
    )
    desired_version: int | None = Field(default=None, description="The version the station gets with its next update.")
    station_version: int | None = Field(
        default=None, description="The version the station last confirmed (0: none confirmed yet)."
    )
    entry_count: int | None = Field(default=None, description="Entries in the list the station confirmed.")
    reported_version: int | None = Field(
        default=None, description="What the station answered to the last GetLocalListVersion (-1: not supported)."
    )
    skipped: list[str] = Field(
        default_factory=list,
        description="Tokens left out of the last update because the station's OCPP version cannot carry them "
        "(OCPP 1.6 idTag and parentIdTag have at most 20 characters).",
    )
    last_error: str | None = None
    last_attempt_at: datetime | None = None
    last_synced_at: datetime | None = None

    @classmethod
    def of(cls, station_id: str, record: LocalListState | None) -> LocalListBody:
        if record is None:
            return cls(station_id=station_id, managed=False)
        return cls(
            station_id=station_id,
            managed=True,
            selection=SelectionBody.of(record.selection),
            state=record.state,
            desired_version=record.desired_version,
            station_version=record.station_version,
            entry_count=record.entry_count,
            reported_version=record.reported_version,
            skipped=list(record.skipped),
            last_error=record.last_error,
            last_attempt_at=record.last_attempt_at,
            last_synced_at=record.last_synced_at,
        )


class SyncRequest(Strict):
    full: bool = Field(default=False, description="Send the whole list (Full) even if a Differential would do.")


class SentUpdateBody(BaseModel):
    version: int = Field(description="listVersion (1.6) / versionNumber (2.0.1) sent.")
    update_type: Literal["Full", "Differential"]
    entries: int = Field(description="Entries added or changed (Full: the entries of this part).")
    removals: int = Field(description="Entries removed.")
    status: str = Field(description="The station's answer.", examples=["Accepted"])
    status_info: StatusInfoBody | None = Field(
        default=None, description="Why the station answered so, when it said (OCPP 2.0.1 statusInfo)."
    )

    @classmethod
    def of(cls, sent: SentUpdate) -> SentUpdateBody:
        return cls(
            version=sent.version,
            update_type="Full" if sent.full else "Differential",
            entries=sent.entries,
            removals=sent.removals,
            status=sent.status,
            status_info=StatusInfoBody.of(sent.status_info),
        )


class SyncResultBody(BaseModel):
    updates: list[SentUpdateBody] = Field(
        description="The SendLocalList messages sent, in order (none when the station was already up to date)."
    )
    skipped: list[str] = Field(description="Tokens the station's OCPP version cannot carry, left out.")
    local_list: LocalListBody

    @classmethod
    def of(cls, station_id: str, outcome: SyncOutcome) -> SyncResultBody:
        return cls(
            updates=[SentUpdateBody.of(s) for s in outcome.updates],
            skipped=list(outcome.skipped),
            local_list=LocalListBody.of(station_id, outcome.record),
        )


class VersionCheckBody(BaseModel):
    reported_version: int = Field(description="The station's answer (0: no list; -1, OCPP 1.6: not supported).")
    recorded_version: int | None = Field(description="The version Voltline recorded (null: not managed).")
    matches: bool | None = Field(description="Whether the two agree (null: not managed).")
    local_list: LocalListBody

    @classmethod
    def of(cls, station_id: str, check: VersionCheck) -> VersionCheckBody:
        return cls(
            reported_version=check.reported,
            recorded_version=check.recorded,
            matches=check.matches,
            local_list=LocalListBody.of(station_id, check.record),
        )


class StopResultBody(BaseModel):
    cleared: bool = Field(description="Whether an empty Full list was sent and accepted first.")
    version: int | None = Field(default=None, description="The version of that empty list.")

    @classmethod
    def of(cls, outcome: StopOutcome) -> StopResultBody:
        return cls(cleared=outcome.cleared, version=outcome.version)
