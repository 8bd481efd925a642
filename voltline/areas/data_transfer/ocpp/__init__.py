"""The data transfer area's OCPP adapters: one module per version (payload shapes live only here)."""
