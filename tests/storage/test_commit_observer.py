"""SqlStorage's commit observer (what the commit-group histograms are fed from) and its queue depth."""

from __future__ import annotations

import asyncio

from tests.support.wiring import open_storage
from voltline.areas.authorization.model import IdToken
from voltline.areas.authorization.ports import ID_TOKENS
from voltline.kernel.storage import UnitOfWork
from voltline.storage.sql import SqlStorage


def adding(token: str) -> object:
    async def op(uow: UnitOfWork) -> None:
        await uow[ID_TOKENS].add(IdToken(token))

    return op


async def test_each_commit_group_is_observed_once_with_its_size(database_url: str) -> None:
    storage = await open_storage(database_url, max_batch=16)
    groups: list[tuple[int, float]] = []
    storage.commit_observer = lambda size, seconds: groups.append((size, seconds))
    try:
        writes = [asyncio.ensure_future(storage.write(adding(f"TAG-{i}"))) for i in range(40)]  # type: ignore[arg-type]
        await asyncio.sleep(0)  # the writes queue themselves
        assert storage.queue_depth > 0
        await asyncio.gather(*writes)
        assert storage.queue_depth == 0
    finally:
        await storage.close()
    assert sum(size for size, _ in groups) == 40
    assert max(size for size, _ in groups) <= 16 and len(groups) >= 3
    assert all(seconds > 0 for _, seconds in groups)


async def test_a_failed_group_is_observed_once_with_its_reruns(storage: SqlStorage) -> None:
    groups: list[int] = []
    storage.commit_observer = lambda size, seconds: groups.append(size)
    await storage.write(adding("TAKEN"))  # type: ignore[arg-type]
    groups.clear()
    outcomes = await asyncio.gather(
        *(storage.write(adding(token)) for token in ("A", "TAKEN", "B")),  # type: ignore[arg-type]
        return_exceptions=True,
    )
    assert [isinstance(outcome, BaseException) for outcome in outcomes] == [False, True, False]
    assert groups == [3]
