"""Station messages set aside for an operator: about a transaction the station does not own (another
station's) or that Voltline does not know. They were answered normally (a CALLERROR would only make the
station retry) and never applied; this is where an operator finds them.
"""

from __future__ import annotations

from voltline.areas.transactions.model import ReviewItem, ReviewKind
from voltline.areas.transactions.ports import REVIEW_ITEMS
from voltline.kernel.storage import Storage, UnitOfWork


class ReviewService:
    def __init__(self, storage: Storage) -> None:
        self._storage = storage

    async def list(
        self, station_id: str | None = None, kind: ReviewKind | None = None, limit: int = 100, offset: int = 0
    ) -> list[ReviewItem]:
        """Newest first."""

        async def op(uow: UnitOfWork) -> list[ReviewItem]:
            return await uow[REVIEW_ITEMS].page(station_id, kind, limit, offset)

        return await self._storage.read(op)
