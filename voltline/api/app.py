"""The operator REST API application.

`create_api(services)` builds a FastAPI app around the domain services; it holds no other state, so the
composition root (voltline/app.py) can mount it next to the station gateway or run it on its own.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from voltline.api import (
    api_keys,
    audit,
    commands,
    configuration,
    events,
    id_tokens,
    local_lists,
    messages,
    mfa,
    reviews,
    sessions,
    stations,
    transactions,
    users,
)
from voltline.api.audit_trail import AuditTrail
from voltline.api.auth import ACCESS_RESPONSES, require_access
from voltline.api.errors import error_responses, install_error_handlers
from voltline.api.schemas import HealthBody
from voltline.domain.services import Services

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"

DESCRIPTION = """\
REST API for operators and integrations of the Voltline charging station management system.

Every endpoint under `/api/v1` but `POST /api/v1/auth/login` needs a bearer token: a login session's token
or an API key, `Authorization: Bearer <token>`. Viewers may read (GET), operators and admins may also
change things; users, API keys and the audit log are for admins only.
Errors are JSON objects with a `detail` message.
"""


def create_api(services: Services) -> FastAPI:
    app = FastAPI(
        title="Voltline API",
        version="1",
        description=DESCRIPTION,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.services = services
    install_error_handlers(app)
    app.add_exception_handler(Exception, _internal_error)
    app.add_middleware(AuditTrail, audit=services.audit, prefix=API_PREFIX)

    @app.get("/health", summary="Liveness check", tags=["health"], response_model=HealthBody)
    async def health() -> HealthBody:
        return HealthBody(status="ok")

    v1 = APIRouter(
        prefix=API_PREFIX,
        dependencies=[Depends(require_access)],
        responses={**error_responses(401), **ACCESS_RESPONSES},
    )
    v1.include_router(sessions.router)
    v1.include_router(mfa.router)
    v1.include_router(users.router)
    v1.include_router(api_keys.router)
    v1.include_router(audit.router)
    v1.include_router(stations.router)
    v1.include_router(commands.router)
    v1.include_router(id_tokens.router)
    v1.include_router(transactions.router)
    v1.include_router(reviews.router)
    v1.include_router(configuration.stations_router)
    v1.include_router(configuration.templates_router)
    v1.include_router(local_lists.router)
    v1.include_router(events.router)
    v1.include_router(messages.router)
    app.include_router(v1)
    return app


async def _internal_error(request: Request, error: Exception) -> JSONResponse:
    # Method and path only: headers carry the bearer token, which must never reach a log.
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return JSONResponse({"detail": "internal server error"}, status_code=500)
