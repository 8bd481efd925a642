"""Helpers for the accounts and access API tests: users, logins, MFA enrolment, bearer headers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pyotp

PASSWORD = "correct horse battery staple"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def current_code(secret: str) -> str:
    return pyotp.TOTP(secret).now()


def next_code(secret: str) -> str:
    """The next step's code: accepted (clock drift window) and newer than one spent just now."""
    return pyotp.TOTP(secret).at(datetime.now(UTC) + timedelta(seconds=30))


async def create_user(admin: httpx.AsyncClient, username: str, role: str, password: str = PASSWORD) -> int:
    response = await admin.post("/api/v1/users", json={"username": username, "password": password, "role": role})
    assert response.status_code == 201, response.text
    user_id: int = response.json()["id"]
    return user_id


async def login(client: httpx.AsyncClient, username: str, password: str = PASSWORD, **extra: str) -> httpx.Response:
    return await client.post("/api/v1/auth/login", json={"username": username, "password": password, **extra})


async def session_token(client: httpx.AsyncClient, username: str, password: str = PASSWORD, **extra: str) -> str:
    response = await login(client, username, password, **extra)
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token


async def user_session(admin: httpx.AsyncClient, anonymous: httpx.AsyncClient, username: str, role: str) -> str:
    """A new operator's or viewer's session token."""
    await create_user(admin, username, role)
    return await session_token(anonymous, username)


async def enrolled_admin(admin: httpx.AsyncClient, anonymous: httpx.AsyncClient, username: str) -> tuple[str, str]:
    """A new admin who enrolled MFA: (a full session token, the TOTP secret)."""
    await create_user(admin, username, "admin")
    restricted = await session_token(anonymous, username)
    enrolment = await anonymous.post("/api/v1/auth/mfa/enroll", headers=bearer(restricted))
    assert enrolment.status_code == 200, enrolment.text
    secret: str = enrolment.json()["secret"]
    verified = await anonymous.post(
        "/api/v1/auth/mfa/verify", json={"otp": current_code(secret)}, headers=bearer(restricted)
    )
    assert verified.status_code == 200, verified.text
    return await session_token(anonymous, username, otp=next_code(secret)), secret
