"""Local authorization list commands -> OCPP 1.6 SendLocalList / GetLocalListVersion."""

from __future__ import annotations

from voltline.areas.authorization.model import TokenVerdict
from voltline.areas.authorization.ocpp.v16 import id_tag_info
from voltline.areas.local_lists.commands import GetLocalListVersion, SendLocalList, UpdateAnswer
from voltline.areas.local_lists.model import LocalListEntry
from voltline.protocol.commands import EncoderTable, OutboundCall, Payload


def _entry(entry: LocalListEntry) -> Payload:
    return {"idTag": entry.id_token, "idTagInfo": id_tag_info(TokenVerdict(entry.status, entry.expiry, entry.group_id))}


def send_local_list(command: SendLocalList) -> OutboundCall:
    items = [{"idTag": e.id_token} for e in command.removals]  # without idTagInfo: delete the entry
    items += [_entry(e) for e in command.entries]
    payload: Payload = {"listVersion": command.version, "updateType": "Full" if command.full else "Differential"}
    if items:
        payload["localAuthorizationList"] = items
    return OutboundCall("SendLocalList", payload, decode=lambda answer: UpdateAnswer(str(answer["status"])))


def get_local_list_version(command: GetLocalListVersion) -> OutboundCall:
    return OutboundCall("GetLocalListVersion", {}, decode=lambda answer: int(answer["listVersion"]))


ENCODERS: EncoderTable = {SendLocalList: send_local_list, GetLocalListVersion: get_local_list_version}
