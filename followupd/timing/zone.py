"""The buyer's timezone, and where we got it from.

Evidence is taken in this order, and the first that gives a zone wins:

1. ``contact``: a timezone set on the contact by the rep;
2. ``learned``: the UTC offsets in the ``Date`` headers of the buyer's own recent mails. Their
   most frequent offset is what the buyer's computer says, which beats any guess from an
   address. An offset is mapped to a zone that has it at those dates: one of the buyer's
   country first (the country disambiguates -05:00 in the US from -05:00 in Peru), else a
   well-known zone with that offset, and the detail says that mails and country disagree;
3. ``country`` / ``phone`` / ``cctld``: the country from the contact field, else from a phone
   number in their signature (``phonenumbers``), else from the ccTLD of their mail domain.
   A country with several zones gets its main business zone unless the phone number's area
   narrows it down, and the detail says the country has several zones;
4. ``default``: the configured default zone.

Everything here is a pure function of the evidence handed in; the caller reads the mails.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from phonenumbers import Leniency, PhoneNumberMatcher
from phonenumbers import timezone as phone_timezone

from followupd.timing.zonedata import (
    COUNTRY_ALIASES,
    all_zones,
    country_names,
    country_zones,
    has_several_offsets,
    offsets_in_year,
    zone_country,
)

ZoneSource = Literal["contact", "learned", "country", "phone", "cctld", "default"]

# ccTLDs that are sold worldwide as generic names (.io start-ups, .co, .me, .tv, .ai): they
# say nothing about where the buyer sits.
GENERIC_CCTLDS = frozenset(
    {"ac", "ai", "cc", "co", "fm", "gg", "io", "la", "me", "nu", "sh", "tk", "to", "tv", "vc", "ws"}
)
_TLD_ALIASES = {"uk": "GB", "su": "RU"}
# "0049 30 ..." is how much of the world writes +49 30 ...; phonenumbers without a home region
# only knows the "+" form.
_DOUBLE_ZERO = re.compile(r"(?<![\d+])00(?=\s?[1-9])")
# Mail servers, not people, often write "+0000": that offset alone does not outweigh a country.
_UTC = timedelta(0)


@dataclass(frozen=True, kw_only=True)
class ZoneChoice:
    """The buyer's zone, the kind of evidence it came from, their country if known, and why."""

    zone: str
    source: ZoneSource
    country: str | None
    detail: str


@dataclass(frozen=True, kw_only=True)
class ZoneEvidence:
    """What is known about where a buyer sits; every field but ``default_zone`` may be empty.

    ``header_dates`` are the ``Date`` headers of the buyer's own mails as aware datetimes that
    keep the header's offset (``email.utils.parsedate_to_datetime``); a "-0000" header, which
    means "offset unknown", comes back naive and is ignored. ``email`` may be an address or a
    bare domain.
    """

    default_zone: str = "UTC"
    zone: str | None = None
    header_dates: tuple[datetime, ...] = ()
    country: str | None = None
    signature: str | None = None
    email: str | None = None
    recent: int = 20


@dataclass(frozen=True, kw_only=True)
class PhoneHint:
    """A phone number found in a text: its country and the zones its area code is in."""

    number: str
    country: str
    zones: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class LearnedOffset:
    """The most frequent offset in the buyer's recent Date headers and the mails showing it."""

    offset: timedelta
    witnesses: tuple[datetime, ...]
    mails: int


