"""Per-version OCPP adapters: the only code that knows OCPP payload shapes."""
