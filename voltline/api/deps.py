"""Endpoints take the services they use, by type: `stations: Annotated[StationService, Provided(StationService)]`.

The registry itself (`app.state.services`) is never handed to an endpoint, so what an endpoint can reach
is visible in its signature.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import Depends, Request

from voltline.kernel.services import ServiceRegistry

T = TypeVar("T")


def registry_of(request: Request) -> ServiceRegistry:
    services: ServiceRegistry = request.app.state.services
    return services


def Provided(kind: type[T]) -> Any:
    """A FastAPI dependency on the service of type `kind`."""
    return Depends(_lookup(kind))


_LOOKUPS: dict[type[Any], Callable[[Request], Any]] = {}


def _lookup(kind: type[T]) -> Callable[[Request], T]:
    # One function per type, so FastAPI caches the dependency per request and OpenAPI stays stable.
    found = _LOOKUPS.get(kind)
    if found is None:

        def lookup(request: Request) -> Any:
            return registry_of(request)[kind]

        lookup.__name__ = f"provided_{kind.__name__}"
        found = _LOOKUPS[kind] = lookup
    return found
