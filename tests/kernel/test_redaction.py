from __future__ import annotations

import orjson

from voltline.kernel.redaction import REDACTED, redact_frame


def frame(*parts: object) -> str:
    return orjson.dumps(list(parts)).decode()


def test_frames_without_credentials_are_kept_as_they_are() -> None:
    text = frame(2, "m1", "ChangeConfiguration", {"key": "HeartbeatInterval", "value": "60"})
    assert redact_frame(text) is text


def test_a_1_6_authorization_key_is_redacted_and_the_key_name_kept() -> None:
    text = frame(2, "m1", "ChangeConfiguration", {"key": "AuthorizationKey", "value": "0011223344556677"})
    redacted = redact_frame(text)
    assert "0011223344556677" not in redacted
    assert orjson.loads(redacted)[3] == {"key": "AuthorizationKey", "value": REDACTED}


def test_a_2_0_1_basic_auth_password_is_redacted_only_where_it_is() -> None:
    payload = {
        "setVariableData": [
            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}, "attributeValue": "60"},
            {
                "component": {"name": "SecurityCtrlr"},
                "variable": {"name": "BasicAuthPassword"},
                "attributeValue": "s3cr3t-station-pass",
            },
        ]
    }
    redacted = orjson.loads(redact_frame(frame(2, "m2", "SetVariables", payload)))[3]["setVariableData"]
    assert redacted[0]["attributeValue"] == "60"  # the harmless neighbour stays readable
    assert redacted[1]["attributeValue"] == REDACTED
    assert redacted[1]["variable"] == {"name": "BasicAuthPassword"}


def test_answers_and_vendor_data_that_carry_a_credential_are_redacted() -> None:
    answer = frame(3, "m3", {"configurationKey": [{"key": "AuthorizationKey", "readonly": False, "value": "k"}]})
    assert orjson.loads(redact_frame(answer))[2]["configurationKey"][0]["value"] == REDACTED
    vendor = frame(2, "m4", "DataTransfer", {"vendorId": "acme", "data": "user=a;password=hunter2"})
    assert "hunter2" not in redact_frame(vendor)


def test_an_unreadable_frame_that_mentions_a_credential_is_not_kept() -> None:
    cut = '[2,"m5","ChangeConfiguration",{"key":"AuthorizationKey","value":"00112233'
    assert "00112233" not in redact_frame(cut)
