"""The transaction record is defined once (the dataclass): storage, creation and the API body follow it;
and the energy register has one spelling in the server."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import voltline
from voltline.areas.transactions.model import ENERGY_REGISTER, MUTABLE_FIELDS, TRANSACTION_FIELDS
from voltline.areas.transactions.ports import NewTransaction
from voltline.areas.transactions.schemas import TransactionBody
from voltline.areas.transactions.tables import transactions


def test_storage_creation_and_the_api_body_follow_the_record() -> None:
    assert set(TRANSACTION_FIELDS) == {column.name for column in transactions.columns}
    assert {f.name for f in fields(NewTransaction)} <= set(TRANSACTION_FIELDS)
    assert set(MUTABLE_FIELDS) == set(TRANSACTION_FIELDS) - {"id", "station_id", "station_tx_id"}
    # The body shows record fields under their own names, plus what it derives from them.
    assert set(TransactionBody.model_fields) - set(TRANSACTION_FIELDS) == {"station_transaction_id", "active"}


def test_the_energy_register_is_spelled_once_outside_the_simulator() -> None:
    """The simulator plays a station and keeps its own OCPP strings (it imports nothing of the areas)."""
    root = Path(voltline.__file__).parent
    spelled = sorted(
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if "simulator" not in path.parts and f'"{ENERGY_REGISTER}"' in path.read_text(encoding="utf-8")
    )
    assert spelled == ["areas/transactions/model.py"]
