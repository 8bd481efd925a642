"""X-Forwarded-For is believed only from configured proxies (issue 11, point 5), over real HTTP: uvicorn
would otherwise believe it from 127.0.0.1, so rotating the header defeated the per-address login lockout
and naming another address locked that address out."""

from __future__ import annotations

import httpx

from tests.e2e.conftest import ServerFactory

WRONG = {"password": "not the password!"}


async def failed_login(http: httpx.AsyncClient, number: int, forwarded_for: str) -> int:
    # A new account name each time: only the address limit can lock these out.
    body = {"username": f"nobody-{number}", **WRONG}
    answer = await http.post("/api/v1/auth/login", json=body, headers={"X-Forwarded-For": forwarded_for})
    return answer.status_code


async def test_a_rotated_forwarded_for_header_does_not_escape_the_address_lockout(
    start_server: ServerFactory,
) -> None:
    server = await start_server(login_failures_per_address=3, login_failures_per_account=100)
    async with httpx.AsyncClient(base_url=server.http_url) as http:
        statuses = [await failed_login(http, n, f"198.51.100.{n}") for n in range(5)]
    assert statuses == [401, 401, 401, 429, 429]  # the connecting address is what counts


async def test_a_configured_proxy_is_believed(start_server: ServerFactory) -> None:
    server = await start_server(
        login_failures_per_address=3, login_failures_per_account=100, http_trusted_proxies=["127.0.0.1"]
    )
    async with httpx.AsyncClient(base_url=server.http_url) as http:
        attacker = [await failed_login(http, n, "203.0.113.9") for n in range(4)]
        bystander = await failed_login(http, 99, "198.51.100.7")
    assert attacker == [401, 401, 401, 429]  # the address the proxy reports is locked ...
    assert bystander == 401  # ... and only that one: another client behind the proxy still gets to try
