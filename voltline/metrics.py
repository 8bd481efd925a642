"""Prometheus metrics of one Voltline process, and the GET /metrics endpoint that exposes them.

Nothing here runs per OCPP message. The station path keeps plain counters it needs anyway or that cost a
dict update (`voltline.ocppj.MessageCounts` in the sessions, the gateway's `handshake_refusals`), and
`VoltlineCollector` turns them into metric families when Prometheus scrapes; gauges (stations connected,
queue depths, event-stream subscribers) are read from the live objects at that moment too. The only
prometheus_client objects updated as the server runs are the commit histograms, observed once per
commit group by the storage writer, not per message.

Each `Metrics` has its own `CollectorRegistry` (never the library's global one): tests run many servers
in one process, and each must report only its own. prometheus_client is imported by this module only
(an import-linter contract says so).

Access: on the API's port, /metrics needs `Authorization: Bearer <token>` with VOLTLINE_METRICS_TOKEN or
an admin's API key or session token; VOLTLINE_METRICS_PORT serves it on a port of its own as well
(127.0.0.1 by default), open there unless a metrics token is set.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Final

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.process_collector import ProcessCollector
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from voltline.gateway.registry import ConnectionRegistry
from voltline.gateway.server import StationGateway
from voltline.kernel.live_events import EventHub
from voltline.ocppj import UNREADABLE, MessageCounts, OcppVersion
from voltline.storage.sql.storage import CommitObserver, SqlStorage

METRICS_PATH: Final = "/metrics"

_MESSAGE_TYPES: Final = {2: "CALL", 3: "CALLRESULT", 4: "CALLERROR", UNREADABLE: "unreadable"}
_DIRECTIONS: Final = {False: "in", True: "out"}
# A commit group holds up to VOLTLINE_WRITE_BATCH_MAX (512) entries; the buckets follow that range.
_GROUP_SIZE_BUCKETS: Final = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
_COMMIT_SECONDS_BUCKETS: Final = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


@dataclass(slots=True)
class MetricSources:
    """What the collector reads at scrape time; the application fills it in as the parts start."""

    versions: Sequence[OcppVersion]
    connections: ConnectionRegistry
    message_counts: MessageCounts
    gateway: StationGateway | None = None
    storages: dict[str, SqlStorage] = field(default_factory=dict)  # "main", "message_log"
    hub: EventHub | None = None
    message_log_queue: Callable[[], int] | None = None  # frames captured, not yet written
    message_log_dropped: Callable[[], int] | None = None


class VoltlineCollector:
    """A prometheus_client custom collector: builds every family from `MetricSources` when scraped."""

    def __init__(self, sources: MetricSources) -> None:
        self._sources = sources

    def collect(self) -> Iterator[Metric]:
        sources = self._sources
        yield self._connected(sources)
        yield from self._messages(sources.message_counts)
        refusals = CounterMetricFamily(
            "voltline_handshake_refusals",
            "Station WebSocket handshakes refused (or closed at once), by reason",
            labels=["reason"],
        )
        if sources.gateway is not None:
            for reason, count in sorted(sources.gateway.handshake_refusals.items()):
                refusals.add_metric([reason], count)
        yield refusals
        yield self._queues(sources)
        yield GaugeMetricFamily(
            "voltline_event_stream_subscribers",
            "Open subscriptions to the live event stream (GET /api/v1/events)",
            value=sources.hub.subscriber_count if sources.hub is not None else 0,
        )
        if sources.message_log_dropped is not None:
            yield CounterMetricFamily(
                "voltline_message_log_dropped_frames",
                "OCPP frames the message log lost (queue overflow or a failed write)",
                value=sources.message_log_dropped(),
            )

    @staticmethod
    def _connected(sources: MetricSources) -> GaugeMetricFamily:
        by_version = dict.fromkeys(sources.versions, 0)  # a configured version with no station shows 0
        for connection in sources.connections.all():
            version = connection.session.version
            by_version[version] = by_version.get(version, 0) + 1
        family = GaugeMetricFamily(
            "voltline_stations_connected", "Stations connected to this process, by OCPP version", labels=["version"]
        )
        for version, count in by_version.items():
            family.add_metric([version.number], count)
        return family

    @staticmethod
    def _messages(counts: MessageCounts) -> Iterable[Metric]:
        messages = CounterMetricFamily(
            "voltline_ocpp_messages",
            "OCPP-J frames received (in) and sent (out), by version, message type and action",
            labels=["version", "direction", "type", "action"],
        )
        for version, of_version in counts.by_version.items():
            # list(): a copy, so a frame counted meanwhile cannot change the dict while we walk it.
            for (outbound, message_type), actions in of_version.frames.items():
                direction, kind = _DIRECTIONS[outbound], _MESSAGE_TYPES[message_type]
                for action, count in list(actions.items()):
                    messages.add_metric([version.number, direction, kind, action], count)
        errors = CounterMetricFamily(
            "voltline_ocpp_callerrors",
            "CALLERRORs received (in) and sent (out), by version and errorCode",
            labels=["version", "direction", "code"],
        )
        for version, of_version in counts.by_version.items():
            for (outbound, code), count in list(of_version.errors.items()):
                errors.add_metric([version.number, _DIRECTIONS[outbound], code], count)
        return messages, errors

    @staticmethod
    def _queues(sources: MetricSources) -> GaugeMetricFamily:
        family = GaugeMetricFamily("voltline_queue_depth", "Items waiting in the process's queues", labels=["queue"])
        for name, storage in sources.storages.items():
            family.add_metric([f"{name}_writer"], storage.queue_depth)
        if sources.message_log_queue is not None:
            family.add_metric(["message_log_frames"], sources.message_log_queue())
        inbox = outgoing = 0
        for connection in sources.connections.all():
            inbox += connection.websocket.backlog()
            outgoing += connection.session.pending_calls
        family.add_metric(["station_inbox"], inbox)  # received messages waiting behind the one being handled
        family.add_metric(["station_outgoing_calls"], outgoing)  # CSMS calls in flight or waiting for the slot
        return family


class Metrics:
    """The registry of one application: its collector, the process collector and the commit histograms."""

    def __init__(self, sources: MetricSources) -> None:
        self.sources = sources
        self.registry = CollectorRegistry()
        self.registry.register(VoltlineCollector(sources))
        ProcessCollector(registry=self.registry)  # CPU seconds, resident memory, open file descriptors
        self._group_size = Histogram(
            "voltline_commit_group_size",
            "Entries (station messages and other writes) committed together in one database transaction",
            ["storage"],
            registry=self.registry,
            buckets=_GROUP_SIZE_BUCKETS,
        )
        self._commit_seconds = Histogram(
            "voltline_commit_seconds",
            "Seconds from a commit group's BEGIN until every caller in it was answered (re-runs included)",
            ["storage"],
            registry=self.registry,
            buckets=_COMMIT_SECONDS_BUCKETS,
        )

    def watch_storage(self, name: str, storage: SqlStorage) -> None:
        """Report `storage`'s writer queue and observe each of its commit groups under `name`."""
        self.sources.storages[name] = storage
        storage.commit_observer = self._commit_observer(name)

    def _commit_observer(self, name: str) -> CommitObserver:
        # The label children are looked up once here, not per group.
        size, seconds = self._group_size.labels(name), self._commit_seconds.labels(name)

        def observe(entries: int, elapsed: float) -> None:
            size.observe(entries)
            seconds.observe(elapsed)

        return observe

    def exposition(self) -> bytes:
        """The text exposition format (what Prometheus scrapes)."""
        return generate_latest(self.registry)


