"""The set of domain services the edges (API, protocol adapters, dashboard) are given."""

from __future__ import annotations

from dataclasses import dataclass

from voltline.domain.accounts import AccountService
from voltline.domain.after_boot import AfterBoot
from voltline.domain.api_access import ApiAccessService
from voltline.domain.audit import AuditService
from voltline.domain.authorization import AuthorizationService
from voltline.domain.commands import CommandService, StationLink
from voltline.domain.config_templates import TemplateService
from voltline.domain.configuration import ConfigurationService
from voltline.domain.data_transfer import DataTransferRegistry
from voltline.domain.device_events import DeviceEventService
from voltline.domain.events import EventHub
from voltline.domain.local_lists import LocalListService
from voltline.domain.login import LoginPolicy, LoginService
from voltline.domain.message_log import MessageLog, MessageLogConfig
from voltline.domain.mfa import MfaService
from voltline.domain.passwords import PasswordHashing
from voltline.domain.remote_control import RemoteControlService
from voltline.domain.report_requests import PendingRequests
from voltline.domain.reviews import ReviewService
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
    accounts: AccountService
    logins: LoginService
    mfa: MfaService
    audit: AuditService
    link: StationLink
    events: EventHub
    commands: CommandService
    after_boot: AfterBoot
    pending_requests: PendingRequests
    configuration: ConfigurationService
    config_templates: TemplateService
    message_log: MessageLog
    local_lists: LocalListService
    reviews: ReviewService

    @classmethod
    def build(
        cls,
        storage: Storage,
        link: StationLink,
        heartbeat_interval: int,
        call_timeout: float = 30.0,
        message_log: MessageLogConfig | None = None,
        message_log_storage: Storage | None = None,
        login_policy: LoginPolicy | None = None,
    ) -> Services:
        events = EventHub()
        transactions = TransactionService(storage, events)
        commands = CommandService(link, events)
        audit = AuditService(storage)
        commands.audit = audit  # every command sent to a station is recorded with its actor and outcome
        passwords = PasswordHashing()
        api_access = ApiAccessService(storage)
        mfa = MfaService(storage)
        logins = LoginService(storage, passwords, mfa, api_access, audit, login_policy or LoginPolicy())
        pending_requests = PendingRequests()
        after_boot = AfterBoot()
        authorization = AuthorizationService(storage)
        local_lists = LocalListService(storage, commands, events)
        authorization.watch(local_lists)  # token changes make the affected stations' lists pending
        after_boot.register("local_list", local_lists.reconcile)
        configuration = ConfigurationService(storage, commands, pending_requests)
        local_lists.station_limit = configuration.stored_limit  # SendLocalList within what the station announced
        config_templates = TemplateService(storage, configuration, commands)
        after_boot.register("configuration_templates", config_templates.on_boot)
        return cls(
            stations=StationService(storage, heartbeat_interval, events),
            authorization=authorization,
            transactions=transactions,
            device_events=DeviceEventService(storage),
            data_transfer=DataTransferRegistry(),
            remote_control=RemoteControlService(commands, transactions, pending_requests, call_timeout),
            api_access=api_access,
            accounts=AccountService(storage, passwords),
            logins=logins,
            mfa=mfa,
            audit=audit,
            link=link,
            events=events,
            commands=commands,
            after_boot=after_boot,
            pending_requests=pending_requests,
            configuration=configuration,
            config_templates=config_templates,
            message_log=MessageLog(message_log_storage or storage, message_log, registry=storage),
            local_lists=local_lists,
            reviews=ReviewService(storage),
        )
