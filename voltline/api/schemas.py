"""Request and response bodies of the operator REST API.

These pydantic models are the API's public contract (they make up /openapi.json); domain records are
mapped onto them explicitly so that nothing internal, such as a station's password hash, can leak.
"""

from __future__ import annotations

import re
import types
from collections.abc import Callable
from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, Any, Literal, TypeVar, Union, cast, get_args, get_origin

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, GetCoreSchemaHandler
from pydantic import Strict as StrictMode
from pydantic.config import JsonDict
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from voltline.kernel.commands import StatusInfo

# Printable characters only: identifiers end up in OCPP frames and log lines, where control characters
# (and NUL bytes, which some databases refuse) have no business.
PRINTABLE = r"^[^\x00-\x1f\x7f]+$"
# Free text (descriptions, messages, filters that search): anything but NUL, which PostgreSQL refuses in
# text and SQLite cuts strings at. Newlines and tabs are fine there.
NO_NUL = r"^[^\x00]*$"
MAX_DB_INT = 2**63 - 1
# An INTEGER column (ids of transactions, templates ...), and OCPP's integers: PostgreSQL's driver raises
# on a larger parameter. In /openapi.json a bound is exact: FastAPI writes component bounds as floats
# (2147483647.0), exact up to 2**53, where 2**63 - 1 would be rounded up to 2**63.
MAX_INT32 = 2**31 - 1

T = TypeVar("T")

FreeText = Annotated[str, Field(pattern=NO_NUL)]
"""A string that may hold any character but NUL (bound its length where it is used)."""


def as_utc(value: datetime) -> datetime:
    """Read a datetime without a UTC offset as UTC, so comparisons with stored times are well defined."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# The start of an ISO 8601 date (2026-12-05...): pydantic also reads a number, or a string of digits, as
# seconds since 1970, which no one sending a date-time means.
_ISO_8601_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _iso_8601_text(value: Any) -> Any:
    if isinstance(value, datetime) or (isinstance(value, str) and _ISO_8601_DATE.match(value)):
        return value
    raise PydanticCustomError(
        "datetime_type", "Input should be an ISO 8601 date-time string, e.g. 2026-12-05T14:30:00Z"
    )


def _utc_instant(value: datetime) -> datetime:
    try:
        return as_utc(value)
    except OverflowError:  # 9999-12-31T23:59:59-01:00 is in the year 10000 in UTC
        raise PydanticCustomError(
            "datetime_range", "Input should be a time between the years 1 and 9999 once converted to UTC"
        ) from None


# Every instant the API takes, in a body or a query: an ISO 8601 string (not a number of seconds), read as
# UTC without an offset, and refused (422) when UTC cannot hold it. Lax on purpose: a `Strict` body takes
# the string, which strict mode would refuse.
UtcDatetime = Annotated[datetime, StrictMode(False), BeforeValidator(_iso_8601_text), AfterValidator(_utc_instant)]


class _NotNull:
    """Pydantic marker behind `NotNull`: `T | None` is validated as `T` alone, null refused first."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        [kind] = [arg for arg in get_args(source) if arg is not type(None)]
        return core_schema.no_info_before_validator_function(_not_null, handler.generate_schema(kind))


def _not_null(value: Any) -> Any:
    if value is None:
        raise PydanticCustomError("not_null", "Input may be left out, but not null")
    return value


def _no_default(schema: JsonDict) -> None:
    schema.pop("default", None)  # left out means "unchanged", not null


# A field of a partial update (PATCH) that may be left out to keep its value but has no null to set:
# null is refused (422, naming the field) and /openapi.json documents the field as neither nullable nor
# defaulting to null. Python sees None for a field left out; `model_fields_set` tells it from one given.
NotNull = Annotated[T | None, _NotNull(), Field(default=None, json_schema_extra=_no_default)]
IdTokenValue = Annotated[
    str,
    Field(
        min_length=1,
        max_length=36,
        pattern=PRINTABLE,
        description="The token's identifier (RFID UID, eMAID, key code ...), 1 to 36 characters.",
        examples=["04A2B3C4D5E6F7"],
    ),
]
GroupId = Annotated[
    str,
    Field(min_length=1, max_length=36, pattern=PRINTABLE, description="Group the token belongs to."),
]


