"""Load-management settings (VOLTLINE_LOAD_MANAGEMENT_*)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class LoadManagementSettings(BaseModel):
    # The stack level of the controller's profiles (lowered to the station's maximum where that is lower):
    # above an operator's usual TxDefault/TxProfile levels, so the controller's limit is the one in force.
    load_management_stack_level: int = Field(default=8, ge=0, le=100)
    # Events arriving within this long are handled by one reallocation of their site.
    load_management_debounce_s: float = Field(default=0.1, ge=0, le=10)
    # A site reallocates at most this often (from the start of one reallocation to the next): a burst of events
    # is handled by one reallocation. Freed capacity reaches the others within this and a round trip.
    load_management_min_interval_s: float = Field(default=0.5, ge=0, le=10)
    # A higher limit goes out once the capacity behind it has stayed free this long (lower ones go at once, and
    # a car that had nothing gets its share at once): a car leaving and the next one starting straight after do
    # not raise and then lower every other car of the site.
    load_management_raise_settle_s: float = Field(default=0.5, ge=0, le=10)
    # A small higher limit (less than 2 A more than the EVSE has: raising every car of a site by 1 A is a profile
    # per car for 1 A each) goes out only once the capacity behind it has stayed free this long: a vacancy of a
    # few seconds between two sessions does not raise and then lower every other car, and a lasting one is
    # still given out.
    load_management_small_raise_settle_s: float = Field(default=30.0, ge=0, le=3600)
    # A station that connects without the controller's 0 A default is given it this long after (in batches), so
    # the deliveries of a reconnect storm do not compete with its handshakes and boots. A transaction started
    # meanwhile is given its share by the reallocation its start causes, as any other.
    load_management_default_delay_s: float = Field(default=1.0, ge=0, le=60)
    # A site reallocates for what its meters show (an EV using less, or ramping up) at most this often.
    load_management_meter_interval_s: float = Field(default=5.0, ge=0.1, le=3600)
    # Windows, demand-response events and plans are looked at this often.
    load_management_tick_s: float = Field(default=1.0, ge=0.05, le=60)
    # A measured base load older than this is not trusted: the site's fixed base load is used instead.
    load_management_base_load_max_age_s: float = Field(default=300.0, gt=0)
    # The allocation history is kept this long.
    load_management_history_days: int = Field(default=30, ge=1, le=3650)
    # A plan's next step is allocated this long before it begins, so others are lowered first.
    load_management_plan_lead_s: float = Field(default=30.0, ge=0, le=3600)
