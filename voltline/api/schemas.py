"""Request and response bodies of the operator REST API.

These pydantic models are the API's public contract (they make up /openapi.json); domain records are
mapped onto them explicitly so that nothing internal, such as a station's password hash, can leak.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from datetime import UTC, datetime
from enum import Enum
from typing import Annotated, Any, Literal, TypeVar, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, GetCoreSchemaHandler
from pydantic_core import core_schema

from voltline.kernel.commands import StatusInfo

# Printable characters only: identifiers end up in OCPP frames and log lines, where control characters
# (and NUL bytes, which some databases refuse) have no business.
PRINTABLE = r"^[^\x00-\x1f\x7f]+$"
MAX_DB_INT = 2**63 - 1


def as_utc(value: datetime) -> datetime:
    """Read a datetime without a UTC offset as UTC, so comparisons with stored times are well defined."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDatetime = Annotated[datetime, AfterValidator(as_utc)]
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


class Strict(BaseModel):
    """Request bodies reject unknown fields, so a typo is an error rather than a silent no-op."""

    model_config = ConfigDict(extra="forbid")


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


T = TypeVar("T")


class _AnyCase:
    """Pydantic marker behind `AnyCase`: before the enum (or Literal) validates, a string that spells one
    of its values in another case, or with underscores, is replaced by that value."""

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        return core_schema.no_info_before_validator_function(_canonical_spelling(source), handler(source))


def _spelling_key(text: str) -> str:
    return text.casefold().replace("_", "")


def _values_of(kind: Any) -> list[str]:
    if isinstance(kind, type) and issubclass(kind, Enum):
        return [str(member.value) for member in kind]
    if get_origin(kind) in (Literal, Union, types.UnionType):
        return [value for arg in get_args(kind) for value in ([arg] if isinstance(arg, str) else _values_of(arg))]
    return []


def _canonical_spelling(kind: Any) -> Callable[[Any], Any]:
    spellings: dict[str, str] = {}
    for value in _values_of(kind):
        key = _spelling_key(value)
        # Two values that differ only in case would make input ambiguous: refuse to build the model.
        if spellings.setdefault(key, value) != value:
            raise TypeError(f"{kind!r}: {spellings[key]!r} and {value!r} are the same ignoring case")
    if not spellings:
        raise TypeError(f"AnyCase needs an enum or a Literal of strings, not {kind!r}")

    def canonical(value: Any) -> Any:
        # Anything else (an unknown word, a number) goes on unchanged, for the enum's own error message,
        # which lists the canonical spellings.
        return spellings.get(_spelling_key(value), value) if isinstance(value, str) else value

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
