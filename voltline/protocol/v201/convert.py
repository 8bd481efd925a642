"""OCPP 2.0.1 payload pieces <-> domain values."""

from __future__ import annotations

import math
from typing import Any

from voltline.domain.models import SampledValue, TokenVerdict
from voltline.ocppj import ErrorKind, OcppError
from voltline.protocol.timestamps import format_timestamp, parse_timestamp


def id_token_info(verdict: TokenVerdict) -> dict[str, Any]:
    info: dict[str, Any] = {"status": verdict.status.value}
    if verdict.expiry is not None:
        info["cacheExpiryDateTime"] = format_timestamp(verdict.expiry)
    if verdict.group_id:
        info["groupIdToken"] = {"idToken": verdict.group_id, "type": "Central"}
    return info


def sampled_values(meter_values: list[dict[str, Any]]) -> list[SampledValue]:
    """Flatten 2.0.1 meterValue entries, applying the unit multiplier (value * 10^multiplier)."""
    result: list[SampledValue] = []
    for entry in meter_values:
        timestamp = parse_timestamp(entry["timestamp"])
        for sample in entry["sampledValue"]:
            unit = sample.get("unitOfMeasure") or {}
            multiplier = unit.get("multiplier", 0)
            signed = sample.get("signedMeterValue")
            result.append(
                SampledValue(
                    timestamp=timestamp,
                    value=_scaled(sample["value"], multiplier),
                    measurand=sample.get("measurand", "Energy.Active.Import.Register"),
                    unit=unit.get("unit", "Wh"),
                    phase=sample.get("phase"),
                    location=sample.get("location"),
                    context=sample.get("context"),
                    signed_data=signed.get("signedMeterData") if signed else None,
                )
            )
    return result


def _scaled(value: float, multiplier: int) -> float:
    """value * 10^multiplier. The schema bounds neither, so a reading can exceed what a double holds; that
    is a value out of range (PropertyConstraintViolation), not a handler crash (InternalError)."""
    try:
        scaled = float(value) * (10.0**multiplier)
    except OverflowError:
        scaled = math.inf
    if not math.isfinite(scaled):
        raise OcppError(ErrorKind.PROPERTY_CONSTRAINT, f"sampledValue: {value} * 10^{multiplier} is out of range")
    return scaled
