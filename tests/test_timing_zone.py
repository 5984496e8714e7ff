"""The buyer's timezone and its provenance: contact, learned offsets, country, phone, ccTLD."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from followupd.errors import FollowupdError
from followupd.timing import (
    ZoneEvidence,
    country_from_domain,
    country_zones,
    learn_offset,
    normalise_country,
    phone_hint,
    resolve_zone,
)
from followupd.timing.zonedata import all_zones

JUNE = datetime(2026, 6, 10, tzinfo=UTC)
JANUARY = datetime(2026, 1, 14, tzinfo=UTC)


def headers(offset_hours: float, *days: datetime) -> tuple[datetime, ...]:
    """Date headers as parsedate_to_datetime gives them: aware, with the header's offset."""
    tz = timezone(timedelta(hours=offset_hours))
    return tuple(d.astimezone(tz) for d in days)


def weekdays(start: datetime, n: int) -> list[datetime]:
    return [start + timedelta(days=i, hours=9) for i in range(n)]


def test_a_zone_on_the_contact_wins_over_everything() -> None:
    choice = resolve_zone(
        ZoneEvidence(
            zone="Asia/Kolkata",
            header_dates=headers(2, *weekdays(JUNE, 5)),
            country="DE",
            email="buyer@example.de",
        ),
        at=JUNE,
    )
    assert (choice.zone, choice.source, choice.country) == ("Asia/Kolkata", "contact", "DE")
    # Without a country the zone's own country is assumed, for the holidays.
    alone = resolve_zone(ZoneEvidence(zone="Asia/Kolkata", email="b@gmail.com"), at=JUNE)
    assert alone.country == "IN"
    # An old name (a tzdata link) still tells the country.
    linked = resolve_zone(ZoneEvidence(zone="US/Eastern", email="b@gmail.com"), at=JUNE)
    assert (linked.zone, linked.country) == ("US/Eastern", "US")


def test_date_headers_reveal_a_zone_other_than_the_cctld() -> None:
    # A .co.uk buyer whose mails say +02:00 in June sits on the continent, not in London.
    choice = resolve_zone(
        ZoneEvidence(email="anna@importer.co.uk", header_dates=headers(2, *weekdays(JUNE, 6))),
        at=JUNE,
    )
    assert choice.source == "learned"
    assert choice.zone != "Europe/London"
    assert JUNE.astimezone(ZoneInfo(choice.zone)).utcoffset() == timedelta(hours=2)
    assert "GB" in choice.detail and "+02:00" in choice.detail
    # The same buyer writing +01:00 in June is simply in London.
    london = resolve_zone(
        ZoneEvidence(email="anna@importer.co.uk", header_dates=headers(1, *weekdays(JUNE, 6))),
        at=JUNE,
    )
    assert (london.zone, london.source, london.country) == ("Europe/London", "learned", "GB")


def test_the_country_disambiguates_an_offset_and_dst_is_respected() -> None:
    us = ZoneEvidence(country="US", header_dates=headers(-5, *weekdays(JANUARY, 4)))
    assert resolve_zone(us, at=JANUARY).zone == "America/New_York"
    summer = ZoneEvidence(country="US", header_dates=headers(-5, *weekdays(JUNE, 4)))
    choice = resolve_zone(summer, at=JUNE)
    assert choice.zone == "America/Chicago" and "several zones" in choice.detail
    # -05:00 in winter without a country: New York stands for it.
    anywhere = ZoneEvidence(email="b@gmail.com", header_dates=headers(-5, *weekdays(JANUARY, 4)))
    assert resolve_zone(anywhere, at=JANUARY).zone == "America/New_York"


def test_the_most_frequent_recent_offset_wins_and_unknown_offsets_are_ignored() -> None:
    dates = (
        *headers(8, *weekdays(JUNE, 3)),
        *headers(3, *weekdays(JUNE + timedelta(days=3), 2)),  # a trip
        datetime(2026, 6, 20, 9, 0),  # "-0000": offset unknown, comes back naive
    )
    learned = learn_offset(dates)
    assert learned is not None and learned.offset == timedelta(hours=8) and learned.mails == 5
    # Only the last ``recent`` mails count: the buyer moved.
    assert learn_offset(dates, recent=2) is not None
    assert learn_offset(dates, recent=2).offset == timedelta(hours=3)  # type: ignore[union-attr]
    # A tie goes to the offset seen last.
    tie = (*headers(1, JUNE), *headers(2, JUNE + timedelta(days=1)))
    assert learn_offset(tie).offset == timedelta(hours=2)  # type: ignore[union-attr]
    assert learn_offset([datetime(2026, 6, 1)]) is None


def test_plus_zero_from_a_mail_server_does_not_override_a_country() -> None:
    choice = resolve_zone(
        ZoneEvidence(email="b@firma.de", header_dates=headers(0, *weekdays(JANUARY, 5))),
        at=JANUARY,
    )
    assert (choice.zone, choice.source) == ("Europe/Berlin", "cctld")
    assert "mail server" in choice.detail