def resolve_zone(evidence: ZoneEvidence, *, at: datetime) -> ZoneChoice:
    """The buyer's zone from ``evidence``, as it applies around the instant ``at``."""
    notes: list[str] = []
    country = _country_evidence(evidence, notes)
    if evidence.zone is not None:
        if _valid_zone(evidence.zone):
            cc = country[0] if country else zone_country(evidence.zone)
            return ZoneChoice(
                zone=evidence.zone,
                source="contact",
                country=cc,
                detail=_join("timezone set on the contact", *notes),
            )
        notes.append(f"the contact's timezone {evidence.zone!r} is not an IANA name; ignored")
    learned = learn_offset(evidence.header_dates, recent=evidence.recent)
    if learned is not None:
        choice = _from_offset(learned, country, notes)
        if choice is not None:
            return choice
    if country is not None:
        choice = _from_country(country, phone_hint(evidence.signature or ""), at, notes)
        if choice is not None:
            return choice
    return ZoneChoice(
        zone=evidence.default_zone,
        source="default",
        # The default zone is the admin's guess, not knowledge of the buyer's country: no
        # country's public holidays are assumed from it.
        country=None,
        detail=_join("nothing known about the buyer's location: the configured default", *notes),
    )


def learn_offset(dates: Sequence[datetime], *, recent: int = 20) -> LearnedOffset | None:
    """The most frequent UTC offset among the last ``recent`` dated mails (ties: the latest)."""
    usable = sorted(
        (d for d in dates if d.tzinfo is not None and d.utcoffset() is not None),
        key=lambda d: d.astimezone(UTC),
    )[-recent:]
    if not usable:
        return None
    counts = Counter(_offset(d) for d in usable)
    last_seen = {_offset(d): i for i, d in enumerate(usable)}
    best = max(counts, key=lambda o: (counts[o], last_seen[o]))
    witnesses = tuple(d for d in usable if _offset(d) == best)
    return LearnedOffset(offset=best, witnesses=witnesses, mails=len(usable))


def phone_hint(text: str) -> PhoneHint | None:
    """The first international phone number in ``text``: its country and its area's zones."""
    for match in PhoneNumberMatcher(_DOUBLE_ZERO.sub("+", text), None, leniency=Leniency.POSSIBLE):
        number = match.number
        region = phonenumbers.region_code_for_number(number)
        region = region or phonenumbers.region_code_for_country_code(number.country_code or 0)
        if region not in country_names():
            continue
        zones = tuple(z for z in phone_timezone.time_zones_for_number(number) if z != "Etc/Unknown")
        return PhoneHint(number=match.raw_string.strip(), country=region, zones=zones)
    return None


def country_from_domain(email: str) -> str | None:
    """The country of the ccTLD of ``email``'s domain; None for .com, .io and the like."""
    domain = email.rpartition("@")[2].strip().rstrip(".").lower()
    tld = domain.rpartition(".")[2]
    if len(tld) != 2 or tld in GENERIC_CCTLDS:
        return None
    code = _TLD_ALIASES.get(tld, tld.upper())
    return code if code in country_names() else None


def format_offset(offset: timedelta) -> str:
    """``+05:30`` style."""
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _country_evidence(evidence: ZoneEvidence, notes: list[str]) -> tuple[str, ZoneSource] | None:
    """The buyer's country and where it came from: contact field, phone, then ccTLD."""
    if evidence.country:
        code = evidence.country.strip().upper()
        code = COUNTRY_ALIASES.get(code, code)
        if code in country_names():
            return code, "country"
        notes.append(f"the contact's country {evidence.country!r} is not an ISO code; ignored")
    hint = phone_hint(evidence.signature or "")
    if hint is not None:
        return hint.country, "phone"
    from_domain = country_from_domain(evidence.email or "")
    return (from_domain, "cctld") if from_domain is not None else None


