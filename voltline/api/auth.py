"""Bearer-token authentication of /api/v1.

`require_api_key` is the dependency every protected router carries; it returns the caller's `ApiKey`, so
role checks (viewer / operator / admin) can later be built on top of it. Tokens are never logged.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from voltline.domain.services import Services
from voltline.storage.ports import ApiKey

# auto_error=False: we answer 401 (not FastAPI's default) with our own message; the scheme still
# documents the bearer requirement in /openapi.json.
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="BearerToken",
    description="An API token: `Authorization: Bearer <token>`.",
)

# Longer than any token Voltline issues by far; longer ones are refused without touching storage.
MAX_TOKEN_LENGTH = 512


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


async def require_api_key(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> ApiKey:
    if credentials is None:
        raise _unauthorized("missing bearer token: send 'Authorization: Bearer <token>'")
    token = credentials.credentials.strip()
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise _unauthorized("invalid bearer token")
    key = await services.api_access.authenticate(token)
    if key is None:
        raise _unauthorized("invalid bearer token")
    return key


ApiKeyDep = Annotated[ApiKey, Depends(require_api_key)]
