"""Authentication and roles for everything under /api/v1.

`require_access` is the dependency of the whole /api/v1 router. It turns the bearer token into a
`Principal` (a login session's user or an API key), names it as the acting user for the request
(`current_actor`, which the audit trail and command events read) and enforces the roles generically:

- GET and HEAD need any role (viewer and up); every other method needs operator or admin;
- the admin routers (users, API keys, audit) need admin for everything, reads included;
- a user's own session endpoints (me, logout, MFA enrolment) are open to every role;
- an admin who has not enrolled MFA may only enrol, look at the session and log out;
- POST /auth/login needs no credentials.

Tokens are never logged.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import Scope

from voltline.api.deps import Provided, registry_of
from voltline.api.schemas import ErrorBody
from voltline.areas.access.login import LoginService
from voltline.areas.access.model import Principal, Role
from voltline.areas.audit.trail import audit_note
from voltline.kernel.actors import current_actor

V1_PREFIX = "/api/v1"

# auto_error=False: we answer 401 (not FastAPI's default) with our own message; the scheme still
# documents the bearer requirement in /openapi.json.
bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="BearerToken",
    description="A login session token (POST /api/v1/auth/login) or an API key: `Authorization: Bearer <token>`.",
)

# Longer than any token Voltline issues by far; longer ones are refused without touching storage.
MAX_TOKEN_LENGTH = 512

READ_METHODS = frozenset({"GET", "HEAD"})
# Route templates relative to /api/v1.
PUBLIC_ROUTES = frozenset({"/auth/login"})
ENROLMENT_ROUTES = frozenset({"/auth/me", "/auth/logout", "/auth/mfa/enroll", "/auth/mfa/verify"})
SELF_SERVICE_ROUTES = ENROLMENT_ROUTES | {"/auth/mfa/recovery-codes"}
ADMIN_ONLY_PREFIXES = ("/users", "/api-keys", "/audit")

ACCESS_RESPONSES: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorBody, "description": "The caller's role does not allow this, or MFA enrolment is required."}
}


def route_template(request: Request) -> str:
    """The matched route's path template relative to /api/v1, e.g. "/stations/{station_id}"."""
    route = request.scope.get("route")
    path = str(getattr(route, "path", "") or "")
    # FastAPI 0.163 keeps included routers nested (the path lacks the /api/v1 prefix); older ones flatten.
    return path.removeprefix(V1_PREFIX)


def required_role(method: str, template: str) -> Role:
    if any(template == prefix or template.startswith(prefix + "/") for prefix in ADMIN_ONLY_PREFIXES):
        return Role.ADMIN
    if template in SELF_SERVICE_ROUTES or method in READ_METHODS:
        return Role.VIEWER
    return Role.OPERATOR


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


ACCESS_KEY = "voltline.access"  # the scope's cached decision: the Principal, or None for a public route


async def authorize(request: Request, login_service: LoginService) -> Principal | None:
    """Who the caller is and whether their role may use this route; raises 401 or 403. The decision is
    cached in the request's scope, so the body guard and the dependency below make it once."""
    if ACCESS_KEY in request.scope:
        principal: Principal | None = request.scope[ACCESS_KEY]
        _act_as(request, principal)
        return principal
    template = route_template(request)
    note = audit_note(request)
    note.route = V1_PREFIX + template
    if template in PUBLIC_ROUTES:
        request.scope[ACCESS_KEY] = None
        return None
    credentials = await bearer_scheme(request)
    if credentials is None:
        raise _unauthorized("missing bearer token: send 'Authorization: Bearer <token>'")
    token = credentials.credentials.strip()
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise _unauthorized("invalid bearer token")
    principal = await login_service.authenticate(token)
    if principal is None:
        raise _unauthorized("invalid or expired bearer token")
    _act_as(request, principal)
    if principal.must_enrol_mfa and template not in ENROLMENT_ROUTES:
        raise HTTPException(
            status_code=403,
            detail="MFA enrolment is required for admin accounts: POST /api/v1/auth/mfa/enroll, then "
            "POST /api/v1/auth/mfa/verify with a code from the authenticator app",
        )
    needed = required_role(request.method, template)
    if not principal.role.includes(needed):
        raise HTTPException(
            status_code=403,
            detail=f"the {principal.role.value} role may not {request.method} {V1_PREFIX}{template}: "
            f"it needs the {needed.value} role",
        )
    request.scope[ACCESS_KEY] = principal
    return principal


def _act_as(request: Request, principal: Principal | None) -> None:
    if principal is None:
        return
    request.state.principal = principal
    current_actor.set(principal.actor)
    audit_note(request).actor = principal.actor


async def require_access(
    request: Request,
    login_service: Annotated[LoginService, Provided(LoginService)],
    # Declared for /openapi.json (the bearer scheme on every operation); `authorize` reads the header itself.
    _credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal | None:
    return await authorize(request, login_service)


async def authorize_before_body(scope: Scope) -> None:
    """The body guard's hook: an endpoint is about to read its body. Requests outside /api/v1 (and those
    that match no route, answered 404 or 405 without a body read) are left to their endpoints."""
    if "route" not in scope or not str(scope.get("path", "")).startswith(V1_PREFIX + "/"):
        return
    request = Request(scope)
    await authorize(request, registry_of(request)[LoginService])


async def current_principal(request: Request) -> Principal:
    """The caller `require_access` authenticated (every /api/v1 route except login has one)."""
    principal = getattr(request.state, "principal", None)
    if not isinstance(principal, Principal):
        raise _unauthorized("missing bearer token: send 'Authorization: Bearer <token>'")
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]
ApiKeyDep = PrincipalDep  # the name before people's accounts existed
