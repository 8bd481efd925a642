"""Domain exceptions; the API maps each onto an HTTP status."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the domain reports to its callers."""


class NotFound(DomainError):
    pass


class Conflict(DomainError):
    pass


class InvalidRequest(DomainError):
    pass


class StationOffline(DomainError):
    pass


class StationTimeout(DomainError):
    pass


class StationRejectedCall(DomainError):
    """The station answered a CSMS call with a CALLERROR."""

    def __init__(self, code: str, description: str) -> None:
        super().__init__(f"{code}: {description}" if description else code)
        self.code = code
        self.description = description