# Returns whether a bearer token may read the metrics without being the metrics token (an admin's).
TokenCheck = Callable[[str], Awaitable[bool]]


class MetricsEndpoint:
    """GET /metrics as a Starlette endpoint: the exposition, or 401 when a required token is missing."""

    def __init__(self, metrics: Metrics, token: str | None, *, require_token: bool, other_tokens: TokenCheck | None):
        self._metrics = metrics
        self._token = token.encode() if token else None
        self._require_token = require_token
        self._other_tokens = other_tokens

    # A method, not __call__: Starlette runs a route's plain callable object as a raw ASGI app.
    async def handle(self, request: Request) -> Response:
        if self._require_token and not await self._authorised(request):
            return JSONResponse(
                {"detail": "metrics need 'Authorization: Bearer <token>': VOLTLINE_METRICS_TOKEN or an admin's token"},
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
        # Built on the event loop, not in a thread: the collector reads live objects the loop changes.
        return Response(self._metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    async def _authorised(self, request: Request) -> bool:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token or len(token) > 512:
            return False
        if self._token is not None and hmac.compare_digest(token.encode(), self._token):
            return True
        return self._other_tokens is not None and await self._other_tokens(token)


def metrics_app(endpoint: MetricsEndpoint) -> Starlette:
    """The application of the separate metrics port: /metrics and nothing else."""
    return Starlette(routes=[Route(METRICS_PATH, endpoint.handle, methods=["GET"])])
