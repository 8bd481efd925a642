"""The verdict on a station's request to connect: the gateway asks for it, the stations area decides it.

Neutral types, so that the gateway (which knows no area) and the stations area (which knows no gateway)
agree on them without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Refusal(Enum):
    UNKNOWN_STATION = "unknown station"
    BAD_CREDENTIALS = "missing or wrong credentials"


@dataclass(slots=True, frozen=True)
class TransportSecurity:
    """What the station endpoint can offer for the OCPP security profiles: 2 is Basic auth over TLS, 3 is
    TLS with client certificates; 0 and 1 need no TLS. The gateway owns TLS; the stations area asks this
    record before it registers a station, so that no station is registered for a profile it could not
    connect with (a "profile 2" station on plain ws:// is profile 1 that believes it is encrypted).

    Today's gateway serves plain ws:// only (`PLAIN_WEBSOCKET`). When it serves TLS, the composition root
    describes what it serves from the TLS settings, and profiles 2 (and 3) become registrable."""

    tls: bool = False
    client_certificates: bool = False  # the TLS server verifies station certificates (profile 3)

    def refusal(self, security_profile: int) -> str | None:
        """Why a station of `security_profile` cannot be served here, or None when it can."""
        if security_profile >= 2 and not self.tls:
            return (
                f"security_profile {security_profile} needs TLS (wss://), and TLS is not configured on this "
                "server: use security_profile 1 (Basic auth) or 0"
            )
        if security_profile == 3 and not self.client_certificates:
            return (
                "security_profile 3 needs TLS client certificates, and this server does not verify them: "
                "use security_profile 2 or 1"
            )
        return None


PLAIN_WEBSOCKET = TransportSecurity()


@dataclass(slots=True, frozen=True)
class Admitted:
    station_id: str
    # Whether the station proved who it is; only such a connection may replace a live one.
    authenticated: bool
    # Whether its last boot was Accepted, so a reconnect without a new boot is served at once.
    boot_accepted: bool
