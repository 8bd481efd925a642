"""Enumerations: any letter case (and underscores) on input, one spelling on output, OCPP's for OCPP words."""

from __future__ import annotations

from enum import StrEnum

import httpx
import pytest
from pydantic import TypeAdapter

from tests.support.api_fixtures import ScriptedLink
from voltline.api.schemas import AnyCase
from voltline.areas.remote_control.commands import Reset, ResetKind


@pytest.mark.parametrize(
    ("spelling", "kind"),
    [
        ("Soft", ResetKind.SOFT),
        ("soft", ResetKind.SOFT),
        ("HARD", ResetKind.HARD),
        ("OnIdle", ResetKind.ON_IDLE),
        ("on_idle", ResetKind.ON_IDLE),  # the spelling before OCPP's, still accepted
        ("immediate", ResetKind.IMMEDIATE),
    ],
)
async def test_reset_takes_the_ocpp_spelling_in_any_case(
    client: httpx.AsyncClient, link: ScriptedLink, spelling: str, kind: ResetKind
) -> None:
    link.online.add("CP-1")
    response = await client.post("/api/v1/stations/CP-1/reset", json={"type": spelling})
    assert response.status_code == 200, response.text
    assert link.sent == [("CP-1", Reset(kind))]


async def test_an_unknown_word_lists_the_canonical_spellings(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/stations/CP-1/reset", json={"type": "gentle"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["message"] == "Input should be 'Soft', 'Hard', 'OnIdle' or 'Immediate'"


async def test_token_enumerations_come_back_in_the_one_spelling(client: httpx.AsyncClient) -> None:
    created = await client.post("/api/v1/id-tokens", json={"id_token": "CARD-1", "type": "emaid", "status": "BLOCKED"})
    assert created.status_code == 201, created.text
    assert (created.json()["type"], created.json()["status"]) == ("eMAID", "Blocked")
    patched = await client.patch("/api/v1/id-tokens/CARD-1", json={"status": "concurrent_tx", "type": "KEY_CODE"})
    assert (patched.json()["type"], patched.json()["status"]) == ("KeyCode", "ConcurrentTx")
    assert (await client.get("/api/v1/id-tokens/CARD-1")).json()["status"] == "ConcurrentTx"


async def test_query_parameters_take_any_case_too(client: httpx.AsyncClient) -> None:
    registered = await client.put("/api/v1/stations/CP-1", json={"registration": "pending", "security_profile": 0})
    assert registered.status_code in (200, 201), registered.text
    assert registered.json()["registration"] == "Pending"
    for state in ("PENDING", "Pending", "pending"):
        response = await client.get("/api/v1/local-lists", params={"state": state})
        assert response.status_code == 200, (state, response.text)
    response = await client.get("/api/v1/review-items", params={"kind": "unknown_transaction"})
    assert response.status_code == 200, response.text


async def test_voltline_s_own_words_keep_their_lower_case_spelling(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/api-keys", json={"name": "billing", "role": "Viewer"})
    assert response.status_code == 201, response.text
    assert response.json()["role"] == "viewer"


async def test_openapi_shows_only_the_canonical_spellings(anonymous: httpx.AsyncClient) -> None:
    schemas = (await anonymous.get("/openapi.json")).json()["components"]["schemas"]
    assert schemas["ResetKind"]["enum"] == ["Soft", "Hard", "OnIdle", "Immediate"]
    assert "Blocked" in schemas["AuthorizationStatus"]["enum"]


def test_an_enumeration_whose_values_differ_only_in_case_is_refused_at_build_time() -> None:
    class Ambiguous(StrEnum):
        ON_IDLE = "on_idle"
        ONIDLE = "OnIdle"

    with pytest.raises(TypeError, match="same ignoring case"):
        TypeAdapter(AnyCase[Ambiguous])
