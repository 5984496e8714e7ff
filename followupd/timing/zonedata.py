"""Which zones each country has, and which of them to assume when nothing says more.

The country ↔ zone table is tzdata's own ``zone.tab`` (one row per zone, with its country);
country codes are checked against its ``iso3166.tab`` plus the few codes the ``holidays``
library knows that ISO has not assigned (Kosovo). Both files ship with the ``tzdata`` package,
so the answer does not depend on the host's zoneinfo.

``zone.tab`` lists a country's zones in no useful order for us (Russia starts with
Kaliningrad), so the main business zones of the countries that span several offsets are a
small table here, most business first.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from followupd.errors import FollowupdError

# The zone to assume first for a country with several, then the others worth trying in order
# (a learned offset or a phone prefix picks among them). Countries left out use zone.tab's
# first zone, which is their capital or main city (Europe/Madrid, Asia/Shanghai, ...).
MAIN_ZONES: dict[str, tuple[str, ...]] = {
    "US": (
        "America/New_York",
        "America/Chicago",
        "America/Los_Angeles",
        "America/Denver",
        "America/Phoenix",
        "America/Anchorage",
        "Pacific/Honolulu",
    ),
    "CA": (
        "America/Toronto",
        "America/Vancouver",
        "America/Edmonton",
        "America/Winnipeg",
        "America/Halifax",
        "America/Regina",
        "America/St_Johns",
    ),
    "MX": (
        "America/Mexico_City",
        "America/Monterrey",
        "America/Tijuana",
        "America/Cancun",
        "America/Hermosillo",
        "America/Chihuahua",
        "America/Mazatlan",
    ),
    "BR": (
        "America/Sao_Paulo",
        "America/Manaus",
        "America/Fortaleza",
        "America/Recife",
        "America/Bahia",
        "America/Belem",
        "America/Cuiaba",
        "America/Rio_Branco",
        "America/Noronha",
    ),
    "RU": (
        "Europe/Moscow",
        "Asia/Yekaterinburg",
        "Asia/Novosibirsk",
        "Asia/Krasnoyarsk",
        "Europe/Samara",
        "Asia/Omsk",
        "Asia/Irkutsk",
        "Asia/Vladivostok",
        "Europe/Kaliningrad",
        "Asia/Yakutsk",
        "Asia/Magadan",
        "Asia/Kamchatka",
    ),
    "AU": (
        "Australia/Sydney",
        "Australia/Melbourne",
        "Australia/Brisbane",
        "Australia/Perth",
        "Australia/Adelaide",
        "Australia/Hobart",
        "Australia/Darwin",
    ),
    "ID": ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"),
    "KZ": ("Asia/Almaty",),
    "UA": ("Europe/Kyiv",),
    "UZ": ("Asia/Tashkent",),
    "CD": ("Africa/Kinshasa", "Africa/Lubumbashi"),
    "PS": ("Asia/Hebron", "Asia/Gaza"),
    "FM": ("Pacific/Pohnpei",),
    "XK": ("Europe/Belgrade",),
}

# When the Date headers show an offset that no zone of the buyer's country has, the learned
# offset still wins, and one of these hubs with that offset stands for it (else zone.tab's
# first zone with it).
REPRESENTATIVE_ZONES: tuple[str, ...] = (
    "Europe/London",
    "Europe/Berlin",
    "Europe/Istanbul",
    "Europe/Moscow",
    "Asia/Dubai",
    "Asia/Karachi",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Dhaka",
    "Asia/Bangkok",
    "Asia/Shanghai",
    "Asia/Tokyo",
    "Australia/Adelaide",
    "Australia/Sydney",
    "Pacific/Auckland",
    "America/Sao_Paulo",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Mexico_City",
    "America/Bogota",
    "America/Santiago",
    "America/Halifax",
    "America/St_Johns",
    "Africa/Lagos",
    "Africa/Johannesburg",
    "Africa/Cairo",
    "Africa/Nairobi",
    "Asia/Riyadh",
    "Asia/Tehran",
    "Asia/Kabul",
    "Asia/Yangon",
    "Pacific/Honolulu",
    "America/Anchorage",
    "Atlantic/Azores",
)

# Codes that mail and people use but ISO assigns otherwise or not at all.
COUNTRY_ALIASES = {"UK": "GB", "EL": "GR"}
# Codes the holidays library knows without an ISO assignment.
_EXTRA_COUNTRIES = frozenset({"XK"})


@functools.cache
def _tzdata_table(name: str) -> tuple[tuple[str, ...], ...]:
    text = resources.files("tzdata.zoneinfo").joinpath(name).read_text("utf-8")
    rows = (line.split("\t") for line in text.splitlines() if line and not line.startswith("#"))
    return tuple(tuple(row) for row in rows)


@functools.cache
def country_names() -> dict[str, str]:
    """ISO 3166 alpha-2 code → English name, for every code a buyer's country may have."""
    names = {row[0]: row[1] for row in _tzdata_table("iso3166.tab")}
    names.update({code: code for code in _EXTRA_COUNTRIES})
    return names


