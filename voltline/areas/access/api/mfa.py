"""/api/v1/auth/mfa: a user enrols TOTP multi-factor authentication and manages recovery codes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from voltline.api.auth import PrincipalDep
from voltline.api.deps import Provided
from voltline.api.errors import error_responses
from voltline.areas.access import totp
from voltline.areas.access.mfa import MfaService
from voltline.areas.access.model import Principal
from voltline.areas.access.schemas import MfaEnrolmentBody, OtpRequest, RecoveryCodesBody
from voltline.kernel.errors import InvalidRequest

router = APIRouter(prefix="/auth/mfa", tags=["auth"])


def _user_id(principal: Principal) -> int:
    if not principal.is_user:
        raise InvalidRequest("MFA belongs to people's accounts; an API key has none")
    return principal.id


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
    "An admin's session is no longer restricted.",
    response_model=RecoveryCodesBody,
    responses=error_responses(409, 422),
)
async def verify(
    body: OtpRequest, principal: PrincipalDep, mfa_service: Annotated[MfaService, Provided(MfaService)]
) -> RecoveryCodesBody:
    return RecoveryCodesBody(recovery_codes=await mfa_service.confirm(_user_id(principal), body.otp))


@router.post(
    "/recovery-codes",
    summary="Replace the recovery codes",
    description="With a current one-time code: ten new recovery codes, shown only now; the old ones stop working.",
    response_model=RecoveryCodesBody,
    responses=error_responses(422),
)
async def regenerate(
    body: OtpRequest, principal: PrincipalDep, mfa_service: Annotated[MfaService, Provided(MfaService)]
) -> RecoveryCodesBody:
    codes = await mfa_service.regenerate_recovery_codes(_user_id(principal), body.otp)
    return RecoveryCodesBody(recovery_codes=codes)
