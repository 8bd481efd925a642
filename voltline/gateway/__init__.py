"""WebSocket server for stations: handshake, identity, authentication, connection registry, liveness."""
