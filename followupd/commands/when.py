"""``followupd when``: when a follow-up to a buyer would be sent, and why.

Resolves the buyer's timezone from what the command line says about them (``--tz``, Date
headers of their mails, ``--country``, a signature with a phone number, the address's ccTLD)
and picks the send slot exactly as the daemon does; prints it in the buyer's and the rep's
time with the reasons, or as one JSON object with ``--json``.

``--after`` is the step's earliest moment and, unless ``--now`` is given, also the planning
clock (a what-if: "if this step came due then"); without it both are the current time. A
``--now`` later than ``--after`` shows how a slot missed during downtime is picked again.
Without ``--config`` the built-in defaults apply and the rep's and default zone are UTC;
with it, working hours, ``[timing]``, the seller's closures, the default zone and the first
mailbox (its rep_timezone, daily limit and gap) come from the file. A date or time without an
offset is read in the rep's zone.

Bad input (an unknown zone or country, a date that does not parse) is reported in one line
with exit code 2.
"""

from __future__ import annotations

import json
import re
import sys
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from followupd.clock import Clock, SystemClock
from followupd.config import Settings, load_settings
from followupd.errors import FollowupdError
from followupd.timing import (
    SlotChoice,
    SlotPolicy,
    SlotRequest,
    ZoneChoice,
    ZoneEvidence,
    check_zone,
    closures_from_settings,
    normalise_country,
    parse_hours,
    pick_slot,
    policy_from_settings,
    resolve_zone,
)

EXIT_OK, EXIT_USAGE = 0, 2
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SLACK = re.compile(r"(\d+)\s*([wdhm])")
_UNITS = {
    "w": timedelta(weeks=1),
    "d": timedelta(days=1),
    "h": timedelta(hours=1),
    "m": timedelta(minutes=1),
}


@dataclass(frozen=True, kw_only=True)
class WhenRequest:
    """The command line of ``followupd when``, as given."""

    to: str
    country: str | None = None
    tz: str | None = None
    after: str | None = None
    now: str | None = None
    slack: str = "0"
    seed: int | None = None
    signature: str | None = None
    header_dates: tuple[str, ...] = ()
    rep_tz: str | None = None
    hours: str | None = None
    config: Path | None = None
    as_json: bool = False


def when(request: WhenRequest, *, clock: Clock | None = None) -> int:
    """Print the slot for ``request``; 0, or 2 for bad input (config errors propagate)."""
    settings = load_settings(request.config) if request.config is not None else None
    try:
        slot, zone = _slot_request(request, settings, clock or SystemClock())
    except FollowupdError as exc:
        print(f"followupd: {exc}", file=sys.stderr)
        return EXIT_USAGE
    # Nothing free within the horizon is not a usage error: it propagates (exit 1).
    choice = pick_slot(slot)
    if request.as_json:
        document = _as_json(zone, choice, slot)
        print(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        print(_as_text(zone, choice, slot.mailbox_zone))
    return EXIT_OK


def _slot_request(
    request: WhenRequest, settings: Settings | None, clock: Clock
) -> tuple[SlotRequest, ZoneChoice]:
    """The picker's request and the buyer's zone; FollowupdError for bad input."""
    if not _ADDRESS.match(request.to):
        raise FollowupdError(f"--to {request.to!r} is not a mail address")
    country = normalise_country(request.country) if request.country else None
    explicit_zone = check_zone(request.tz) if request.tz else None
    default_zone = settings.daemon.default_timezone if settings else "UTC"
    mailbox = settings.mailbox[0] if settings else None
    rep_zone = check_zone(request.rep_tz) if request.rep_tz else None
    rep_zone = rep_zone or (mailbox.rep_timezone if mailbox else default_zone)
    after = _instant("--after", request.after, rep_zone) if request.after else clock.now()
    if request.now:
        now = _instant("--now", request.now, rep_zone)
    else:
        now = after if request.after else clock.now()
    slack = parse_slack(request.slack)
    evidence = ZoneEvidence(
        default_zone=default_zone,
        zone=explicit_zone,
        header_dates=tuple(_header_date(text) for text in request.header_dates),
        country=country,
        signature=request.signature,
        email=request.to,
    )
    zone = resolve_zone(evidence, at=after)
    own_hours = parse_hours(request.hours) if request.hours else None
    if settings is not None:
        policy = policy_from_settings(
            settings, country=zone.country, mailbox=mailbox, contact_hours=own_hours
        )
        closures = closures_from_settings(settings)
    elif own_hours is not None:
        policy, closures = SlotPolicy(day_start=own_hours[0], day_end=own_hours[1]), ()
    else:
        policy, closures = SlotPolicy(), ()
    seed = request.seed
    if seed is None:
        # The same question gives the same answer; another buyer or moment spreads out.
        seed = zlib.crc32(f"{request.to.lower()}|{after.isoformat()}".encode())
    slot = SlotRequest(
        earliest=after,
        now=now,
        zone=zone.zone,
        country=zone.country,
        slack=slack,
        seed=seed,
        policy=policy,
        mailbox_zone=rep_zone,
        closures=closures,
    )
    return slot, zone


def parse_slack(text: str) -> timedelta:
    """``3d``, ``36h``, ``1w2d``, ``90m`` or a bare number of days, as a duration."""
    cleaned = text.strip().lower()
    if cleaned.isdigit():
        return timedelta(days=int(cleaned))
    parts = _SLACK.findall(cleaned)
    if not cleaned or "".join(n + u for n, u in parts) != cleaned.replace(" ", ""):
        raise FollowupdError(f"--slack {text!r}: expected a duration such as 3d, 36h, 1w2d or 90m")
    total = timedelta(0)
    for number, unit in parts:
        total += int(number) * _UNITS[unit]
    return total


def _instant(option: str, text: str, zone: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise FollowupdError(
            f"{option} {text!r}: expected an ISO 8601 date and time such as 2026-12-23T10:00+08:00"
        ) from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(zone))
    return value


def _header_date(text: str) -> datetime:
    try:
        value = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError) as exc:
        raise FollowupdError(
            f"--date-header {text!r}: expected an RFC 5322 date such as "
            "'Tue, 02 Jun 2026 10:15:00 +0200'"
        ) from exc
    return value


def _as_json(zone: ZoneChoice, choice: SlotChoice, slot: SlotRequest) -> dict[str, object]:
    rep_zone = slot.mailbox_zone
    return {
        "send_at_utc": choice.send_at_utc.isoformat(),
        "buyer_local": choice.local.isoformat(),
        "rep_local": choice.send_at_utc.astimezone(ZoneInfo(rep_zone)).isoformat(),
        "timezone": zone.zone,
        "timezone_source": zone.source,
        "timezone_detail": zone.detail,
        "country": zone.country,
        "rep_timezone": rep_zone,
        "within_slack": choice.within_slack,
        "seed": slot.seed,
        "reasons": list(choice.reasons),
    }


def _as_text(zone: ZoneChoice, choice: SlotChoice, rep_zone: str) -> str:
    rep = choice.send_at_utc.astimezone(ZoneInfo(rep_zone))
    lines: Sequence[str] = (
        f"buyer:    {choice.local:%a %Y-%m-%d %H:%M %Z} ({zone.zone})",
        f"rep:      {rep:%a %Y-%m-%d %H:%M %Z} ({rep_zone})",
        f"UTC:      {choice.send_at_utc:%Y-%m-%d %H:%M}",
        f"timezone: {zone.zone} [{zone.source}] {zone.detail}",
        f"country:  {zone.country or 'unknown'}",
        "why:",
        choice.explain(),
    )
    return "\n".join(lines)
