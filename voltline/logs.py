"""Logging set-up for the `voltline` command: one line per event, never one per OCPP message at INFO."""

from __future__ import annotations

import logging


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    # websockets logs every failed handshake at INFO with a traceback-ish message; ours are enough.
    logging.getLogger("websockets").setLevel(logging.WARNING)
