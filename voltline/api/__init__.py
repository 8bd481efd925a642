"""Operator REST API (FastAPI): `create_api(services)` builds the application."""

from voltline.api.app import create_api

__all__ = ["create_api"]
