"""Local authorization list commands -> OCPP 2.0.1 SendLocalList / GetLocalListVersion."""

from __future__ import annotations

from voltline.areas.authorization.model import TokenVerdict
from voltline.areas.authorization.ocpp.v201 import id_token_info
from voltline.areas.local_lists.commands import GetLocalListVersion, SendLocalList, UpdateAnswer
from voltline.areas.local_lists.model import LocalListEntry
from voltline.protocol.commands import EncoderTable, OutboundCall, Payload, status_info_of


def _id_token(entry: LocalListEntry) -> Payload:
    return {"idToken": entry.id_token, "type": entry.type.value}


def _answer(answer: Payload) -> UpdateAnswer:
    return UpdateAnswer(str(answer["status"]), status_info_of(answer))


def send_local_list(command: SendLocalList) -> OutboundCall:
    items: list[Payload] = [{"idToken": _id_token(e)} for e in command.removals]
    items += [
        {"idToken": _id_token(e), "idTokenInfo": id_token_info(TokenVerdict(e.status, e.expiry, e.group_id))}
        for e in command.entries
    ]
    payload: Payload = {"versionNumber": command.version, "updateType": "Full" if command.full else "Differential"}
    if items:  # the schema wants at least one item when the list is present: an empty list is left out
        payload["localAuthorizationList"] = items
    return OutboundCall("SendLocalList", payload, decode=_answer)


def get_local_list_version(command: GetLocalListVersion) -> OutboundCall:
    return OutboundCall("GetLocalListVersion", {}, decode=lambda answer: int(answer["versionNumber"]))


ENCODERS: EncoderTable = {SendLocalList: send_local_list, GetLocalListVersion: get_local_list_version}
