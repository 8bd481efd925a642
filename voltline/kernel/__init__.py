"""Area-neutral core every layer may use: errors, clock, identifiers, protocol versions, commands and the
station link port, the storage contract, the service registry, the area manifest type, live events.
"""
