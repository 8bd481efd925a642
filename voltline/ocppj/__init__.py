"""OCPP-J RPC engine: frames, per-version error codes, compiled OCA schema validators, and the
per-connection session. Knows nothing about what the actions mean."""

from voltline.ocppj.counters import OTHER_CODE, UNKNOWN_ACTION, UNREADABLE, MessageCounts, VersionCounts
from voltline.ocppj.errors import (
    CallErrorReceived,
    CallQueueFull,
    CallTimeout,
    ErrorKind,
    FrameError,
    InvalidCall,
    InvalidPayload,
    OcppError,
    SessionClosed,
    error_code,
    known_error_codes,
)
from voltline.ocppj.frames import (
    Call,
    CallError,
    CallResult,
    Frame,
    MessageType,
    decode_frame,
    encode_call,
    encode_error,
    encode_result,
)
from voltline.ocppj.schemas import SchemaRegistry, shared_registry
from voltline.ocppj.session import Dispatcher, FrameObserver, NoAnswer, RpcSession, Send
from voltline.ocppj.versions import OcppVersion, schema_folder

__all__ = [
    "OTHER_CODE",
    "UNKNOWN_ACTION",
    "UNREADABLE",
    "Call",
    "CallError",
    "CallErrorReceived",
    "CallQueueFull",
    "CallResult",
    "CallTimeout",
    "Dispatcher",
    "ErrorKind",
    "Frame",
    "FrameError",
    "FrameObserver",
    "InvalidCall",
    "InvalidPayload",
    "MessageCounts",
    "MessageType",
    "NoAnswer",
    "OcppError",
    "OcppVersion",
    "RpcSession",
    "SchemaRegistry",
    "Send",
    "SessionClosed",
    "VersionCounts",
    "decode_frame",
    "encode_call",
    "encode_error",
    "encode_result",
    "error_code",
    "known_error_codes",
    "schema_folder",
    "shared_registry",
]
