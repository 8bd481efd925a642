"""OCPP 1.6J authorization: Authorize and the idTagInfo every answer carries."""

from __future__ import annotations

from functools import partial
from typing import Any

from voltline.areas.authorization.model import AuthorizationStatus, TokenVerdict
from voltline.areas.authorization.service import AuthorizationService
from voltline.kernel.services import ServiceRegistry
from voltline.protocol.context import StationContext
from voltline.protocol.dispatcher import RouteTable
from voltline.protocol.timestamps import format_timestamp


async def authorize(
    authorization: AuthorizationService, ctx: StationContext, payload: dict[str, Any]
) -> dict[str, Any]:
    verdict = await authorization.authorize(payload["idTag"])
    return {"idTagInfo": id_tag_info(verdict)}


# 1.6 has no separate "ConcurrentTx"-free subset problem, but its enum lacks 2.0.1's extra statuses.
_STATUS_16 = {status: status.value for status in AuthorizationStatus}


ID_TAG_MAX_LENGTH = 20


def id_tag_info(verdict: TokenVerdict) -> dict[str, Any]:
    info: dict[str, Any] = {"status": _STATUS_16[verdict.status]}
    if verdict.expiry is not None:
        info["expiryDate"] = format_timestamp(verdict.expiry)
    # 1.6 spells the group as a parent IdToken (at most 20 characters); a longer registry group cannot be
    # said in 1.6 and is left out rather than breaking the answer's schema.
    if verdict.group_id and len(verdict.group_id) <= ID_TAG_MAX_LENGTH:
        info["parentIdTag"] = verdict.group_id
    return info


def routes(services: ServiceRegistry) -> RouteTable:
    """The actions this area answers, each handler bound to the services it uses."""
    authorization = services[AuthorizationService]
    return {
        "Authorize": partial(authorize, authorization),
    }
