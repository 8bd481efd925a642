"""/api/v1/auth: people log in (a session token), see who they are, and log out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials

from voltline.api.auth import PrincipalDep, bearer_scheme
from voltline.api.deps import Provided
from voltline.api.errors import error_responses
from voltline.api.schemas import ErrorBody
from voltline.areas.access.login import LoginRefused, LoginService, LoginThrottled
from voltline.areas.access.schemas import LoginBody, LoginRequest, MeBody
from voltline.areas.audit.trail import audit_note

router = APIRouter(prefix="/auth", tags=["auth"])


def client_address(request: Request) -> str:
    """The address failed logins and one-time codes are counted for (the proxy's unless it is trusted)."""
    return request.client.host if request.client else "unknown"


def too_many_failures(exc: LoginThrottled) -> HTTPException:
    """The answer while an account or an address is locked, to logins and one-time codes alike."""
    return HTTPException(
        status_code=status.HTTP_429_TOO_MANY_REQUESTS, detail=str(exc), headers={"Retry-After": str(exc.retry_after)}
    )


@router.post(
    "/login",
    summary="Log in",
    description="Checks the user name and password, and the second factor when the user has MFA (`otp`, or "
    "an unused `recovery_code`), then returns a session token valid for VOLTLINE_SESSION_TTL seconds (8 h by "
    "default). An admin without MFA gets a session that may only enrol MFA. Needs no credentials. Failed "
    "logins are throttled per account and per client address: while locked, 429 with Retry-After.",
    response_model=LoginBody,
    responses={
        **error_responses(401, 422),
        429: {"model": ErrorBody, "description": "Too many failed logins; see the Retry-After header."},
    },
)
async def login(
    body: LoginRequest, request: Request, login_service: Annotated[LoginService, Provided(LoginService)]
) -> LoginBody:
    note = audit_note(request)
    address = client_address(request)
    try:
        result = await login_service.login(
            body.username, body.password, address=address, otp=body.otp, recovery_code=body.recovery_code
        )
    except LoginThrottled as exc:
        note.summary = "login refused: locked after failed logins"
        note.target = f"account:{body.username.strip().lower()[:64]}"
        raise too_many_failures(exc) from None
    except LoginRefused as exc:
        note.summary = f"login failed: {exc}"
        note.target = f"user:{exc.account}" if exc.account else None
        raise HTTPException(status_code=401, detail=str(exc), headers={"WWW-Authenticate": "Bearer"}) from None
    principal = result.principal
    note.actor = principal.actor
    note.target = principal.actor
    note.summary = "login" + (" (MFA enrolment required)" if principal.must_enrol_mfa else "")
    assert principal.expires_at is not None
    return LoginBody(token=result.token, expires_at=principal.expires_at, user=MeBody.of(principal))


@router.post(
    "/logout",
    summary="Log out",
    description="Ends the session whose token authenticated this request; the token stops working at once. "
    "API keys are revoked with DELETE /api/v1/api-keys/{key_id} instead (logging out with one is a 403).",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
)
async def logout(
    principal: PrincipalDep,
    login_service: Annotated[LoginService, Provided(LoginService)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Response:
    if not principal.is_user or credentials is None:
        # The credential may not do this (a 403), not a malformed request.
        raise HTTPException(
            status_code=403, detail="an API key has no session: revoke it with DELETE /api/v1/api-keys/{key_id}"
        )
    await login_service.logout(credentials.credentials.strip())
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get(
    "/me",
    summary="Who am I",
    description="The user or API key behind the bearer token, with its role and MFA state.",
    response_model=MeBody,
)
async def me(principal: PrincipalDep) -> MeBody:
    return MeBody.of(principal)
