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
from starlette.types import ASGIApp

from voltline.api.app import create_api
from voltline.areas.access.api_access import ApiAccessService
from voltline.areas.access.login import LoginService
from voltline.areas.access.model import Role
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
from voltline.metrics import METRICS_PATH, Metrics, MetricsEndpoint, MetricSources, metrics_app
from voltline.ocppj import MessageCounts, shared_registry
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
        # Counted by every station session; read only when /metrics is scraped.
        self.message_counts = MessageCounts()
        self.metrics = Metrics(MetricSources(settings.ocpp_versions, self.registry, self.message_counts))
        self._http: _EmbeddedUvicorn | None = None
        self._metrics_http: _EmbeddedUvicorn | None = None
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

    @property
    def metrics_port(self) -> int:
        """The bound port of the separate metrics server (VOLTLINE_METRICS_PORT; useful when it is 0)."""
        assert self._metrics_http is not None and self._metrics_http.servers, "metrics server not started"
        return int(self._metrics_http.servers[0].sockets[0].getsockname()[1])

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
        self.metrics.watch_storage("main", self.storage)
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
                self.metrics.watch_storage("message_log", self.message_storage)
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
        sources = self.metrics.sources
        sources.hub = services[EventHub]
        if message_log.capturing:
            sources.message_log_queue = lambda: message_log.queued
            sources.message_log_dropped = lambda: message_log.dropped
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
            self.message_counts,
        )
        sources.gateway = self.gateway
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
        if settings.metrics_port is not None:
            await self._start_metrics_http(services)
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
        api = create_api(services, api_routers(), max_body_bytes=self.settings.http_max_body)
        # On the API's port /metrics always needs a token: this port usually faces more than Prometheus.
        metrics = self._metrics_endpoint(services, require_token=True)
        api.add_route(METRICS_PATH, metrics.handle, methods=["GET"], include_in_schema=False)
        self._http = await self._serve(
            api, self.settings.http_host, self.settings.http_port, "HTTP", "VOLTLINE_HTTP_PORT"
        )
        log.info("Voltline API on http://%s:%d (docs at /docs)", self.settings.http_host, self.http_port)

    async def _start_metrics_http(self, services: ServiceRegistry) -> None:
        host, port = self.settings.metrics_host, self.settings.metrics_port
        assert port is not None
        token_set = self.settings.metrics_token is not None
        endpoint = self._metrics_endpoint(services, require_token=token_set)
        self._metrics_http = await self._serve(metrics_app(endpoint), host, port, "metrics", "VOLTLINE_METRICS_PORT")
        if not token_set and host not in ("127.0.0.1", "::1", "localhost"):
            log.warning(
                "metrics on %s:%d without VOLTLINE_METRICS_TOKEN: anyone who reaches it may read them", host, port
            )
        log.info("Voltline metrics on http://%s:%d%s", host, self.metrics_port, METRICS_PATH)

    def _metrics_endpoint(self, services: ServiceRegistry, *, require_token: bool) -> MetricsEndpoint:
        login = services[LoginService]

        async def is_admin(token: str) -> bool:
            principal = await login.authenticate(token)
            return principal is not None and principal.role is Role.ADMIN and not principal.must_enrol_mfa

        token = self.settings.metrics_token
        return MetricsEndpoint(
            self.metrics,
            token.get_secret_value() if token is not None else None,
            require_token=require_token,
            other_tokens=is_admin,
        )

    async def _serve(self, asgi: ASGIApp, host: str, port: int, what: str, setting: str) -> _EmbeddedUvicorn:
        """Start uvicorn serving `asgi` on (host, port) in this loop; stopped with the rest of the stack."""
        config = uvicorn.Config(
            asgi,
            host=host,
            port=port,
            log_level=self.settings.log_level.lower(),
            # JSON logs: uvicorn's own handlers would print plain text; without them its records reach ours.
            log_config=None if self.settings.log_format == "json" else uvicorn.config.LOGGING_CONFIG,
            access_log=False,
            lifespan="off",
            backlog=self.settings.backlog,
            # uvicorn believes X-Forwarded-For from 127.0.0.1 by default; we believe it only from configured
            # proxies, or a client could pick its address for the per-address login lockout.
            proxy_headers=bool(self.settings.http_trusted_proxies),
            forwarded_allow_ips=list(self.settings.http_trusted_proxies) or None,
        )
        # Bound here, not by uvicorn: uvicorn answers a busy port with sys.exit() from inside its task.
        try:
            listener = _listening_socket(host, port)
        except OSError as exc:
            raise CannotListen(what, host, port, setting, exc) from exc
        server = _EmbeddedUvicorn(config)
        task = asyncio.create_task(server.serve(sockets=[listener]), name=f"{what}-server")
        self._stack.push_async_callback(self._stop_server, server, task)
        while not server.started:
            if task.done():
                listener.close()
                task.result()  # raises what made it fail (e.g. port in use)
                raise RuntimeError(f"{what} server stopped during start-up")
            await asyncio.sleep(0.01)
        return server

    @staticmethod
    async def _stop_server(server: _EmbeddedUvicorn, task: asyncio.Task[None]) -> None:
        server.should_exit = True
        with contextlib.suppress(Exception):
            await task

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
