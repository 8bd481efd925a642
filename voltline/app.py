"""The process: storage -> the areas' services -> the station gateway and the HTTP API, and their lifecycle.

Everything started is registered on one AsyncExitStack as it starts, so a failed start-up undoes exactly
what was done and a stop runs the same steps in reverse. The parts themselves come from
`voltline.composition`, which walks the area list.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import signal
import socket
import sys
from collections.abc import Iterator

import uvicorn

from voltline.api.app import create_api
from voltline.areas.access.api_access import ApiAccessService
from voltline.areas.message_log.service import MessageLog
from voltline.areas.message_log.settings import MessageLogSettings
from voltline.areas.stations.admission import AdmissionService
from voltline.areas.stations.model import StationBootAccepted, UnknownStationPolicy
from voltline.areas.stations.service import StationService
from voltline.areas.stations.settings import StationSettings
from voltline.composition import (
    api_routers,
    build_services,
    encoders,
    flush_areas,
    route_tables,
    sql_repositories,
    start_areas,
    stop_areas,
)
from voltline.gateway.registry import ConnectionRegistry
from voltline.gateway.server import GatewayConfig, StationGateway
from voltline.gc_tuning import tune_for_server
from voltline.kernel.after_boot import AfterBoot
from voltline.kernel.area import settings_of
from voltline.kernel.events import EventBus
from voltline.kernel.live_events import EventHub
from voltline.kernel.services import ServiceRegistry
from voltline.ocppj import shared_registry
from voltline.protocol.binding import DispatcherFactory
from voltline.protocol.outbound import SessionLink
from voltline.settings import PlatformSettings
from voltline.storage.sql import migrate
from voltline.storage.sql.engine import loggable_url
from voltline.storage.sql.message_store import (
    default_message_log_url,
    open_message_store,
    prepare_message_log_database,
)
from voltline.storage.sql.storage import SqlStorage

log = logging.getLogger("voltline")


class DatabaseNotMigrated(RuntimeError):
    pass


class CannotListen(RuntimeError):
    """A server's port cannot be listened on (in use, or not permitted): the message names the setting."""

    def __init__(self, what: str, host: str, port: int, setting: str, error: OSError) -> None:
        reason = (
            "is already in use" if error.errno == errno.EADDRINUSE else f"cannot be used ({error.strerror or error})"
        )
        super().__init__(f"{what} port {port} on {host} {reason}: set {setting} to another port")
        self.port = port
        self.setting = setting


def prepare_database(url: str) -> None:
    """Migrate an empty database; refuse to start on one that is behind (an operator runs the upgrade)."""
    if migrate.is_empty(url):
        log.info("empty database %s: creating the schema", loggable_url(url))
        migrate.upgrade(url)
        return
    current, head = migrate.current_revision(url), migrate.head_revision()
    if current != head:
        raise DatabaseNotMigrated(
            f"database schema is at {current or 'no revision'}, this version needs {head}: "
            "run `voltline db upgrade` first"
        )


def _listening_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to (host, port), as uvicorn would bind it; the server listens on it."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


