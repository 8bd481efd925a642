"""The set of domain services the edges (API, protocol adapters, dashboard) are given."""

from __future__ import annotations

from dataclasses import dataclass

from voltline.domain.after_boot import AfterBoot
from voltline.domain.api_access import ApiAccessService
from voltline.domain.authorization import AuthorizationService
from voltline.domain.commands import CommandService, StationLink
from voltline.domain.data_transfer import DataTransferRegistry
from voltline.domain.device_events import DeviceEventService
from voltline.domain.events import EventHub
from voltline.domain.remote_control import RemoteControlService
from voltline.domain.report_requests import PendingRequests
from voltline.domain.stations import StationService
from voltline.domain.transactions import TransactionService
from voltline.storage.ports import Storage


@dataclass(slots=True)
class Services:
    stations: StationService
    authorization: AuthorizationService
    transactions: TransactionService
    device_events: DeviceEventService
    data_transfer: DataTransferRegistry
    remote_control: RemoteControlService
    api_access: ApiAccessService
    link: StationLink
    events: EventHub
    commands: CommandService
    after_boot: AfterBoot
    pending_requests: PendingRequests

    @classmethod
    def build(cls, storage: Storage, link: StationLink, heartbeat_interval: int) -> Services:
        transactions = TransactionService(storage)
        events = EventHub()
        commands = CommandService(link, events)
        return cls(
            stations=StationService(storage, heartbeat_interval),
            authorization=AuthorizationService(storage),
            transactions=transactions,
            device_events=DeviceEventService(storage),
            data_transfer=DataTransferRegistry(),
            remote_control=RemoteControlService(commands, transactions),
            api_access=ApiAccessService(storage),
            link=link,
            events=events,
            commands=commands,
            after_boot=AfterBoot(),
            pending_requests=PendingRequests(),
        )
