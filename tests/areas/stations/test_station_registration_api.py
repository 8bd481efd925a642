"""/api/v1/stations/{id}: PUT replaces the operator record, PATCH changes only what it names, every way of
registering refuses a station that could never connect, and approving a connected Pending station makes
it boot again at once (issue 10, points 1 to 3)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.api_builders import STATION_PASSWORD
from tests.support.api_fixtures import ScriptedLink
from voltline.areas.remote_control.commands import TriggerableMessage, TriggerMessage
from voltline.areas.remote_control.service import ApprovalBoots
from voltline.areas.stations.service import StationImport, StationRegistration, StationService
from voltline.kernel.admission import TransportSecurity
from voltline.kernel.credentials import verify_secret
from voltline.kernel.errors import InvalidRequest
from voltline.kernel.services import ServiceRegistry
from voltline.storage.sql.storage import SqlStorage

URL = "/api/v1/stations/CP-1"
BOOT_TRIGGER = TriggerMessage(TriggerableMessage.BOOT_NOTIFICATION)


async def registered(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await client.put(URL, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def operator_fields(station: dict[str, Any]) -> tuple[Any, ...]:
    return (station["registration"], station["security_profile"], station["has_password"], station["description"])


# -- point 1: PATCH changes what it names, PUT replaces -------------------------------------------------


async def test_patch_of_the_description_keeps_a_rejected_station_rejected(client: httpx.AsyncClient) -> None:
    await registered(client, registration="Rejected", password=STATION_PASSWORD, description="old")

    response = await client.patch(URL, json={"description": "bay 3"})

    assert response.status_code == 200, response.text
    assert operator_fields(response.json()) == ("Rejected", 1, True, "bay 3")
    assert operator_fields((await client.get(URL)).json()) == ("Rejected", 1, True, "bay 3")


async def test_approving_a_pending_station_changes_its_registration_only(
    client: httpx.AsyncClient, services: ServiceRegistry
) -> None:
    # The README's approval of a lab station registered without credentials.
    await registered(client, registration="Pending", security_profile=0, description="lab")

    response = await client.patch(URL, json={"registration": "Accepted"})

    assert response.status_code == 200, response.text
    # Its profile stays 0: raising it to 1 without a password would lock it out (401) at its next connection.
    assert operator_fields(response.json()) == ("Accepted", 0, False, "lab")
    stored = await services[StationService].get("CP-1")
    assert stored is not None and stored.password_hash is None


async def test_patch_keeps_the_password_unless_named(client: httpx.AsyncClient, services: ServiceRegistry) -> None:
    await registered(client, password=STATION_PASSWORD)

    await client.patch(URL, json={"registration": "Pending", "description": "moved"})
    stored = await services[StationService].get("CP-1")
    assert stored is not None and verify_secret(STATION_PASSWORD, stored.password_hash)

    response = await client.patch(URL, json={"password": "another-secret-of-24-chars"})
    assert operator_fields(response.json()) == ("Pending", 1, True, "moved")
    stored = await services[StationService].get("CP-1")
    assert stored is not None and verify_secret("another-secret-of-24-chars", stored.password_hash)


async def test_patch_with_null_removes_the_password_and_the_description(client: httpx.AsyncClient) -> None:
    await registered(client, password=STATION_PASSWORD, description="bay 3")

    response = await client.patch(URL, json={"security_profile": 0, "password": None, "description": None})

    assert response.status_code == 200, response.text
    assert operator_fields(response.json()) == ("Accepted", 0, False, None)


async def test_an_empty_patch_changes_nothing(client: httpx.AsyncClient) -> None:
    before = await registered(client, registration="Pending", password=STATION_PASSWORD, description="d")

    response = await client.patch(URL, json={})

    assert response.status_code == 200
    assert operator_fields(response.json()) == operator_fields(before)


async def test_patch_of_an_unknown_station_is_404(client: httpx.AsyncClient) -> None:
    response = await client.patch(URL, json={"description": "bay 3"})

    assert response.status_code == 404
    assert "CP-1" in response.json()["detail"]
    assert (await client.get(URL)).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"registration": None},
        {"security_profile": None},
        {"registration": "Maybe"},
        {"security_profile": 4},
        {"password": "x" * 15},
        {"description": "d" * 501},
        {"registation": "Accepted"},
    ],
)
async def test_invalid_patches_are_422_and_change_nothing(client: httpx.AsyncClient, body: dict[str, object]) -> None:
    before = await registered(client, registration="Pending", password=STATION_PASSWORD, description="d")

    response = await client.patch(URL, json=body)

    assert response.status_code == 422, body
    assert response.json()["detail"]
    assert operator_fields((await client.get(URL)).json()) == operator_fields(before)


async def test_put_replaces_the_whole_record_but_the_password(client: httpx.AsyncClient) -> None:
    await registered(client, registration="Rejected", password=STATION_PASSWORD, description="old")

    response = await client.put(URL, json={"description": "bay 3"})

    # Documented: a field PUT leaves out gets its default (Accepted, profile 1 for a station with a
    # password), the password excepted, which is kept. PATCH is for changing some fields only.
    assert response.status_code == 200
    assert operator_fields(response.json()) == ("Accepted", 1, True, "bay 3")


async def test_put_and_patch_are_documented_apart(client: httpx.AsyncClient) -> None:
    operations = (await client.get("/openapi.json")).json()["paths"]["/api/v1/stations/{station_id}"]
    assert "replaces its whole operator record" in operations["put"]["description"]
    assert "Only the fields the body names change" in operations["patch"]["description"]
    assert "422" in operations["patch"]["responses"]


# -- point 2: one validation, naming what is wrong ------------------------------------------------------


@pytest.mark.parametrize("profile", [1, 2])
async def test_a_profile_that_needs_a_password_gets_one_or_is_refused(client: httpx.AsyncClient, profile: int) -> None:
    response = await client.put(URL, json={"security_profile": profile})

    assert response.status_code == 422
    detail = response.json()["detail"]
    assert f"security_profile {profile}" in detail
    assert "needs a password" in detail or "TLS" in detail
    assert (await client.get(URL)).status_code == 404


async def test_profile_1_without_a_password_is_refused_by_patch_too(client: httpx.AsyncClient) -> None:
    await registered(client, security_profile=0)

    response = await client.patch(URL, json={"security_profile": 1})

    assert response.status_code == 422
    assert "security_profile 1 needs a password" in response.json()["detail"]
    assert (await client.get(URL)).json()["security_profile"] == 0

    removed = await client.patch(URL, json={"security_profile": 1, "password": STATION_PASSWORD})
    assert removed.status_code == 200
    refused = await client.patch(URL, json={"password": None})
    assert refused.status_code == 422
    assert "needs a password" in refused.json()["detail"]
    assert (await client.get(URL)).json()["has_password"] is True


@pytest.mark.parametrize("profile", [2, 3])
async def test_profiles_that_need_tls_are_refused_with_the_reason(client: httpx.AsyncClient, profile: int) -> None:
    body = {"security_profile": profile, "password": STATION_PASSWORD}

    created = await client.put(URL, json=body)

    assert created.status_code == 422
    assert f"security_profile {profile} needs TLS" in created.json()["detail"]
    assert "TLS is not configured" in created.json()["detail"]
    assert (await client.get(URL)).status_code == 404

    await registered(client, password=STATION_PASSWORD)
    changed = await client.patch(URL, json={"security_profile": profile})
    assert changed.status_code == 422
    assert "TLS is not configured" in changed.json()["detail"]
    assert (await client.get(URL)).json()["security_profile"] == 1


@pytest.mark.parametrize(
    ("path", "station_id"),
    [
        ("CP%203", "CP 3"),
        ("CP%C3%A9", "CPé"),
        ("CP%25", "CP%"),
        ("CP%23", "CP#"),
        ("...", "..."),
        ("CP%E2%80%AE1", "CP\u202e1"),  # a right-to-left override
        ("CP%F0%9F%94%8C", "CP\U0001f50c"),  # an emoji
        # Invalid UTF-8 sequences: refused (so never stored, and never two under one id)
        ("CP%C3%28", "CP\ufffd("),
        ("CP%FF", "CP\ufffd"),
    ],
)
async def test_ids_the_handshake_refuses_are_refused_at_registration(
    client: httpx.AsyncClient, services: ServiceRegistry, path: str, station_id: str
) -> None:
    response = await client.put(f"/api/v1/stations/{path}", json={})

    assert response.status_code == 422, response.text
    assert f"{station_id!r} is not a station id" in response.json()["detail"]
    assert await services[StationService].get(station_id) is None
    # No station can be registered under it, so there is none to change.
    assert (await client.patch(f"/api/v1/stations/{path}", json={})).status_code == 404


async def test_the_api_and_the_importer_refuse_an_id_with_the_same_words(client: httpx.AsyncClient) -> None:
    response = await client.put("/api/v1/stations/CP%203", json={})
    with pytest.raises(InvalidRequest) as imported:
        StationImport.parse({"id": "CP 3"})

    assert response.status_code == 422
    assert response.json()["detail"] == str(imported.value)
    assert "'CP 3' is not a station id (1 to 48 of A-Z a-z 0-9" in str(imported.value)


async def test_the_import_applies_the_same_rules(client: httpx.AsyncClient, services: ServiceRegistry) -> None:
    stations = services[StationService]
    with pytest.raises(InvalidRequest, match="'NEW': security_profile 1 needs a password"):
        await stations.import_many([StationImport(id="NEW", security_profile=1)])
    with pytest.raises(InvalidRequest, match="'TLS': security_profile 2 needs TLS"):
        await stations.import_many([StationImport(id="TLS", security_profile=2, password=STATION_PASSWORD)])
    assert await stations.get("NEW") is None and await stations.get("TLS") is None

    # A row without a password counts the one its station keeps, and then defaults to profile 1, as PUT.
    await registered(client, password=STATION_PASSWORD)
    await stations.import_many([StationImport(id="CP-1", security_profile=1), StationImport(id="CP-2")])
    assert operator_fields((await client.get(URL)).json())[1:3] == (1, True)
    assert operator_fields((await client.get("/api/v1/stations/CP-2")).json())[1:3] == (0, False)
    await stations.import_many([StationImport(id="CP-1")])
    assert (await client.get(URL)).json()["security_profile"] == 1

    # Rows of stations left alone (--skip-existing) are not checked: nothing of them is written.
    await stations.import_many([StationImport(id="CP-2", security_profile=1)], skip_existing=True)


async def test_a_server_that_serves_tls_registers_profile_2(api_storage: SqlStorage) -> None:
    # The hook the TLS work will use: what the endpoint serves decides which profiles are registrable.
    stations = StationService(api_storage, heartbeat_interval=60, transport=TransportSecurity(tls=True))

    station, _ = await stations.register("CP-1", StationRegistration(security_profile=2, password=STATION_PASSWORD))

    assert station.security_profile == 2
    with pytest.raises(InvalidRequest, match="security_profile 3 needs TLS client certificates"):
        await stations.register("CP-2", StationRegistration(security_profile=3))


# -- point 3: approving a connected Pending station triggers its boot ---------------------------------


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
async def test_approving_a_connected_pending_station_triggers_its_boot(
    client: httpx.AsyncClient, services: ServiceRegistry, link: ScriptedLink, method: str
) -> None:
    await registered(client, registration="Pending", security_profile=0)
    link.online.add("CP-1")

    response = await client.request(method, URL, json={"registration": "Accepted"})

    assert response.status_code == 200
    await services[ApprovalBoots].wait_idle()
    assert link.sent == [("CP-1", BOOT_TRIGGER)]


async def test_approving_an_offline_station_sends_nothing(
    client: httpx.AsyncClient, services: ServiceRegistry, link: ScriptedLink
) -> None:
    await registered(client, registration="Pending", security_profile=0)

    assert (await client.patch(URL, json={"registration": "Accepted"})).status_code == 200

    await services[ApprovalBoots].wait_idle()
    assert link.sent == []  # it boots when it connects, and is Accepted then


@pytest.mark.parametrize(
    ("before", "body"),
    [
        ("Accepted", {"description": "bay 3"}),  # no approval
        ("Accepted", {"registration": "Accepted"}),  # already approved
        ("Rejected", {"registration": "Accepted"}),  # a Rejected station takes no calls; it retries its boot
        ("Pending", {"registration": "Rejected"}),
        ("Pending", {"security_profile": 1}),  # refused (no password): nothing was approved
    ],
)
async def test_only_an_approval_of_a_pending_station_triggers_a_boot(
    client: httpx.AsyncClient, services: ServiceRegistry, link: ScriptedLink, before: str, body: dict[str, Any]
) -> None:
    await registered(client, registration=before, security_profile=0)
    link.online.add("CP-1")

    await client.patch(URL, json=body)

    await services[ApprovalBoots].wait_idle()
    assert link.sent == []
