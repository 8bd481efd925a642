"""The hostile side of tests/e2e/test_api_isolation.py, run as its own process so that its work (building
and sending 60 MiB) cannot hold the server's interpreter: `python -m tests.e2e.hostile_client BASE_URL`.
Prints one JSON line per request: name, status (-1: the server closed while a streamed body was still being
sent), and its start and end on the monotonic clock, which all processes of the machine share."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator

import httpx

from tests.e2e.conftest import ADMIN_TOKEN
from voltline.api.body_guard import MAX_OBJECT_MEMBERS

MIB = 1024 * 1024
JSON = {"Content-Type": "application/json"}
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def unknown_keys(size: int) -> bytes:
    """A JSON object of about `size` bytes of unknown keys, as in the issue's report."""
    count = size // 12
    return b"{" + b",".join(b'"k%09d":1' % i for i in range(count)) + b"}"


def streamed(body: bytes) -> Iterator[bytes]:
    for start in range(0, len(body), 64 * 1024):
        yield body[start : start + 64 * 1024]


def hostile_requests(base_url: str) -> list[tuple[str, Callable[[httpx.Client], int]]]:
    huge, nine, sixty = unknown_keys(42 * MIB), unknown_keys(9 * MIB), unknown_keys(60 * MIB)
    wide = json.dumps({f"k{i:04d}": "x" * 900 for i in range(999)}).encode()  # ~0.9 MiB, 999 members: over the cap
    at_cap = json.dumps({f"k{i:03d}": "x" * 3900 for i in range(MAX_OBJECT_MEMBERS)}).encode()  # ~1 MiB
    deep = b"[" * 400_000 + b"]" * 400_000  # 0.8 MiB
    twice = b'{"username": "admin", "username": "' + b"a" * 900_000 + b'", "password": "p"}'

    def post(path: str, body: bytes | Iterator[bytes], headers: dict[str, str]) -> Callable[[httpx.Client], int]:
        def send(client: httpx.Client) -> int:
            try:
                return client.post(base_url + path, content=body, headers={**JSON, **headers}).status_code
            except (httpx.WriteError, httpx.RemoteProtocolError, httpx.ReadError):
                return -1  # the server answered and closed before a streamed body was all sent

        return send

    def page(client: httpx.Client) -> int:
        answer = client.get(base_url + "/api/v1/stations", params={"limit": 1000}, headers=AUTH)
        assert answer.status_code == 200 and len(answer.json()["items"]) == 1000
        return answer.status_code

    return [
        ("anonymous login, 42 MiB of unknown keys", post("/api/v1/auth/login", huge, {})),
        ("anonymous login, 9 MiB streamed", post("/api/v1/auth/login", streamed(nine), {})),
        ("POST /id-tokens, 60 MiB, authenticated", post("/api/v1/id-tokens", sixty, AUTH)),
        ("anonymous login, 999 unknown members (0.9 MiB)", post("/api/v1/auth/login", wide, {})),
        ("POST /id-tokens, 256 unknown members (1 MiB), authenticated", post("/api/v1/id-tokens", at_cap, AUTH)),
        ("POST /id-tokens, 999 unknown members, authenticated", post("/api/v1/id-tokens", wide, AUTH)),
        ("POST /id-tokens, 400,000 levels of nesting", post("/api/v1/id-tokens", deep, AUTH)),
        ("anonymous login, a duplicate key of 0.9 MiB", post("/api/v1/auth/login", twice, {})),
        ("GET /stations?limit=1000, three times", lambda client: [page(client) for _ in range(3)][-1]),
    ]


def main(base_url: str) -> None:
    with httpx.Client(timeout=60) as client:
        for name, send in hostile_requests(base_url):
            started = time.monotonic()
            status = send(client)
            print(json.dumps({"name": name, "status": status, "start": started, "end": time.monotonic()}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