@functools.cache
def _zone_rows() -> tuple[tuple[str, str], ...]:
    return tuple((row[0], row[2]) for row in _tzdata_table("zone.tab"))


@functools.cache
def country_zones(country: str) -> tuple[str, ...]:
    """The zones of ``country``, main business zone first (empty for an unknown code)."""
    listed = [zone for cc, zone in _zone_rows() if cc == country]
    preferred = [z for z in MAIN_ZONES.get(country, ()) if z in listed or not listed]
    return tuple(dict.fromkeys([*preferred, *listed]))


@functools.cache
def zone_country(zone: str) -> str | None:
    """The country whose zone ``zone`` is (None for Etc/UTC, CET, oceans and the like).

    Old names (US/Eastern, Asia/Calcutta) are links in tzdata: they are matched to the
    country whose listed zone has the very same data, if exactly one country does.
    """
    for cc, name in _zone_rows():
        if name == zone:
            return cc
    for cc, zones in MAIN_ZONES.items():
        if zone in zones:
            return cc
    if "/" not in zone or zone.startswith("Etc/"):
        return None
    data = _zone_bytes(zone)
    same = {cc for cc, name in _zone_rows() if data is not None and _zone_bytes(name) == data}
    return same.pop() if len(same) == 1 else None


@functools.cache
def _zone_bytes(zone: str) -> bytes | None:
    try:
        return resources.files("tzdata.zoneinfo").joinpath(*zone.split("/")).read_bytes()
    except (OSError, ValueError):
        return None


@functools.cache
def all_zones() -> tuple[str, ...]:
    """Every zone a country has, representative hubs first: the candidates for an offset."""
    listed = [zone for _, zone in _zone_rows()]
    return tuple(dict.fromkeys([*REPRESENTATIVE_ZONES, *listed]))


def normalise_country(text: str) -> str:
    """``text`` as an upper-case ISO 3166 alpha-2 code; FollowupdError if it is not one."""
    code = text.strip().upper()
    code = COUNTRY_ALIASES.get(code, code)
    if code not in country_names():
        raise FollowupdError(
            f"unknown country {text!r}: expected an ISO 3166 two-letter code such as DE, US, CN"
        )
    return code


def check_zone(name: str) -> str:
    """``name`` if it is an IANA timezone; FollowupdError if not."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise FollowupdError(
            f"unknown timezone {name!r}: expected an IANA name such as Europe/Berlin"
        ) from exc
    return name


def offsets_in_year(zone: str, year: int) -> frozenset[timedelta]:
    """The UTC offsets ``zone`` uses in ``year`` (sampled every two weeks: enough for DST)."""
    tz = ZoneInfo(zone)
    start = datetime(year, 1, 1, tzinfo=UTC)
    found = set()
    for fortnight in range(27):
        offset = (start + timedelta(days=14 * fortnight)).astimezone(tz).utcoffset()
        if offset is not None:
            found.add(offset)
    return frozenset(found)


def has_several_offsets(country: str, year: int) -> bool:
    """Whether ``country``'s zones disagree on the time in ``year`` (US yes, Germany no)."""
    seen = {offsets_in_year(zone, year) for zone in country_zones(country)}
    return len(seen) > 1
