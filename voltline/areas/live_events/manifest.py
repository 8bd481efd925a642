"""Live events: the network's events (connects, boots, status, transactions, meter values, commands, local
lists, charging profiles and limits) as a server-sent event stream, each stream ending with the credential
that opened it (service.py)."""

from __future__ import annotations

from voltline.areas.access.model import AccessChanged
from voltline.areas.live_events import api
from voltline.areas.live_events.service import StreamGuard
from voltline.areas.load_management.model import DemandResponseChanged, SiteLimitsChanged, SiteOverloaded
from voltline.areas.local_lists.model import LocalListStateChanged
from voltline.areas.smart_charging.model import ChargingLimitChanged, ChargingProfileChanged
from voltline.kernel.area import Area, AreaContext
from voltline.kernel.commands import CommandCompleted
from voltline.kernel.events import EventBus
from voltline.kernel.live_events import (
    CHARGING_LIMIT,
    CHARGING_PROFILE,
    COMMAND_RESULT,
    DEMAND_RESPONSE,
    LOCAL_LIST,
    SITE_LOAD,
    SITE_OVERLOADED,
    EventHub,
)


def build(context: AreaContext) -> None:
    """The event hub is a platform service. The per-message kinds are published to it directly by the
    stations and transactions services (their hot paths check `hub.active` before building anything); the
    others reach it from domain events, subscribed here. The streams' guard hears of ended credentials."""
    services = context.services
    follow(services[EventBus], services[EventHub])
    guard_streams(services[EventBus], services.provide(StreamGuard(services[EventHub])))


def guard_streams(bus: EventBus, guard: StreamGuard) -> None:
    """Sessions or API keys were ended (after commit): every open stream checks its credential at once."""

    def access_changed(_event: AccessChanged) -> None:
        guard.access_changed()

    bus.subscribe_after_commit(AccessChanged, access_changed)


def follow(bus: EventBus, hub: EventHub) -> None:
    """Subscribe the hub to the domain events it streams (after commit: each is on the stream only once its
    data is stored). Nobody listening costs the attribute check."""

    def command_completed(event: CommandCompleted) -> None:
        if hub.active:
            hub.publish(
                COMMAND_RESULT,
                event.station_id,
                {"command": event.command, "outcome": event.outcome, "actor": event.actor},
            )

    def local_list_changed(event: LocalListStateChanged) -> None:
        if hub.active:
            data: dict[str, object] = {"state": event.state}
            if event.station_version is not None:
                data["station_version"] = event.station_version
            if event.skipped is not None:
                data["skipped"] = event.skipped
            if event.error is not None:
                data["error"] = event.error
            hub.publish(LOCAL_LIST, event.station_id, data)

    def charging_profile_changed(event: ChargingProfileChanged) -> None:
        if hub.active:
            data: dict[str, object] = {"profile_id": event.profile_id, "evse_id": event.evse_id, "state": event.state}
            if event.reason is not None:
                data["reason"] = event.reason
            hub.publish(CHARGING_PROFILE, event.station_id, data)

    def charging_limit_changed(event: ChargingLimitChanged) -> None:
        if hub.active:
            hub.publish(
                CHARGING_LIMIT,
                event.station_id,
                {"kind": event.kind, "source": event.source, "evse_id": event.evse_id, "cleared": event.cleared},
            )

    def site_limits_changed(event: SiteLimitsChanged) -> None:
        if hub.active:
            data: dict[str, object] = {"site_id": event.site_id, "reason": event.reason, "changed": event.changed}
            data["paused"] = event.paused
            if event.overloaded:
                data["overloaded"] = list(event.overloaded)
            hub.publish(SITE_LOAD, None, data)

    def site_overloaded(event: SiteOverloaded) -> None:
        if hub.active:
            hub.publish(
                SITE_OVERLOADED,
                None,
                {
                    "site_id": event.site_id,
                    "detail": event.detail,
                    "paused": list(event.paused),
                    "overloaded": list(event.overloaded),
                },
            )

    def demand_response_changed(event: DemandResponseChanged) -> None:
        if hub.active:
            hub.publish(
                DEMAND_RESPONSE,
                None,
                {"event_id": event.event_id, "state": event.state, "site_ids": list(event.site_ids)},
            )

    bus.subscribe_after_commit(SiteLimitsChanged, site_limits_changed)
    bus.subscribe_after_commit(SiteOverloaded, site_overloaded)
    bus.subscribe_after_commit(DemandResponseChanged, demand_response_changed)
    bus.subscribe_after_commit(CommandCompleted, command_completed)
    bus.subscribe_after_commit(LocalListStateChanged, local_list_changed)
    bus.subscribe_after_commit(ChargingProfileChanged, charging_profile_changed)
    bus.subscribe_after_commit(ChargingLimitChanged, charging_limit_changed)


AREA = Area(name="live_events", build=build, api_routers=lambda: [api.router])
