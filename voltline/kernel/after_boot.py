"""The work the CSMS does once a station's boot was Accepted and answered: bring its configuration and local
authorization list up to date, and whatever else an area asks for.

The protocol layer publishes the stations area's `StationBootAccepted` only once the BootNotification
answer is on the wire (OCPP forbids the CSMS to send before it). The stations area subscribes first and
cancels what an earlier boot of the station had not finished (a newer boot supersedes it); the areas after
it subscribe and request their step here, so the steps of one boot run one after the other, in area
order, as the system actor. A failing step is logged and does not stop the others (see `StationWork`).

A step must cost nothing for stations it has nothing to do for (a boot storm of 10,000 stations must not
become 20,000 database reads): it decides from what it keeps in memory.
"""

from __future__ import annotations

from voltline.kernel.background import StationWork


class AfterBoot(StationWork):
    """The platform's per-station queue of after-boot steps (one service, found by this type)."""

    def __init__(self) -> None:
        super().__init__("after-boot")
