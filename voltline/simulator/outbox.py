"""Transaction messages a station could not deliver yet, kept in the order they happened.

A real charge point stores StartTransaction, StopTransaction and transaction MeterValues (1.6) or
TransactionEvent (2.0.1) while it is offline and sends them, oldest first, once it is back (OCPP 1.6 4.8 /
2.0.1 E04): the CSMS bills from them. The CSMS treats a resent message as a duplicate by its content, so a
message whose answer the connection lost is queued again rather than given up.
"""

from __future__ import annotations

import bisect
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from voltline.simulator.messages import Payload, Transaction

logger = logging.getLogger("voltline.simulator")

# Periodic readings are what a station with full memory gives up first; never a start or a stop.
_DROPPABLE = frozenset({"MeterValues"})


@dataclass(slots=True, order=True)
class QueuedMessage:
    seq: int  # when it happened: the order it is delivered in
    action: str = field(compare=False)
    payload: Payload = field(compare=False)
    tx: Transaction | None = field(default=None, compare=False)
    # Runs with the CSMS's answer once delivered (a 1.6 start learns its transactionId there).
    on_answer: Callable[[Payload], Any] | None = field(default=None, compare=False)
    attempts: int = field(default=0, compare=False)

    @property
    def droppable(self) -> bool:
        return self.action in _DROPPABLE or (
            self.action == "TransactionEvent" and self.payload.get("eventType") == "Updated"
        )


class Outbox:
    """An ordered queue of undelivered transaction messages, bounded by dropping periodic readings."""

    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self.dropped = 0
        self._messages: list[QueuedMessage] = []
        self._seq = itertools.count(1)

    def __len__(self) -> int:
        return len(self._messages)

    def next_seq(self) -> int:
        return next(self._seq)

    def add(self, message: QueuedMessage) -> None:
        """Queue a message (again, after a failed delivery): it takes its place by `seq`."""
        if len(self._messages) >= self.limit and not self._drop_one_reading():
            logger.warning("offline queue over its limit of %d with no reading left to drop", self.limit)
        bisect.insort(self._messages, message)

    def pop(self) -> QueuedMessage:
        return self._messages.pop(0)

    def peek(self) -> list[QueuedMessage]:
        return list(self._messages)

    def _drop_one_reading(self) -> bool:
        for index, queued in enumerate(self._messages):
            if queued.droppable:
                del self._messages[index]
                self.dropped += 1
                return True
        return False
