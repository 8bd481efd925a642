"""Version-neutral business services: they know OCPP concepts, never OCPP payload shapes."""