def test_country_field_then_phone_then_cctld_then_default() -> None:
    evidence = ZoneEvidence(
        country="br", signature="Tel. +1 212 555 0100", email="b@firma.de", default_zone="UTC"
    )
    choice = resolve_zone(evidence, at=JUNE)
    assert (choice.zone, choice.source, choice.country) == ("America/Sao_Paulo", "country", "BR")
    assert "several zones" in choice.detail
    phone = resolve_zone(ZoneEvidence(signature="Mob 0086 574 5555 0101", email="b@x.de"), at=JUNE)
    assert (phone.zone, phone.source, phone.country) == ("Asia/Shanghai", "phone", "CN")
    cctld = resolve_zone(ZoneEvidence(email="b@firma.es"), at=JUNE)
    assert (cctld.zone, cctld.source, cctld.country) == ("Europe/Madrid", "cctld", "ES")
    default = resolve_zone(
        ZoneEvidence(email="b@startup.io", default_zone="Europe/Berlin"), at=JUNE
    )
    assert (default.zone, default.source, default.country) == ("Europe/Berlin", "default", None)


def test_several_zones_take_the_main_one_unless_a_phone_area_narrows_it() -> None:
    mains = {
        "US": "America/New_York",
        "RU": "Europe/Moscow",
        "AU": "Australia/Sydney",
        "CA": "America/Toronto",
        "BR": "America/Sao_Paulo",
        "MX": "America/Mexico_City",
        "ID": "Asia/Jakarta",
    }
    for cc, main in mains.items():
        choice = resolve_zone(ZoneEvidence(country=cc), at=JUNE)
        assert choice.zone == main and "several zones" in choice.detail, cc
    west = resolve_zone(ZoneEvidence(country="US", signature="+1 (415) 555-0100"), at=JUNE)
    assert (west.zone, west.source) == ("America/Los_Angeles", "phone")
    toll_free = resolve_zone(ZoneEvidence(country="US", signature="+1 800 555 0100"), at=JUNE)
    assert toll_free.zone == "America/New_York" and toll_free.source == "country"
    single = resolve_zone(ZoneEvidence(country="DE"), at=JUNE)
    assert "several zones" not in single.detail


def test_country_codes_domains_and_phones() -> None:
    assert normalise_country(" de ") == "DE" and normalise_country("UK") == "GB"
    with pytest.raises(FollowupdError, match="unknown country"):
        normalise_country("XX")
    assert country_from_domain("a@b.co.uk") == "GB"
    assert country_from_domain("a@b.com.br") == "BR"
    assert country_from_domain("a@b.com") is None and country_from_domain("a@b.io") is None
    hint = phone_hint("Regards, Ivan\nT: 0049 30 1234567")
    assert hint is not None and hint.country == "DE"
    assert phone_hint("call me at 030 1234567") is None
    assert country_zones("DE")[0] == "Europe/Berlin" and country_zones("ZZ") == ()


def test_bad_fields_are_ignored_and_said() -> None:
    choice = resolve_zone(
        ZoneEvidence(zone="Mars/Base", country="Atlantis", email="b@firma.fr"), at=JUNE
    )
    assert (choice.zone, choice.source) == ("Europe/Paris", "cctld")
    assert "Mars/Base" in choice.detail and "Atlantis" in choice.detail


LEARNABLE = [z for z in all_zones() if not z.startswith(("Antarctica/", "Arctic/"))]


@settings(max_examples=80, deadline=None)
@given(
    zone=st.sampled_from(LEARNABLE),
    start=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2028, 12, 1)),
    spacing_hours=st.integers(1, 24 * 20),
    count=st.integers(1, 8),
    country_known=st.booleans(),
)
def test_a_learned_zone_keeps_the_buyers_clock(
    zone: str, start: datetime, spacing_hours: int, count: int, country_known: bool
) -> None:
    """Whatever zone the buyer is in, the learned zone shows their mails' most common offset."""
    tz = ZoneInfo(zone)
    sent = [
        (start.replace(tzinfo=UTC) + timedelta(hours=spacing_hours * i)).astimezone(tz)
        for i in range(count)
    ]
    country = resolve_zone(ZoneEvidence(zone=zone), at=sent[-1]).country if country_known else None
    choice = resolve_zone(ZoneEvidence(header_dates=tuple(sent), country=country), at=sent[-1])
    learned = learn_offset(sent)
    assert learned is not None
    assert choice.source == "learned" or (learned.offset == timedelta(0) and country)
    if choice.source == "learned":
        shown = {d.astimezone(ZoneInfo(choice.zone)).utcoffset() for d in learned.witnesses}
        assert shown == {learned.offset}
        if country is not None and choice.country == country:
            assert choice.zone in country_zones(country)
