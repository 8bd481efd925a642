"""TOTP (RFC 6238) and MfaService over real SQL storage: enrolment, confirmation, windows, recovery codes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pyotp
import pytest

from tests.support.account_builders import PASSWORD, account_kit, code_at, usable_recovery_codes
from voltline.areas.access import totp
from voltline.areas.access.accounts import UserChanges
from voltline.areas.access.model import Role
from voltline.kernel.errors import Conflict, InvalidRequest
from voltline.storage.sql import SqlStorage

NOW = datetime(2026, 3, 1, 12, 0, 10, tzinfo=UTC)
RFC_6238_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"  # the ASCII "12345678901234567890" of the RFC's SHA-1 tests


def test_codes_follow_the_rfc_6238_test_vectors() -> None:
    # RFC 6238 appendix B, SHA-1, truncated to 6 digits: T=59 -> 94287082, T=1111111109 -> 07081804.
    at_59 = datetime.fromtimestamp(59, UTC)
    assert totp.matching_step(RFC_6238_SECRET, "287082", at_59, None) == 1
    at_later = datetime.fromtimestamp(1111111109, UTC)
    assert totp.matching_step(RFC_6238_SECRET, "081804", at_later, None) == 1111111109 // 30


def test_the_previous_and_next_steps_are_accepted_but_no_further() -> None:
    secret = totp.new_secret()
    for offset, accepted in [(-60, False), (-30, True), (0, True), (30, True), (60, False)]:
        code = code_at(secret, NOW + timedelta(seconds=offset))
        assert (totp.matching_step(secret, code, NOW, None) is not None) is accepted, offset


def test_a_step_at_or_before_the_last_spent_one_is_refused() -> None:
    secret = totp.new_secret()
    current = totp.step_at(NOW)
    assert totp.matching_step(secret, code_at(secret, NOW), NOW, current) is None
    assert totp.matching_step(secret, code_at(secret, NOW), NOW, current - 1) == current


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦"])
def test_malformed_codes_never_match(code: str) -> None:
    assert totp.matching_step(totp.new_secret(), code, NOW, None) is None


def test_recovery_codes_are_long_random_and_forgiving_in_spelling() -> None:
    codes = totp.new_recovery_codes()
    assert len(codes) == 10 == len(set(codes))
    assert all(len(code) == 19 and code.count("-") == 3 for code in codes)
    spelled = codes[0].upper().replace("-", " ")
    assert totp.recovery_code_digest(spelled) == totp.recovery_code_digest(codes[0])


async def test_enrolment_gives_a_provisioning_uri_and_takes_effect_on_confirmation(storage: SqlStorage) -> None:
    kit = account_kit(storage, clock=lambda: NOW)
    user = await kit.accounts.create_user("alice", PASSWORD, Role.ADMIN)

    enrolment = await kit.mfa.enrol(user.id)

    uri = urlparse(enrolment.provisioning_uri)
    assert (uri.scheme, uri.netloc, uri.path) == ("otpauth", "totp", "/Voltline:alice")
    assert parse_qs(uri.query)["issuer"] == ["Voltline"]
    assert parse_qs(uri.query)["secret"] == [enrolment.secret]
    assert pyotp.parse_uri(enrolment.provisioning_uri).secret == enrolment.secret
    assert not (await kit.accounts.get_user(user.id)).mfa_enabled  # not before confirmation

    with pytest.raises(InvalidRequest, match="does not match"):
        await kit.mfa.confirm(user.id, "000000")
    codes = await kit.mfa.confirm(user.id, code_at(enrolment.secret, NOW))

    assert len(codes) == 10
    assert (await kit.accounts.get_user(user.id)).mfa_enabled
    with pytest.raises(Conflict):
        await kit.mfa.enrol(user.id)  # the secret is never shown again
    assert await usable_recovery_codes(kit.mfa, user.id, codes) == 10


async def test_confirmation_needs_an_enrolment_first(storage: SqlStorage) -> None:
    kit = account_kit(storage, clock=lambda: NOW)
    user = await kit.accounts.create_user("alice", PASSWORD, Role.VIEWER)
    with pytest.raises(InvalidRequest, match="enroll"):
        await kit.mfa.confirm(user.id, "123456")


async def test_enrolling_again_before_confirming_replaces_the_secret(storage: SqlStorage) -> None:
    kit = account_kit(storage, clock=lambda: NOW)
    user = await kit.accounts.create_user("alice", PASSWORD, Role.VIEWER)
    first = await kit.mfa.enrol(user.id)
    second = await kit.mfa.enrol(user.id)
    assert first.secret != second.secret
    with pytest.raises(InvalidRequest):
        await kit.mfa.confirm(user.id, code_at(first.secret, NOW))
    assert await kit.mfa.confirm(user.id, code_at(second.secret, NOW))


async def test_recovery_codes_can_be_replaced_with_a_fresh_code(storage: SqlStorage) -> None:
    kit = account_kit(storage, clock=lambda: NOW)
    user = await kit.accounts.create_user("alice", PASSWORD, Role.VIEWER)
    enrolment = await kit.mfa.enrol(user.id)
    old = await kit.mfa.confirm(user.id, code_at(enrolment.secret, NOW))

    with pytest.raises(InvalidRequest, match="already used"):
        await kit.mfa.regenerate_recovery_codes(user.id, code_at(enrolment.secret, NOW))  # spent on confirm
    new = await kit.mfa.regenerate_recovery_codes(user.id, code_at(enrolment.secret, NOW + timedelta(seconds=30)))

    assert set(new).isdisjoint(old)
    assert not await kit.mfa.spend_recovery_code(user.id, old[0])
    assert await kit.mfa.spend_recovery_code(user.id, new[0])


async def test_an_admin_reset_forgets_the_secret_and_the_codes(storage: SqlStorage) -> None:
    kit = account_kit(storage, clock=lambda: NOW)
    user = await kit.accounts.create_user("alice", PASSWORD, Role.VIEWER)
    enrolment = await kit.mfa.enrol(user.id)
    codes = await kit.mfa.confirm(user.id, code_at(enrolment.secret, NOW))

    changed = await kit.accounts.change_user(user.id, UserChanges(reset_mfa=True))

    assert not changed.mfa_enabled
    assert await usable_recovery_codes(kit.mfa, user.id, codes) == 0
    assert (await kit.mfa.enrol(user.id)).secret != enrolment.secret