class _EmbeddedUvicorn(uvicorn.Server):
    """uvicorn inside our event loop: signals belong to the Voltline process, not to uvicorn."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class Voltline:
    """The whole CSMS in one process: the station gateway and the HTTP API over the areas' services."""

    def __init__(self, settings: PlatformSettings, *, serve_http: bool = True) -> None:
        """`settings`: the process's (`voltline.composition.Settings`), with every area's."""
        self.settings = settings
        self._serve_http = serve_http
        self.storage: SqlStorage | None = None
        self.message_storage: SqlStorage | None = None
        self.services: ServiceRegistry | None = None
        self.gateway: StationGateway | None = None
        self.registry = ConnectionRegistry()
        self.generated_admin_token: str | None = None
        self._http: _EmbeddedUvicorn | None = None
        self._http_task: asyncio.Task[None] | None = None
        self._stack = contextlib.AsyncExitStack()
        self._stopped = False

    @property
    def ocpp_port(self) -> int:
        assert self.gateway is not None
        return self.gateway.port

    @property
    def http_port(self) -> int:
        assert self._http is not None and self._http.servers, "HTTP server not started"
        return int(self._http.servers[0].sockets[0].getsockname()[1])

    async def start(self) -> None:
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> None:
        settings, stack = self.settings, self._stack
        await asyncio.to_thread(prepare_database, settings.database_url)
        self.storage = await SqlStorage.open(
            settings.database_url,
            sql_repositories(),
            max_batch=settings.write_batch_max,
            sqlite_synchronous=settings.sqlite_synchronous,
        )
        stack.push_async_callback(self.storage.close)
        # The message log's storage is opened here, with the main one, for its area to build on.
        message_log_settings = settings_of(settings, MessageLogSettings)
        if message_log_settings.message_log:
            log_url = message_log_settings.message_log_database_url or default_message_log_url(settings.database_url)
            await asyncio.to_thread(prepare_message_log_database, log_url, settings.database_url)
            self.message_storage = await open_message_store(
                log_url, settings.database_url, sql_repositories(), max_batch=settings.write_batch_max
            )
            if self.message_storage is not None:
                stack.push_async_callback(self.message_storage.close)
        schemas = shared_registry()
        services = build_services(
            self.storage,
            SessionLink(self.registry, encoders()),
            settings,
            message_log_storage=self.message_storage,
        )
        self.services = services
        stations = services[StationService]
        stack.push_async_callback(self._mark_all_offline, stations)
        stack.push_async_callback(flush_areas, services)  # after the gateway closed: e.g. the frames still queued
        await start_areas(services)
        configured = settings.admin_token.get_secret_value() if settings.admin_token else None
        self.generated_admin_token = await services[ApiAccessService].ensure_admin_token(configured)
        await stations.mark_all_offline()  # whatever was online before a crash is not now

        if settings_of(settings, StationSettings).unknown_stations is UnknownStationPolicy.ACCEPT:
            log.warning(
                "VOLTLINE_UNKNOWN_STATIONS=accept: any station id is registered and accepted without "
                "credentials. Use this only for labs, test benches and load tests."
            )
        message_log = services[MessageLog]
        after_boot, bus = services[AfterBoot], services[EventBus]
        self.gateway = StationGateway(
            GatewayConfig(
                host=settings.ocpp_host,
                port=settings.ocpp_port,
                path_prefix=settings.ocpp_path,
                versions=settings.ocpp_versions,
                ping_interval=settings.ping_interval,
                ping_timeout=settings.ping_timeout,
                handshake_timeout=settings.handshake_timeout,
                close_timeout=settings.close_timeout,
                auth_failures_per_minute=settings.auth_failures_per_minute,
                max_pending_handshakes_per_address=settings.max_pending_handshakes_per_address,
                call_timeout=settings.call_timeout,
                max_message_size=settings.max_message_size,
                backlog=settings.backlog,
                last_seen_flush_interval=settings.last_seen_flush_interval,
            ),
            # The stations area serves the gateway's ports (voltline/gateway/ports.py): the gateway knows no area.
            services[AdmissionService],  # Admission
            stations,  # PresenceReports
            schemas,
            self.registry,
            # Once an Accepted boot's answer is on the wire: its subscribers request their after-boot steps.
            DispatcherFactory(route_tables(services), lambda station_id: bus.announce(StationBootAccepted(station_id))),
            message_log.observer if message_log.capturing else None,
        )
        try:
            await self.gateway.start()
        except OSError as exc:
            raise CannotListen("OCPP", settings.ocpp_host, settings.ocpp_port, "VOLTLINE_OCPP_PORT", exc) from exc
        stack.push_async_callback(self.gateway.stop)
        # Before the gateway closes the stations' connections: the work that talks to stations.
        stack.push_async_callback(stop_areas, services)
        stack.push_async_callback(after_boot.close)
        if self._serve_http:
            await self._start_http(services)
        # First of all on stop: end the live event streams, which uvicorn's graceful stop would wait for.
        stack.callback(services[EventHub].close)
        log.info(
            "Voltline serving OCPP on ws://%s:%d%s/{stationId} (%s)",
            settings.ocpp_host,
            self.ocpp_port,
            settings.ocpp_path,
            ", ".join(v.value for v in settings.ocpp_versions),
        )

    async def _start_http(self, services: ServiceRegistry) -> None:
        config = uvicorn.Config(
            create_api(services, api_routers()),
            host=self.settings.http_host,
            port=self.settings.http_port,
            log_level=self.settings.log_level.lower(),
            access_log=False,
            lifespan="off",
            backlog=self.settings.backlog,
        )
        # Bound here, not by uvicorn: uvicorn answers a busy port with sys.exit() from inside its task.
        try:
            listener = _listening_socket(self.settings.http_host, self.settings.http_port)
        except OSError as exc:
            raise CannotListen(
                "HTTP", self.settings.http_host, self.settings.http_port, "VOLTLINE_HTTP_PORT", exc
            ) from exc
        self._http = _EmbeddedUvicorn(config)
        self._http_task = asyncio.create_task(self._http.serve(sockets=[listener]), name="http-api")
        self._stack.push_async_callback(self._stop_http)
        while not self._http.started:
            if self._http_task.done():
                listener.close()
                self._http_task.result()  # raises what made it fail (e.g. port in use)
                raise RuntimeError("HTTP server stopped during start-up")
            await asyncio.sleep(0.01)
        log.info("Voltline API on http://%s:%d (docs at /docs)", self.settings.http_host, self.http_port)

    async def _stop_http(self) -> None:
        if self._http is not None and self._http_task is not None:
            self._http.should_exit = True
            with contextlib.suppress(Exception):
                await self._http_task

    @staticmethod
    async def _mark_all_offline(stations: StationService) -> None:
        with contextlib.suppress(Exception):
            await stations.mark_all_offline()

    async def stop(self) -> None:
        """Graceful: stop accepting, close stations with 1001, finish commits in flight, close storage."""
        if self._stopped:
            return
        self._stopped = True
        await self._stack.aclose()
        log.info("Voltline stopped")


async def serve_until_signalled(settings: PlatformSettings) -> None:
    app = Voltline(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await app.start()
    tune_for_server()
    if app.generated_admin_token:
        # Shown once, on the terminal only: it is stored hashed and cannot be recovered.
        print(
            f"\nGenerated admin API token (shown once, store it now):\n  {app.generated_admin_token}\n",
            file=sys.stderr,
            flush=True,
        )
    try:
        await stop.wait()
    finally:
        log.info("shutting down")
        await app.stop()