def _from_offset(
    learned: LearnedOffset, country: tuple[str, ZoneSource] | None, notes: list[str]
) -> ZoneChoice | None:
    shown = format_offset(learned.offset)
    seen = (
        f"the Date headers of their last {learned.mails} mail(s) show {shown} most often "
        f"({len(learned.witnesses)}×)"
    )
    cc = country[0] if country else None
    home = [z for z in country_zones(cc) if _fits(z, learned)] if cc is not None else []
    if cc is not None and home:
        several = " (the country has several zones; the offset picks this one)"
        narrowed = several if has_several_offsets(cc, _year(learned)) else ""
        return ZoneChoice(
            zone=home[0],
            source="learned",
            country=cc,
            detail=_join(f"{seen}, which is {home[0]} in {cc}{narrowed}", *notes),
        )
    if cc is not None and learned.offset == _UTC:
        notes.append(
            f"{seen}, but no zone of {cc} has that offset then: taken as a mail server's UTC "
            "time, not the buyer's clock"
        )
        return None
    others = [z for z in all_zones() if _fits(z, learned)]
    if not others:
        notes.append(f"{seen}, which no timezone has at those dates; ignored")
        return None
    zone = others[0]
    if country is None:
        why = f"and {zone} is a zone with that offset"
    else:
        why = (
            f"which no zone of {country[0]} (from the {_SOURCE_NAMES[country[1]]}) has then; "
            f"the mails are trusted over that, and {zone} stands for that offset"
        )
    return ZoneChoice(
        zone=zone,
        source="learned",
        country=zone_country(zone),
        detail=_join(f"{seen}, {why}", *notes),
    )


def _from_country(
    country: tuple[str, ZoneSource],
    phone: PhoneHint | None,
    at: datetime,
    notes: list[str],
) -> ZoneChoice | None:
    cc, source = country
    zones = country_zones(cc)
    if not zones:
        notes.append(f"no timezone is known for country {cc}")
        return None
    origin = f"country {cc} from the {_SOURCE_NAMES[source]}"
    if not has_several_offsets(cc, at.year):
        return ZoneChoice(zone=zones[0], source=source, country=cc, detail=_join(origin, *notes))
    narrowed = _phone_zone(cc, phone, at.year) if phone is not None else None
    if narrowed is not None and phone is not None:
        zone, exact = narrowed
        where = f"puts them in {zone}" if exact else f"narrows it to zones led by {zone}"
        return ZoneChoice(
            zone=zone,
            source="phone",
            country=cc,
            detail=_join(
                f"{origin}; the country has several zones, and the phone number "
                f"{phone.number} {where}",
                *notes,
            ),
        )
    return ZoneChoice(
        zone=zones[0],
        source=source,
        country=cc,
        detail=_join(
            f"{origin}; the country has several zones, nothing narrows it down, so its main "
            f"business zone {zones[0]} is assumed",
            *notes,
        ),
    )


def _phone_zone(country: str, phone: PhoneHint, year: int) -> tuple[str, bool] | None:
    """The zone a phone number's area points to, if it narrows the country down.

    The flag says whether the area has one clock (True) or still spans several (False).
    """
    if phone.country != country:
        return None
    zones = country_zones(country)
    matched = [z for z in zones if z in phone.zones]
    # Older zone names (links) are matched to the country's zone that keeps the same clock.
    for name in phone.zones:
        if name not in zones and _valid_zone(name):
            clock = offsets_in_year(name, year)
            matched += [z for z in zones if offsets_in_year(z, year) == clock]
    clocks = {offsets_in_year(z, year) for z in matched}
    all_clocks = {offsets_in_year(z, year) for z in zones}
    if not matched or len(clocks) >= len(all_clocks):
        return None
    return min(matched, key=zones.index), len(clocks) == 1


_SOURCE_NAMES: dict[ZoneSource, str] = {
    "contact": "contact",
    "learned": "mails",
    "country": "contact's country field",
    "phone": "phone number in their signature",
    "cctld": "ccTLD of their mail domain",
    "default": "configuration",
}


def _fits(zone: str, learned: LearnedOffset) -> bool:
    tz = ZoneInfo(zone)
    return all(d.astimezone(tz).utcoffset() == learned.offset for d in learned.witnesses)


def _offset(d: datetime) -> timedelta:
    offset = d.utcoffset()
    return offset if offset is not None else _UTC


def _year(learned: LearnedOffset) -> int:
    return learned.witnesses[-1].astimezone(UTC).year


def _valid_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _join(first: str, *more: str) -> str:
    return "; ".join((first, *more))
