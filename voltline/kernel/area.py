"""The manifest of a functional area: everything the composition root needs to know to wire it in.

An area is a package under `voltline/areas/` with a `manifest.py` holding one `Area`. The composition
root (`voltline/composition.py`) walks the explicit, ordered area list (`voltline/areas/catalog.py`):
it builds each area's services in order (so an area can use the services of the areas before it), merges
their OCPP routes and command encoders per version, mounts their API routers, registers their
repositories with storage, and starts and stops them inside one AsyncExitStack. Nothing here is a
decorator or a module-global registry: a manifest is a plain value, and the list is the only place that
names every area.

Edge types (FastAPI routers, SQLAlchemy sessions, protocol handlers) are typed loosely here because the
kernel must not import the edges; the edges check what they receive.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Protocol, TypeVar

from voltline.kernel.commands import Command, StationLink
from voltline.kernel.services import ServiceRegistry
from voltline.kernel.storage import RepositoryKey, Storage
from voltline.kernel.versions import OcppVersion

# (StationContext, payload) -> response payload; see `voltline.protocol.dispatcher.Handler`.
Handler = Callable[[Any, dict[str, Any]], Awaitable[dict[str, Any]]]
# A neutral command -> `voltline.protocol.commands.OutboundCall`.
Encoder = Callable[[Any], Any]

T = TypeVar("T")


class SharedSettings(Protocol):
    """The platform settings (voltline/settings.py) an area's build may read; the kernel does not import
    that edge, so it names here the few it hands on. An area's own settings are its settings class."""

    @property
    def call_timeout(self) -> float: ...

    @property
    def reconcile_interval(self) -> float: ...


def settings_of(settings: object, cls: type[T]) -> T:
    """`settings` as the area settings class `cls`.

    The process's settings object is one instance of the platform settings and of every area's settings
    class at once (see `voltline.composition.settings_class`), so this is a checked narrowing, not a copy.
    """
    if not isinstance(settings, cls):
        raise TypeError(
            f"these settings ({type(settings).__name__}) do not include {cls.__name__}: build them with "
            "voltline.composition.Settings, and name the class in its area's manifest (Area.settings)"
        )
    return settings


@dataclass(frozen=True, slots=True)
class AreaContext:
    """What an area's `build` gets: the platform's ports and settings, and the registry to fill."""

    storage: Storage
    link: StationLink
    settings: SharedSettings  # the process's settings: the platform's and every area's
    services: ServiceRegistry
    # The message log's own storage (None: the main one); only the message log area uses it.
    message_log_storage: Storage | None = None

    def settings_of(self, cls: type[T]) -> T:
        """An area's own settings, typed: `context.settings_of(LocalListSettings).local_list_max_entries`."""
        return settings_of(self.settings, cls)


@dataclass(frozen=True, slots=True)
class OcppBinding:
    """One version's part of an area: the station-initiated actions it answers, and the commands it sends.

    `routes` is called once at start-up with the service registry and returns action -> handler, each
    handler already bound to the few services it uses.
    """

    routes: Callable[[ServiceRegistry], Mapping[str, Handler]] | None = None
    encoders: Mapping[type[Command], Encoder] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class Area:
    name: str
    # Builds the area's services and provides them in the registry (context.services.provide(...)).
    build: Callable[[AreaContext], None]
    ocpp: Mapping[OcppVersion, OcppBinding] = field(default_factory=lambda: MappingProxyType({}))
    # FastAPI routers mounted under /api/v1, in this order.
    api_routers: Callable[[], Sequence[Any]] | None = None
    # Repository key -> factory(sqlalchemy session, dialect name); registers them with SQL storage.
    repositories: Callable[[], Mapping[RepositoryKey[Any], Callable[[Any, str], Any]]] | None = None
    # Background work: `start` runs once every area is built, before the gateway listens; `stop` (in
    # reverse area order) before the gateway closes the stations' connections, for work that talks to
    # stations; `flush` after they are closed, before storage closes, for what must still be written.
    start: Callable[[ServiceRegistry], Awaitable[None]] | None = None
    stop: Callable[[ServiceRegistry], Awaitable[None]] | None = None
    flush: Callable[[ServiceRegistry], Awaitable[None]] | None = None
    # The area's settings: a pydantic model class (the kernel does not import pydantic) whose fields are
    # settings of the process like the platform's (VOLTLINE_<FIELD>, TOML key <field>). The composition root
    # makes them part of the one Settings class; `build` reads them with `context.settings_of(cls)`.
    settings: type[object] | None = None

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"area name {self.name!r} must be an identifier")


def names(areas: Sequence[Area]) -> list[str]:
    seen: set[str] = set()
    for area in areas:
        if area.name in seen:
            raise ValueError(f"area {area.name!r} is listed twice")
        seen.add(area.name)
    return [a.name for a in areas]
