"""Access: people's accounts, login sessions, MFA, API keys, and the authentication of every API request."""

from __future__ import annotations

from voltline.areas.access.accounts import AccountService
from voltline.areas.access.api import api_keys, mfa, sessions, users
from voltline.areas.access.api_access import ApiAccessService
from voltline.areas.access.login import LoginPolicy, LoginService
from voltline.areas.access.mfa import MfaService
from voltline.areas.access.passwords import PasswordHashing
from voltline.areas.access.settings import AccessSettings
from voltline.areas.access.sql import REPOSITORIES
from voltline.areas.audit.service import AuditService
from voltline.kernel.area import Area, AreaContext
from voltline.kernel.events import EventBus
from voltline.kernel.throttles import Throttles


def login_policy(settings: AccessSettings) -> LoginPolicy:
    return LoginPolicy(
        session_ttl=settings.session_ttl,
        failures_per_account=settings.login_failures_per_account,
        failures_per_address=settings.login_failures_per_address,
        failure_window=settings.login_failure_window,
        lockout=settings.login_lockout,
    )


def build(context: AreaContext) -> None:
    services, storage = context.services, context.storage
    # Ended sessions and keys are announced on it (AccessChanged): the live event streams they hold end.
    bus = services[EventBus]
    passwords = services.provide(PasswordHashing())
    api_access = services.provide(ApiAccessService(storage, bus))
    mfa_service = services.provide(MfaService(storage))
    login = services.provide(
        LoginService(
            storage,
            passwords,
            mfa_service,
            api_access,
            services[AuditService],
            login_policy(context.settings_of(AccessSettings)),
            services[Throttles],
            bus=bus,
        )
    )
    # The same throttle: an admin's unlock ends the lockout in this process at once.
    services.provide(AccountService(storage, passwords, login.throttle, bus=bus))


AREA = Area(
    name="access",
    build=build,
    api_routers=lambda: [sessions.router, mfa.router, users.router, api_keys.router],
    repositories=lambda: REPOSITORIES,
    settings=AccessSettings,
)
