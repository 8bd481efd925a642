"""OCPP 1.6 payload pieces <-> domain values."""

from __future__ import annotations

import math
from typing import Any

from voltline.domain.models import AuthorizationStatus, SampledValue, TokenVerdict
from voltline.protocol.timestamps import format_timestamp, parse_timestamp

# 1.6 has no separate "ConcurrentTx"-free subset problem, but its enum lacks 2.0.1's extra statuses.
_STATUS_16 = {status: status.value for status in AuthorizationStatus}


ID_TAG_MAX_LENGTH = 20


def id_tag_info(verdict: TokenVerdict) -> dict[str, Any]:
    info: dict[str, Any] = {"status": _STATUS_16[verdict.status]}
    if verdict.expiry is not None:
        info["expiryDate"] = format_timestamp(verdict.expiry)
    # 1.6 spells the group as a parent IdToken (at most 20 characters); a longer registry group cannot be
    # said in 1.6 and is left out rather than breaking the answer's schema.
    if verdict.group_id and len(verdict.group_id) <= ID_TAG_MAX_LENGTH:
        info["parentIdTag"] = verdict.group_id
    return info


def sampled_values(meter_values: list[dict[str, Any]]) -> list[SampledValue]:
    """Flatten 1.6 meterValue entries; non-numeric (signed) readings keep their data in signed_data."""
    result: list[SampledValue] = []
    for entry in meter_values:
        timestamp = parse_timestamp(entry["timestamp"])
        for sample in entry["sampledValue"]:
            raw = sample["value"]
            signed = sample.get("format") == "SignedData"
            try:
                value = 0.0 if signed else float(raw)
            except ValueError:
                value, signed = 0.0, True
            if not math.isfinite(value):  # "NaN", "inf", "1e999" parse as floats but are no readings
                value, signed = 0.0, True
            result.append(
                SampledValue(
                    timestamp=timestamp,
                    value=value,
                    measurand=sample.get("measurand", "Energy.Active.Import.Register"),
                    unit=sample.get("unit", "Wh"),
                    phase=sample.get("phase"),
                    location=sample.get("location"),
                    context=sample.get("context"),
                    signed_data=raw if signed else None,
                )
            )
    return result
