"""The services of one running Voltline, found by their type.

The composition root fills a `ServiceRegistry` area by area (each area's `build` provides its services
and takes those of the areas below it); edges then take only the services they use: a route table binds
its handlers to them, an API endpoint declares them as dependencies.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

T = TypeVar("T")

# What a service is found by: its class, or the port (a Protocol) it was provided as. A callable rather
# than `type[T]`, which mypy refuses for protocols ("Only concrete class can be given", type-abstract).
ServiceKey = Callable[..., T]


class ServiceMissingError(LookupError):
    """A service was asked for before (or without) the area that provides it being built."""


class ServiceRegistry:
    __slots__ = ("_by_type",)

    def __init__(self) -> None:
        self._by_type: dict[type[Any], Any] = {}

    def provide(self, service: T, kind: type[T] | None = None) -> T:
        """Register `service` under its own class (or `kind`, for a port it implements); returns it."""
        key = kind or type(service)
        if key in self._by_type:
            raise ValueError(f"{key.__name__} is already provided")
        self._by_type[key] = service
        return service

    def __getitem__(self, kind: ServiceKey[T]) -> T:
        try:
            return cast(T, self._by_type[cast(type[Any], kind)])
        except KeyError:
            name = getattr(kind, "__name__", repr(kind))
            raise ServiceMissingError(f"no {name} provided: is its area in the area list?") from None

    def get(self, kind: ServiceKey[T]) -> T | None:
        return cast("T | None", self._by_type.get(cast(type[Any], kind)))

    def __contains__(self, kind: ServiceKey[Any]) -> bool:
        return kind in self._by_type
