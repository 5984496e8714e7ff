"""When a follow-up goes out: the buyer's timezone with its provenance, and the send slot.

Two pure entry points over plain data, for the daemon and for ``followupd when``:

- :func:`resolve_zone` turns what is known about a buyer (a zone on the contact, the Date
  headers of their mails, a country, a signature, an address) into a :class:`ZoneChoice`;
- :func:`pick_slot` turns a :class:`SlotRequest` (earliest moment, slack, zone, country,
  the mailbox's schedule, an injected ``now`` and a seed) into a :class:`SlotChoice` with
  its reasons.

:func:`policy_from_settings` and :func:`closures_from_settings` build the policy and the
seller's closures from the configuration.
"""

from followupd.timing.calendar import Closure, day_off_reason, public_calendar
from followupd.timing.policy import SlotPolicy, format_hours, parse_hours
from followupd.timing.settings import closures_from_settings, policy_from_settings
from followupd.timing.slots import SlotChoice, SlotRequest, pick_slot, slot_problems
from followupd.timing.zone import (
    PhoneHint,
    ZoneChoice,
    ZoneEvidence,
    ZoneSource,
    country_from_domain,
    learn_offset,
    phone_hint,
    resolve_zone,
)
from followupd.timing.zonedata import check_zone, country_zones, normalise_country

__all__ = [
    "Closure",
    "PhoneHint",
    "SlotChoice",
    "SlotPolicy",
    "SlotRequest",
    "ZoneChoice",
    "ZoneEvidence",
    "ZoneSource",
    "check_zone",
    "closures_from_settings",
    "country_from_domain",
    "country_zones",
    "day_off_reason",
    "format_hours",
    "learn_offset",
    "normalise_country",
    "parse_hours",
    "phone_hint",
    "pick_slot",
    "policy_from_settings",
    "public_calendar",
    "resolve_zone",
    "slot_problems",
]
