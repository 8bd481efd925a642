"""How remote-control commands map onto each OCPP version, and what each version refuses (a 422)."""

from __future__ import annotations

import pytest

from tests.protocol.remote_control_samples import A_FULL_MESSAGE
from tests.support.wiring import ENCODERS
from voltline.areas.remote_control.commands import (
    ChangeAvailability,
    ClearDisplayMessage,
    GetDisplayMessages,
    RemoteStart,
    RemoteStartAnswer,
    Reset,
    ResetKind,
    SetDisplayMessage,
    TriggerableMessage,
    TriggerMessage,
    UnlockConnector,
)
from voltline.areas.remote_control.ocpp.v201_display import display_message, message_info
from voltline.kernel.commands import StatusInfo
from voltline.kernel.errors import InvalidRequest
from voltline.ocppj import OcppVersion

V16 = ENCODERS[OcppVersion.V16]
V201 = ENCODERS[OcppVersion.V201]


@pytest.mark.parametrize(
    ("kind", "v16", "v201"),
    [
        (ResetKind.SOFT, "Soft", "OnIdle"),
        (ResetKind.ON_IDLE, "Soft", "OnIdle"),
        (ResetKind.HARD, "Hard", "Immediate"),
        (ResetKind.IMMEDIATE, "Hard", "Immediate"),
    ],
)
def test_reset_kinds_map_onto_each_versions_pair(kind: ResetKind, v16: str, v201: str) -> None:
    assert V16.encode(Reset(kind)).payload == {"type": v16}
    assert V201.encode(Reset(kind)).payload == {"type": v201}


def test_an_evse_reset_is_201_only() -> None:
    assert V201.encode(Reset(ResetKind.HARD, 3)).payload == {"type": "Immediate", "evseId": 3}
    with pytest.raises(InvalidRequest, match="whole station"):
        V16.encode(Reset(ResetKind.HARD, 3))


def test_16_addresses_evse_n_as_connector_n_and_knows_no_second_connector() -> None:
    assert V16.encode(UnlockConnector(2)).payload == {"connectorId": 2}
    assert V201.encode(UnlockConnector(2)).payload == {"evseId": 2, "connectorId": 1}
    assert V16.encode(ChangeAvailability(False, 2, 1)).payload == {"connectorId": 2, "type": "Inoperative"}
    for command in (
        UnlockConnector(2, 2),
        ChangeAvailability(True, 2, 2),
        TriggerMessage(TriggerableMessage.HEARTBEAT, 1, 2),
    ):
        with pytest.raises(InvalidRequest, match="connector_id must be 1"):
            V16.encode(command)


def test_the_whole_station_is_connector_0_in_16_and_no_evse_in_201() -> None:
    assert V16.encode(ChangeAvailability(True)).payload == {"connectorId": 0, "type": "Operative"}
    assert V16.encode(ChangeAvailability(True, 0)).payload == {"connectorId": 0, "type": "Operative"}
    assert V201.encode(ChangeAvailability(True, 0)).payload == {"operationalStatus": "Operative"}
    assert V201.encode(ChangeAvailability(False, 2, 1)).payload == {
        "operationalStatus": "Inoperative",
        "evse": {"id": 2, "connectorId": 1},
    }


@pytest.mark.parametrize(
    ("version", "missing", "named"),
    [
        (OcppVersion.V16, TriggerableMessage.TRANSACTION_EVENT, "DiagnosticsStatusNotification"),
        (OcppVersion.V16, TriggerableMessage.LOG_STATUS_NOTIFICATION, "FirmwareStatusNotification"),
        (OcppVersion.V201, TriggerableMessage.DIAGNOSTICS_STATUS_NOTIFICATION, "LogStatusNotification"),
    ],
)
def test_a_trigger_the_version_lacks_is_refused_naming_those_it_has(
    version: OcppVersion, missing: TriggerableMessage, named: str
) -> None:
    with pytest.raises(InvalidRequest) as refused:
        ENCODERS[version].encode(TriggerMessage(missing))
    assert missing.value in str(refused.value)
    assert named in str(refused.value)


def test_trigger_targets() -> None:
    status = TriggerableMessage.STATUS_NOTIFICATION
    assert V16.encode(TriggerMessage(status, 2)).payload == {"requestedMessage": "StatusNotification", "connectorId": 2}
    assert V201.encode(TriggerMessage(status, 2)).payload == {
        "requestedMessage": "StatusNotification",
        "evse": {"id": 2},
    }
    assert V201.encode(TriggerMessage(status)).payload == {"requestedMessage": "StatusNotification"}


def test_answers_decode_to_neutral_values() -> None:
    reset = V201.encode(Reset(ResetKind.SOFT))
    assert reset.decode is not None
    assert reset.decode({"status": "Accepted"}) is None


@pytest.mark.parametrize(
    "command", [SetDisplayMessage(A_FULL_MESSAGE), GetDisplayMessages(1), ClearDisplayMessage(1)], ids=type
)
def test_display_messages_are_refused_on_16_with_the_reason(command: object) -> None:
    with pytest.raises(InvalidRequest, match=r"display messages need OCPP 2\.0\.1"):
        V16.encode(command)  # type: ignore[arg-type]


def test_a_display_message_survives_the_round_trip_through_message_info() -> None:
    info = message_info(A_FULL_MESSAGE)
    assert info["display"] == {"name": "Display", "evse": {"id": 2}}
    assert info["startDateTime"] == "2026-12-05T00:00:00.000Z"
    assert display_message(info) == A_FULL_MESSAGE


def test_a_2_0_1_remote_start_hands_back_the_remote_start_id_it_sent() -> None:
    call = V201.encode(RemoteStart("TAG", 1, remote_start_id=77))
    assert call.payload["remoteStartId"] == 77
    assert call.decode is not None
    answer = {"status": "Accepted", "statusInfo": {"reasonCode": "Queued"}}
    assert call.decode(answer) == RemoteStartAnswer(77, StatusInfo("Queued"))
    assert call.decode({"status": "Rejected"}) == RemoteStartAnswer(77)
    # OCPP 1.6 has no remoteStartId: nothing to hand back.
    assert V16.encode(RemoteStart("TAG", 1, remote_start_id=77)).decode is None