def _integral_number(value: Any) -> Any:
    """A float without a fraction (1.0, 1e2) as the int it is; anything else unchanged, for strict int."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _integers_take_integral_numbers(schema: Any, model: type) -> Any:
    """`schema` with every int schema of `model`'s own fields first passed through `_integral_number`
    (other models' schemas, which it may hold as definitions, are left to their own classes)."""
    if isinstance(schema, list):
        return [_integers_take_integral_numbers(item, model) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if schema.get("type") == "model" and schema.get("cls") is not model:
        return schema
    walked = {
        key: value if key in ("metadata", "serialization") else _integers_take_integral_numbers(value, model)
        for key, value in schema.items()
    }
    if walked.get("type") == "int":
        return core_schema.no_info_before_validator_function(_integral_number, cast(core_schema.CoreSchema, walked))
    return walked


class Strict(BaseModel):
    """Request bodies reject unknown fields, so a typo is an error rather than a silent no-op, and take
    each value in its own JSON type only: a boolean is `true` or `false` (not 0, 1 or "true"), an integer
    a JSON number without a fraction (1, and 1.0 or 1e2 as JSON Schema's "integer" allows; not "1", 1.5
    or true), a date-time an ISO 8601 string (`UtcDatetime`), an enumeration one of its words (`AnyCase`).
    Query parameters are text by nature and keep being parsed from it."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: type[BaseModel], handler: GetCoreSchemaHandler, /) -> CoreSchema:
        return cast(CoreSchema, _integers_take_integral_numbers(handler(source), cls))


class FieldErrorBody(BaseModel):
    field: str = Field(
        description="Where: `body`, `query` or `path`, then the field (`body.password`, `body.items[0].id`).",
        examples=["body.password"],
    )
    message: str = Field(description="What is wrong with it.", examples=["String should have at least 16 characters"])
    type: str = Field(description="The kind of error, for programs (`missing`, `string_too_short` ...).")


class ErrorBody(BaseModel):
    """The one error shape of the API, whatever the status."""

    detail: str = Field(description="What went wrong, one line for a person to read.", examples=["not found"])
    errors: list[FieldErrorBody] = Field(
        default_factory=list,
        description="For an invalid request (422): each field that is wrong and why; empty for other errors.",
    )


class StationCallErrorBody(ErrorBody):
    error_code: str = Field(description="The OCPP CALLERROR code the station answered with.")
    description: str = Field(description="The CALLERROR description the station gave (may be empty).")


class _AnyCase:
    """Pydantic marker behind `AnyCase`: before the enum (or Literal) validates, a string that spells one
    of its values in another case, or with underscores, is replaced by that value."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_before_validator_function(_canonical_spelling(source), handler(source))


def _spelling_key(text: str) -> str:
    return text.casefold().replace("_", "")


def _choices_of(kind: Any) -> list[Any]:
    """The enum's members, or the Literal's strings (of every enum and Literal of a union)."""
    if isinstance(kind, type) and issubclass(kind, Enum):
        return list(kind)
    if get_origin(kind) in (Literal, Union, types.UnionType):
        return [choice for arg in get_args(kind) for choice in ([arg] if isinstance(arg, str) else _choices_of(arg))]
    return []


def _spelling_of(choice: Any) -> str:
    return str(choice.value) if isinstance(choice, Enum) else str(choice)


def _canonical_spelling(kind: Any) -> Callable[[Any], Any]:
    choices: dict[str, Any] = {}
    for choice in _choices_of(kind):
        key = _spelling_key(_spelling_of(choice))
        # Two values that differ only in case would make input ambiguous: refuse to build the model.
        if _spelling_of(choices.setdefault(key, choice)) != _spelling_of(choice):
            raise TypeError(
                f"{kind!r}: {_spelling_of(choices[key])!r} and {_spelling_of(choice)!r} are the same ignoring case"
            )
    if not choices:
        raise TypeError(f"AnyCase needs an enum or a Literal of strings, not {kind!r}")
    # An enum's value is handed on as its member, which a `Strict` body's (strict) enum takes, and anything
    # else is refused here with the message lax validation would give, listing the canonical spellings.
    # A Literal's unknown values go on unchanged, for the Literal's own message (the same).
    has_enum = any(isinstance(choice, Enum) for choice in choices.values())
    spellings = [_spelling_of(choice) for choice in choices.values()]
    expected = " or ".join(part for part in (", ".join(f"{s!r}" for s in spellings[:-1]), f"{spellings[-1]!r}") if part)

    def canonical(value: Any) -> Any:
        found = choices.get(_spelling_key(value)) if isinstance(value, str) else None
        if found is not None:
            return found
        if has_enum:
            raise PydanticCustomError("enum", "Input should be {expected}", {"expected": expected})
        return value

    return canonical


# An enumeration in a request (body field or query parameter): input is matched ignoring case and
# underscores (`soft`, `SOFT`, `Soft`; `on_idle` for `OnIdle`), output and OpenAPI keep the one canonical
# spelling (OCPP's for OCPP words). Clients write what the OCPP specification, our older docs or habit
# taught them; refusing `soft` for `Soft` helps no one. `AnyCase[TokenType] | None`, `list[AnyCase[Literal[...]]]`.
AnyCase = Annotated[T, _AnyCase()]


class StatusInfoBody(BaseModel):
    """Why a station answered as it did (OCPP 2.0.1 StatusInfoType): the one body for it, wherever an
    answer or a result item carries one."""

    reason_code: str = Field(description="The station's reason code (OCPP 2.0.1 reasonCode).", examples=["Busy"])
    additional_info: str | None = Field(default=None, description="The station's further explanation, if any.")

    @classmethod
    def of(cls, info: StatusInfo | None) -> StatusInfoBody | None:
        return None if info is None else cls(reason_code=info.reason_code, additional_info=info.additional_info)


class HealthBody(BaseModel):
    status: str = Field(examples=["ok"])
