"""TOTP MFA through the real app: enrolment, second factor at login, recovery codes, admin reset."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import httpx

from tests.support.accounts import (
    bearer,
    create_user,
    current_code,
    enrolled_admin,
    login,
    next_code,
    session_token,
    user_session,
)


async def enrol(anonymous: httpx.AsyncClient, token: str) -> tuple[str, list[str]]:
    enrolment = await anonymous.post("/api/v1/auth/mfa/enroll", headers=bearer(token))
    assert enrolment.status_code == 200
    secret: str = enrolment.json()["secret"]
    verified = await anonymous.post(
        "/api/v1/auth/mfa/verify", json={"otp": current_code(secret)}, headers=bearer(token)
    )
    assert verified.status_code == 200, verified.text
    codes: list[str] = verified.json()["recovery_codes"]
    return secret, codes


async def test_enrolment_returns_the_secret_and_a_provisioning_uri_once(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    token = await user_session(client, anonymous, "alice", "operator")

    response = await anonymous.post("/api/v1/auth/mfa/enroll", headers=bearer(token))

    assert response.status_code == 200
    body = response.json()
    uri = urlparse(body["provisioning_uri"])
    assert (uri.scheme, uri.netloc, uri.path) == ("otpauth", "totp", "/Voltline:alice")
    assert parse_qs(uri.query)["issuer"] == ["Voltline"] and body["issuer"] == "Voltline"
    assert parse_qs(uri.query)["secret"] == [body["secret"]]

    wrong = await anonymous.post("/api/v1/auth/mfa/verify", json={"otp": "000000"}, headers=bearer(token))
    assert wrong.status_code == 422 and "does not match" in wrong.json()["detail"]
    verified = await anonymous.post(
        "/api/v1/auth/mfa/verify", json={"otp": current_code(body["secret"])}, headers=bearer(token)
    )
    assert verified.status_code == 200
    codes = verified.json()["recovery_codes"]
    assert len(codes) == 10 == len(set(codes))

    again = await anonymous.post("/api/v1/auth/mfa/enroll", headers=bearer(token))
    assert again.status_code == 409
    assert body["secret"] not in again.text
    me = (await anonymous.get("/api/v1/auth/me", headers=bearer(token))).json()
    assert me["mfa_enabled"] is True and body["secret"] not in str(me)


async def test_once_enrolled_a_wrong_or_missing_second_factor_is_refused(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    token = await user_session(client, anonymous, "alice", "viewer")
    secret, _ = await enrol(anonymous, token)

    missing = await login(anonymous, "alice")
    assert missing.status_code == 401
    assert "second factor is required" in missing.json()["detail"]
    wrong = await login(anonymous, "alice", otp="123456" if current_code(secret) != "123456" else "654321")
    assert wrong.status_code == 401
    assert "one-time code" in wrong.json()["detail"]
    garbage = await login(anonymous, "alice", otp="abcdef")
    assert garbage.status_code == 401

    code = next_code(secret)
    assert (await login(anonymous, "alice", otp=code)).status_code == 200
    replay = await login(anonymous, "alice", otp=code)
    assert replay.status_code == 401 and "already used" in replay.json()["detail"]


async def test_an_enrolled_admin_logs_in_with_a_code_and_is_not_restricted(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    token, _ = await enrolled_admin(client, anonymous, "root")
    me = (await anonymous.get("/api/v1/auth/me", headers=bearer(token))).json()
    assert me["role"] == "admin" and me["mfa_enabled"] and not me["mfa_enrolment_required"]
    assert (await anonymous.get("/api/v1/users", headers=bearer(token))).status_code == 200


async def test_a_recovery_code_works_once(client: httpx.AsyncClient, anonymous: httpx.AsyncClient) -> None:
    token = await user_session(client, anonymous, "alice", "viewer")
    _, codes = await enrol(anonymous, token)

    assert (await login(anonymous, "alice", recovery_code=codes[3])).status_code == 200
    spent = await login(anonymous, "alice", recovery_code=codes[3])
    assert spent.status_code == 401 and "recovery code" in spent.json()["detail"]
    assert (await login(anonymous, "alice", recovery_code=codes[4])).status_code == 200


async def test_recovery_codes_are_replaced_on_proof_of_a_code(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    token = await user_session(client, anonymous, "alice", "viewer")
    secret, old = await enrol(anonymous, token)

    refused = await anonymous.post("/api/v1/auth/mfa/recovery-codes", json={"otp": "000000"}, headers=bearer(token))
    assert refused.status_code == 422
    replaced = await anonymous.post(
        "/api/v1/auth/mfa/recovery-codes", json={"otp": next_code(secret)}, headers=bearer(token)
    )
    assert replaced.status_code == 200
    new = replaced.json()["recovery_codes"]
    assert set(new).isdisjoint(old)
    assert (await login(anonymous, "alice", recovery_code=old[0])).status_code == 401
    assert (await login(anonymous, "alice", recovery_code=new[0])).status_code == 200


async def test_an_admin_resets_a_users_mfa(client: httpx.AsyncClient, anonymous: httpx.AsyncClient) -> None:
    user_id = await create_user(client, "alice", "viewer")
    token = await session_token(anonymous, "alice")
    await enrol(anonymous, token)

    reset = await client.patch(f"/api/v1/users/{user_id}", json={"reset_mfa": True})

    assert reset.status_code == 200 and reset.json()["mfa_enabled"] is False
    assert (await anonymous.get("/api/v1/auth/me", headers=bearer(token))).status_code == 401  # sessions ended
    assert (await login(anonymous, "alice")).status_code == 200  # a password is enough again


async def test_api_keys_have_no_mfa(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/mfa/enroll")
    assert response.status_code == 403  # the credential may not, the request is fine
    assert "API key" in response.json()["detail"]


async def test_verify_needs_an_enrolment_and_a_well_formed_body(
    client: httpx.AsyncClient, anonymous: httpx.AsyncClient
) -> None:
    token = await user_session(client, anonymous, "alice", "viewer")
    early = await anonymous.post("/api/v1/auth/mfa/verify", json={"otp": "123456"}, headers=bearer(token))
    assert early.status_code == 422 and "enroll" in early.json()["detail"]
    for body in ({}, {"otp": ""}, {"otp": "1" * 17}, {"otp": "123456", "extra": 1}):
        response = await anonymous.post("/api/v1/auth/mfa/verify", json=body, headers=bearer(token))
        assert response.status_code == 422, body
