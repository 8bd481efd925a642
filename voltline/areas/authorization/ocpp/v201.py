"""OCPP 2.0.1 authorization: Authorize and the idTokenInfo every answer carries."""

from __future__ import annotations

from functools import partial
from typing import Any

from voltline.areas.authorization.model import TokenVerdict
from voltline.areas.authorization.service import AuthorizationService
from voltline.kernel.services import ServiceRegistry
from voltline.protocol.context import StationContext
from voltline.protocol.dispatcher import RouteTable
from voltline.protocol.timestamps import format_timestamp


async def authorize(
    authorization: AuthorizationService, ctx: StationContext, payload: dict[str, Any]
) -> dict[str, Any]:
    token = payload["idToken"]
    verdict = await authorization.authorize(token["idToken"], token["type"])
    return {"idTokenInfo": id_token_info(verdict)}


def id_token_info(verdict: TokenVerdict) -> dict[str, Any]:
    info: dict[str, Any] = {"status": verdict.status.value}
    if verdict.expiry is not None:
        info["cacheExpiryDateTime"] = format_timestamp(verdict.expiry)
    if verdict.group_id:
        info["groupIdToken"] = {"idToken": verdict.group_id, "type": "Central"}
    return info


def routes(services: ServiceRegistry) -> RouteTable:
    """The actions this area answers, each handler bound to the services it uses."""
    authorization = services[AuthorizationService]
    return {
        "Authorize": partial(authorize, authorization),
    }
