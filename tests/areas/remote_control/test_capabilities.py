"""The remote-control adapters agree with the version capabilities the domain decides by."""

from __future__ import annotations

import pytest

from tests.support.wiring import ENCODERS
from voltline.areas.remote_control.commands import ClearDisplayMessage, GetDisplayMessages, TriggerableMessage
from voltline.areas.remote_control.ocpp import v16, v201
from voltline.kernel.commands import Command
from voltline.kernel.errors import InvalidRequest
from voltline.kernel.versions import OcppVersion, capabilities


@pytest.mark.parametrize(
    ("version", "triggerable"), [(OcppVersion.V16, v16.TRIGGERABLE), (OcppVersion.V201, v201.TRIGGERABLE)]
)
def test_each_adapter_triggers_what_its_version_can(
    version: OcppVersion, triggerable: tuple[TriggerableMessage, ...]
) -> None:
    assert {message.value for message in triggerable} == capabilities(version).triggerable_messages


@pytest.mark.parametrize("version", list(OcppVersion))
@pytest.mark.parametrize("command", [GetDisplayMessages(7), ClearDisplayMessage(9)])
def test_display_messages_are_encoded_where_the_version_has_them(version: OcppVersion, command: Command) -> None:
    if capabilities(version).display_messages:
        assert ENCODERS[version].encode(command).action == type(command).__name__
    else:
        with pytest.raises(InvalidRequest):
            ENCODERS[version].encode(command)
