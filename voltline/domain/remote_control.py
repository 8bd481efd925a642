"""Operator commands to stations: remote start and stop, and raw OCPP calls."""

from __future__ import annotations

import secrets
from typing import Any

from voltline.domain.commands import CommandResult, CommandService, RemoteStart, RemoteStop
from voltline.domain.transactions import TransactionService


class RemoteControlService:
    def __init__(self, commands: CommandService, transactions: TransactionService) -> None:
        self._commands = commands
        self._transactions = transactions

    async def remote_start(self, station_id: str, id_token: str, evse_id: int | None) -> CommandResult:
        self._commands.require_online(station_id)
        # 2.0.1 correlates the resulting transaction by remoteStartId: a random positive int32.
        command = RemoteStart(id_token, evse_id, remote_start_id=secrets.randbelow(2**31 - 1) + 1)
        return await self._commands.send(station_id, command)

    async def remote_stop(self, station_id: str, transaction_ref: str) -> CommandResult:
        self._commands.require_online(station_id)
        tx = await self._transactions.find(station_id, transaction_ref)
        return await self._commands.send(station_id, RemoteStop(tx.station_tx_id))

    async def call(self, station_id: str, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        return await self._commands.call_raw(station_id, action, payload)
