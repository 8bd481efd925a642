"""The operator REST API application.

`create_api(services, routers)` builds a FastAPI app around the areas' services and API routers (the
composition root collects both from the area list); it holds no other state, so the
composition root (voltline/app.py) can mount it next to the station gateway or run it on its own.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from voltline.api.auth import ACCESS_RESPONSES, authorize_before_body, require_access
from voltline.api.body_guard import BodyGuard
from voltline.api.docs import install_docs
from voltline.api.errors import document_error_shape, error_body, error_responses, install_error_handlers
from voltline.api.schemas import HealthBody
from voltline.areas.audit.service import AuditService
from voltline.areas.audit.trail import AuditTrail
from voltline.kernel.services import ServiceRegistry

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"

DESCRIPTION = """\
REST API for operators and integrations of the Voltline charging station management system.

Every endpoint under `/api/v1` but `POST /api/v1/auth/login` needs a bearer token: a login session's token
or an API key, `Authorization: Bearer <token>`. Viewers may read (GET), operators and admins may also
change things; users, API keys and the audit log are for admins only.
Every error is `{"detail": "<one line>", "errors": [...]}`: `errors` lists each invalid field of a 422
(`field`, `message`, `type`) and is empty otherwise. Enumerations are matched ignoring case and underscores
(`soft`, `Soft`); answers and this document use one spelling, OCPP's for OCPP words (`Soft`, `Blocked`).
"""

OPENAPI_URL = "/openapi.json"
DEFAULT_MAX_BODY = 1024 * 1024


def create_api(
    services: ServiceRegistry, routers: Sequence[APIRouter], *, max_body_bytes: int = DEFAULT_MAX_BODY
) -> FastAPI:
    app = FastAPI(
        title="Voltline API",
        version="1",
        description=DESCRIPTION,
        # The docs pages are ours (voltline/api/docs.py): FastAPI's load their assets from CDNs.
        docs_url=None,
        redoc_url=None,
        openapi_url=OPENAPI_URL,
    )
    app.state.services = services
    install_error_handlers(app)
    install_docs(app, OPENAPI_URL)
    document_error_shape(app)
    app.add_exception_handler(Exception, _internal_error)
    # Inside the audit trail, which must see the caller the body guard's authorization names.
    app.add_middleware(BodyGuard, max_body_bytes=max_body_bytes, before_body=authorize_before_body)
    app.add_middleware(AuditTrail, audit=services[AuditService], prefix=API_PREFIX)

    @app.get("/health", summary="Liveness check", tags=["health"], response_model=HealthBody)
    async def health() -> HealthBody:
        return HealthBody(status="ok")

    v1 = APIRouter(
        prefix=API_PREFIX,
        dependencies=[Depends(require_access)],
        responses={**error_responses(401), **ACCESS_RESPONSES},
    )
    for router in routers:
        v1.include_router(router)
    app.include_router(v1)
    return app


async def _internal_error(request: Request, error: Exception) -> JSONResponse:
    # Method and path only: headers carry the bearer token, which must never reach a log.
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=error)
    return JSONResponse(error_body("internal server error"), status_code=500)
