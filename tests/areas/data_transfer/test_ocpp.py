"""DataTransfer on the wire: 1.6 carries a string, 2.0.1 any JSON value; answers decode to neutral values."""

from __future__ import annotations

from tests.support.wiring import ENCODERS
from voltline.areas.data_transfer.commands import DataTransfer, DataTransferAnswer
from voltline.kernel.commands import StatusInfo
from voltline.kernel.versions import OcppVersion

V16, V201 = ENCODERS[OcppVersion.V16], ENCODERS[OcppVersion.V201]


def test_data_transfer_data_is_a_string_in_16_and_any_json_in_201() -> None:
    data = {"a": [1, None]}
    assert V16.encode(DataTransfer("v", "m", data)).payload == {
        "vendorId": "v",
        "messageId": "m",
        "data": '{"a":[1,null]}',
    }
    assert V16.encode(DataTransfer("v", None, "as is")).payload == {"vendorId": "v", "data": "as is"}
    assert V201.encode(DataTransfer("v", "m", data)).payload == {"vendorId": "v", "messageId": "m", "data": data}
    assert V201.encode(DataTransfer("v")).payload == {"vendorId": "v"}


def test_answers_decode_to_neutral_values() -> None:
    call = V201.encode(DataTransfer("v"))
    assert call.decode is not None
    answer = {"status": "Rejected", "data": [1], "statusInfo": {"reasonCode": "Busy", "additionalInfo": "later"}}
    assert call.decode(answer) == DataTransferAnswer([1], StatusInfo("Busy", "later"))
    v16_call = V16.encode(DataTransfer("v"))
    assert v16_call.decode is not None
    assert v16_call.decode({"status": "Accepted", "data": "x"}) == DataTransferAnswer("x", None)
