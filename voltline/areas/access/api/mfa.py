"""/api/v1/auth/mfa: a user enrols TOTP multi-factor authentication and manages recovery codes.

The one-time codes sent here are throttled as logins are: a wrong one is a failed login of the account
(and from the client address), and while either is locked the answer is 429 with Retry-After, even for
the right code."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Request

from voltline.api.auth import PrincipalDep
from voltline.api.deps import Provided
from voltline.api.errors import error_responses
from voltline.api.schemas import ErrorBody
from voltline.areas.access import totp
from voltline.areas.access.api.sessions import client_address, too_many_failures
from voltline.areas.access.login import LoginService, LoginThrottled
from voltline.areas.access.mfa import MfaService
from voltline.areas.access.model import Principal
from voltline.areas.access.schemas import MfaEnrolmentBody, OtpRequest, RecoveryCodesBody
from voltline.areas.audit.trail import audit_note

router = APIRouter(prefix="/auth/mfa", tags=["auth"])

THROTTLED_RESPONSE: dict[int | str, dict[str, Any]] = {
    429: {
        "model": ErrorBody,
        "description": "Too many failed logins or one-time codes for this account or from this address; see "
        "the Retry-After header. A wrong code counts as a failed login.",
    }
}


def _user_id(principal: Principal) -> int:
    if not principal.is_user:
        raise HTTPException(status_code=403, detail="MFA belongs to people's accounts; an API key has none")
    return principal.id


def _throttled(request: Request, principal: Principal, exc: LoginThrottled) -> HTTPException:
    note = audit_note(request)
    note.summary = "one-time code refused: locked after failed logins"
    note.target = f"account:{principal.name}"
    return too_many_failures(exc)


@router.post(
    "/enroll",
    summary="Start MFA enrolment",
    description="Draws a new TOTP secret (RFC 6238: 6 digits, 30 s) and returns it with its otpauth:// "
    "provisioning URI (issuer Voltline). The secret is shown only in this answer. Enrolment takes effect "
    "with POST /auth/mfa/verify. Calling this again before verifying replaces the secret; once MFA is on, "
    "only an admin can reset it (409).",
    response_model=MfaEnrolmentBody,
    responses=error_responses(409, 422),
)
async def enroll(principal: PrincipalDep, mfa_service: Annotated[MfaService, Provided(MfaService)]) -> MfaEnrolmentBody:
    enrolment = await mfa_service.enrol(_user_id(principal))
    return MfaEnrolmentBody(secret=enrolment.secret, provisioning_uri=enrolment.provisioning_uri, issuer=totp.ISSUER)


@router.post(
    "/verify",
    summary="Confirm MFA enrolment",
    description="Turns MFA on when `otp` is a current code of the secret from /auth/mfa/enroll, and returns "
    "ten one-time recovery codes, shown only now. From then on every login needs a code (or a recovery code). "
    "An admin's session is no longer restricted. A wrong code counts as a failed login: throttled as logins "
    "are (429 with Retry-After while the account or address is locked, even for the right code).",
    response_model=RecoveryCodesBody,
    responses={**error_responses(409, 422), **THROTTLED_RESPONSE},
)
async def verify(
    body: OtpRequest,
    request: Request,
    principal: PrincipalDep,
    login_service: Annotated[LoginService, Provided(LoginService)],
) -> RecoveryCodesBody:
    _user_id(principal)
    try:
        codes = await login_service.confirm_mfa(principal, body.otp, address=client_address(request))
    except LoginThrottled as exc:
        raise _throttled(request, principal, exc) from None
    return RecoveryCodesBody(recovery_codes=codes)


@router.post(
    "/recovery-codes",
    summary="Replace the recovery codes",
    description="With a current one-time code: ten new recovery codes, shown only now; the old ones stop "
    "working. A wrong code counts as a failed login: throttled as logins are (429 with Retry-After while the "
    "account or address is locked, even for the right code).",
    response_model=RecoveryCodesBody,
    responses={**error_responses(422), **THROTTLED_RESPONSE},
)
async def regenerate(
    body: OtpRequest,
    request: Request,
    principal: PrincipalDep,
    login_service: Annotated[LoginService, Provided(LoginService)],
) -> RecoveryCodesBody:
    _user_id(principal)
    try:
        codes = await login_service.regenerate_recovery_codes(principal, body.otp, address=client_address(request))
    except LoginThrottled as exc:
        raise _throttled(request, principal, exc) from None
    return RecoveryCodesBody(recovery_codes=codes)
