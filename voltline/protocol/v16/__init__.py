"""OCPP 1.6J adapter."""
