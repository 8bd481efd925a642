"""/api/v1/auth/mfa: a user enrols TOTP multi-factor authentication and manages recovery codes."""

from __future__ import annotations

from fastapi import APIRouter

from voltline.api.auth import PrincipalDep, ServicesDep
from voltline.api.errors import error_responses
from voltline.api.schemas_accounts import MfaEnrolmentBody, OtpRequest, RecoveryCodesBody
from voltline.domain import totp
from voltline.domain.account_records import Principal
from voltline.domain.errors import InvalidRequest

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
async def enroll(principal: PrincipalDep, services: ServicesDep) -> MfaEnrolmentBody:
    enrolment = await services.mfa.enrol(_user_id(principal))
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
async def verify(body: OtpRequest, principal: PrincipalDep, services: ServicesDep) -> RecoveryCodesBody:
    return RecoveryCodesBody(recovery_codes=await services.mfa.confirm(_user_id(principal), body.otp))


@router.post(
    "/recovery-codes",
    summary="Replace the recovery codes",
    description="With a current one-time code: ten new recovery codes, shown only now; the old ones stop working.",
    response_model=RecoveryCodesBody,
    responses=error_responses(422),
)
async def regenerate(body: OtpRequest, principal: PrincipalDep, services: ServicesDep) -> RecoveryCodesBody:
    codes = await services.mfa.regenerate_recovery_codes(_user_id(principal), body.otp)
    return RecoveryCodesBody(recovery_codes=codes)
