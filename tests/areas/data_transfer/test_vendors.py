"""DataTransferRegistry: vendor handlers, and UnknownVendorId for everything else."""

from __future__ import annotations

from voltline.areas.data_transfer.service import DataTransferRegistry, DataTransferReply, DataTransferRequest


def a_request(**overrides: object) -> DataTransferRequest:
    values: dict[str, object] = {"station_id": "CP-1", "vendor_id": "com.acme", "message_id": "Ping", "data": "1"}
    values.update(overrides)
    return DataTransferRequest(**values)  # type: ignore[arg-type]


async def test_unknown_vendor() -> None:
    assert await DataTransferRegistry().handle(a_request()) == DataTransferReply("UnknownVendorId")


async def test_registered_vendor_gets_its_requests() -> None:
    seen: list[DataTransferRequest] = []

    async def acme(request: DataTransferRequest) -> DataTransferReply:
        seen.append(request)
        return DataTransferReply("Accepted", {"echo": request.data})

    registry = DataTransferRegistry()
    registry.register("com.acme", acme)

    assert await registry.handle(a_request()) == DataTransferReply("Accepted", {"echo": "1"})
    assert await registry.handle(a_request(vendor_id="com.other")) == DataTransferReply("UnknownVendorId")
    assert seen == [a_request()]
