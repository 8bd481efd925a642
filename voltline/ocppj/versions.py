"""OCPP-J protocol versions this engine speaks (the type lives in the kernel, shared with the areas)."""

from voltline.kernel.versions import OcppVersion, schema_folder

__all__ = ["OcppVersion", "schema_folder"]
