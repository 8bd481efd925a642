"""AuthorizationService over real SQL storage: the id token registry and the authorization verdict."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.support.builders import TAG, a_token
from voltline.areas.authorization.model import AuthorizationStatus, TokenType, TokenVerdict
from voltline.areas.authorization.service import AuthorizationService
from voltline.kernel.errors import Conflict, NotFound


async def test_create_stamps_and_stores_the_token(authorization: AuthorizationService) -> None:
    expiry = datetime(2030, 1, 1, tzinfo=UTC)
    before = datetime.now(UTC)

    created = await authorization.create(a_token(type=TokenType.EMAID, expiry=expiry, group_id="FLEET"))

    assert created.created_at is not None and created.created_at >= before - timedelta(seconds=1)
    assert created.updated_at == created.created_at
    stored = await authorization.get(TAG)
    assert stored == created
    assert (stored.type, stored.status, stored.expiry, stored.group_id) == (
        TokenType.EMAID,
        AuthorizationStatus.ACCEPTED,
        expiry,
        "FLEET",
    )


async def test_create_of_an_existing_token_is_a_conflict(authorization: AuthorizationService) -> None:
    await authorization.create(a_token(group_id="FIRST"))

    with pytest.raises(Conflict):
        await authorization.create(a_token(status=AuthorizationStatus.BLOCKED))

    assert (await authorization.get(TAG)).group_id == "FIRST"  # the first one stands


async def test_update_changes_only_what_it_names(authorization: AuthorizationService) -> None:
    created = await authorization.create(a_token(group_id="FLEET"))

    updated = await authorization.update(TAG, {"status": AuthorizationStatus.BLOCKED})

    assert updated.status is AuthorizationStatus.BLOCKED
    assert (updated.group_id, updated.type, updated.created_at) == ("FLEET", created.type, created.created_at)
    assert updated.updated_at is not None and created.updated_at is not None
    assert updated.updated_at >= created.updated_at
    assert await authorization.get(TAG) == updated


async def test_update_of_an_unknown_token_is_not_found(authorization: AuthorizationService) -> None:
    with pytest.raises(NotFound):
        await authorization.update("NOBODY", {"status": AuthorizationStatus.BLOCKED})


async def test_delete_removes_the_token(authorization: AuthorizationService) -> None:
    await authorization.create(a_token())

    await authorization.delete(TAG)

    with pytest.raises(NotFound):
        await authorization.get(TAG)
    with pytest.raises(NotFound):
        await authorization.delete(TAG)
    assert await authorization.authorize(TAG) == TokenVerdict(AuthorizationStatus.INVALID)


async def test_get_of_an_unknown_token_is_not_found(authorization: AuthorizationService) -> None:
    with pytest.raises(NotFound):
        await authorization.get("NOBODY")


async def test_list_pages(authorization: AuthorizationService) -> None:
    for n in range(5):
        await authorization.create(a_token(id_token=f"TAG-{n}"))

    everything = [t.id_token for t in await authorization.list()]
    page = [t.id_token for t in await authorization.list(limit=2, offset=1)]

    assert sorted(everything) == [f"TAG-{n}" for n in range(5)]
    assert page == everything[1:3]


async def test_authorize_verdicts(authorization: AuthorizationService) -> None:
    now = datetime.now(UTC)
    await authorization.create(a_token(id_token="OK", group_id="FLEET", expiry=now + timedelta(days=1)))
    await authorization.create(a_token(id_token="BLOCKED", status=AuthorizationStatus.BLOCKED))
    await authorization.create(a_token(id_token="EXPIRED", expiry=now - timedelta(seconds=1), group_id="FLEET"))
    await authorization.create(
        a_token(id_token="BLOCKED-EXPIRED", status=AuthorizationStatus.BLOCKED, expiry=now - timedelta(days=1))
    )

    assert await authorization.authorize("OK") == TokenVerdict(
        AuthorizationStatus.ACCEPTED, now + timedelta(days=1), "FLEET"
    )
    assert (await authorization.authorize("BLOCKED")).status is AuthorizationStatus.BLOCKED
    assert await authorization.authorize("EXPIRED") == TokenVerdict(
        AuthorizationStatus.EXPIRED, now - timedelta(seconds=1), "FLEET"
    )
    # Only an accepted token turns Expired: a blocked one says why it really is refused.
    assert (await authorization.authorize("BLOCKED-EXPIRED")).status is AuthorizationStatus.BLOCKED
    assert await authorization.authorize("NOBODY") == TokenVerdict(AuthorizationStatus.INVALID)


async def test_a_2_0_1_token_is_named_by_value_and_type(authorization: AuthorizationService) -> None:
    await authorization.create(a_token(id_token="1234", type=TokenType.KEY_CODE))
    assert (await authorization.authorize("1234", "KeyCode")).status is AuthorizationStatus.ACCEPTED
    # the RFID card "1234" is another token
    assert (await authorization.authorize("1234", "ISO14443")) == TokenVerdict(AuthorizationStatus.INVALID)
    # Central: a token the CSMS handed out itself (remote start) stands for the registered one
    assert (await authorization.authorize("1234", "Central")).status is AuthorizationStatus.ACCEPTED
    assert (await authorization.authorize("1234")).status is AuthorizationStatus.ACCEPTED  # 1.6: no type


async def test_authorize_follows_updates(authorization: AuthorizationService) -> None:
    await authorization.create(a_token())
    assert (await authorization.authorize(TAG)).status is AuthorizationStatus.ACCEPTED

    await authorization.update(TAG, {"status": AuthorizationStatus.BLOCKED})

    assert (await authorization.authorize(TAG)).status is AuthorizationStatus.BLOCKED
