"""Operator REST API (FastAPI): `voltline.api.app.create_api(services, routers)` builds the application."""
