"""The send-slot picker: every rule in every zone and country, across DST changes and holidays."""

from __future__ import annotations

import functools
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from followupd.errors import FollowupdError
from followupd.timing import (
    Closure,
    SlotChoice,
    SlotPolicy,
    SlotRequest,
    pick_slot,
    slot_problems,
)

# Every zone zoneinfo knows, less "Factory", which is not a place.
ZONES = sorted(z for z in available_timezones() if z != "Factory")
COUNTRIES = [
    None, "AE", "AR", "AU", "BR", "CA", "CL", "CN", "DE", "EG", "ES", "FR", "GB", "IL", "IN",
    "IR", "IT", "JP", "KR", "KZ", "MX", "MY", "NG", "NL", "NZ", "PK", "PL", "PT", "QA", "RU",
    "SA", "SE", "TR", "UA", "US", "VN", "ZA", "NP", "BD", "TH",
]  # fmt: skip
# Days clocks change somewhere: Europe, North America, Chile, Australia, New Zealand,
# Lord Howe (30 minutes), Egypt, Israel, Lebanon, Paraguay's last change, Troll (2 hours).
DST_DAYS = [
    date(2026, 3, 8), date(2026, 3, 29), date(2026, 10, 25), date(2026, 11, 1),
    date(2027, 3, 14), date(2027, 3, 28), date(2027, 10, 31), date(2027, 11, 7),
    date(2026, 4, 5), date(2026, 9, 6), date(2026, 10, 4), date(2026, 9, 27),
    date(2026, 4, 24), date(2026, 10, 29), date(2026, 3, 27), date(2024, 10, 6),
]  # fmt: skip
BERLIN = "Europe/Berlin"


@functools.cache
def calendar(country: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, years=year)


def breaks_a_rule(instant: datetime, request: SlotRequest) -> str | None:
    """An independent statement of the rules, so the picker is not checked by its own code."""
    policy = request.policy
    tz = ZoneInfo(request.zone)
    local = instant.astimezone(tz)
    naive = local.replace(tzinfo=None)
    if instant < max(request.earliest, request.now):
        return "before the earliest moment or now"
    once = (
        naive.replace(tzinfo=tz, fold=0).utcoffset() == naive.replace(tzinfo=tz, fold=1).utcoffset()
    )
    if not once or naive.replace(tzinfo=tz).astimezone(UTC) != instant:
        return "local time does not exist, or exists twice"
    if local.second or local.microsecond:
        return "not a whole minute"
    w = policy.window_minutes
    if local.minute == 0 or not (local.minute <= w or local.minute >= 60 - w):
        return "not within the window around a full hour, or on it"
    first = datetime.combine(local.date(), policy.day_start) + timedelta(
        minutes=policy.skip_first_minutes
    )
    last = datetime.combine(local.date(), policy.day_end) - timedelta(minutes=policy.answer_minutes)
    if not first <= naive <= last:
        return "outside working hours, in the first hour or too late to answer"
    day = local.date()
    if request.country is None:
        weekend = {5, 6} if policy.weekend is None else policy.weekend
        if day.weekday() in weekend:
            return "weekend"
    elif policy.weekend is None:
        if not calendar(request.country, day.year).is_working_day(day):
            return "not a working day in the buyer's country"
    else:
        # A configured week replaces the country's weekend; holidays and make-up days stay.
        cal = calendar(request.country, day.year)
        if day.weekday() in policy.weekend and day not in cal.weekend_workdays:
            return "configured weekend"
        if day.weekday() not in policy.weekend and day in cal:
            return "public holiday"
    touched = {t.astimezone(tz).date() for t in request.buyer_touches}
    if day in request.busy_days or day in touched:
        return "a second touch to the buyer that day"
    rep_day = instant.astimezone(ZoneInfo(request.mailbox_zone)).date()
    if any(c.start <= d <= c.end for c in request.closures for d in (day, rep_day)):
        return "the seller is closed"
    mailbox_zone = ZoneInfo(request.mailbox_zone)
    same_day = [t for t in request.mailbox_schedule if t.astimezone(mailbox_zone).date() == rep_day]
    if policy.daily_cap is not None and len(same_day) >= policy.daily_cap:
        return "the mailbox's daily cap"
    gap = timedelta(minutes=policy.min_gap_minutes)
    if any(abs(t - instant) < gap for t in request.mailbox_schedule):
        return "too close to another send from the mailbox"
    return None


def valid_minutes_on(day: date, request: SlotRequest) -> list[datetime]:
    """Brute force: every allowed instant of the buyer's local ``day``."""
    tz = ZoneInfo(request.zone)
    found = []
    for hour in range(24):
        for minute in range(1, 60):
            naive = datetime.combine(day, time(hour, minute))
            instant = naive.replace(tzinfo=tz).astimezone(UTC)
            same_day = instant.astimezone(tz).date() == day
            if same_day and breaks_a_rule(instant, request) is None:
                found.append(instant)
    return found


def at(zone: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone))


def pick(zone: str, country: str | None, earliest: datetime, **kw: object) -> SlotChoice:
    request = SlotRequest(earliest=earliest, now=earliest, zone=zone, country=country, **kw)  # type: ignore[arg-type]
    choice = pick_slot(request)
    assert breaks_a_rule(choice.send_at_utc, request) is None
    assert slot_problems(choice.send_at_utc, request) == []
    return choice


naive_instants = st.one_of(
    st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2028, 12, 31)),
    st.builds(
        lambda day, delta: datetime.combine(day, time(0)) + delta,
        st.sampled_from(DST_DAYS),
        st.timedeltas(min_value=timedelta(days=-2), max_value=timedelta(days=2)),
    ),
)
policies = st.builds(
    SlotPolicy,
    day_start=st.sampled_from([time(7, 30), time(8), time(9), time(10)]),
    day_end=st.sampled_from([time(15), time(17), time(18, 30), time(20)]),
    skip_first_minutes=st.sampled_from([0, 30, 60]),
    answer_minutes=st.sampled_from([0, 30, 55]),
    window_minutes=st.integers(1, 10),
    weekend=st.sampled_from([None, None, None, frozenset({4, 5}), frozenset()]),
    daily_cap=st.sampled_from([None, 1, 3, 20]),
    min_gap_minutes=st.sampled_from([0, 2, 30, 90]),
    horizon_days=st.just(21),
)


@settings(max_examples=150, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    country=st.sampled_from(COUNTRIES),
    earliest=naive_instants,
    late_by=st.sampled_from([timedelta(0), timedelta(0), timedelta(hours=7), timedelta(days=3)]),
    slack_hours=st.integers(0, 24 * 6),
    seed=st.integers(0, 2**32),
    policy=policies,
    schedule_offsets=st.lists(st.integers(-2 * 24 * 60, 6 * 24 * 60), max_size=40),
    busy_offsets=st.sets(st.integers(0, 7), max_size=3),
    mailbox_zone=st.sampled_from(["UTC", "Asia/Shanghai", "America/Sao_Paulo"]),
    closed=st.one_of(st.none(), st.tuples(st.integers(-3, 10), st.integers(0, 6))),
)
def test_every_pick_obeys_every_rule(
    zone: str,
    country: str | None,
    earliest: datetime,
    late_by: timedelta,
    slack_hours: int,
    seed: int,
    policy: SlotPolicy,
    schedule_offsets: list[int],
    busy_offsets: set[int],
    mailbox_zone: str,
    closed: tuple[int, int] | None,
) -> None:
    earliest = earliest.replace(tzinfo=UTC)
    start_day = earliest.astimezone(ZoneInfo(zone)).date()
    closures: tuple[Closure, ...] = ()
    if closed is not None:
        first = start_day + timedelta(days=closed[0])
        closures = (Closure(name="works holiday", start=first, end=first + timedelta(closed[1])),)
    request = SlotRequest(
        earliest=earliest,
        now=earliest + late_by,
        zone=zone,
        country=country,
        slack=timedelta(hours=slack_hours),
        seed=seed,
        policy=policy,
        mailbox_zone=mailbox_zone,
        mailbox_schedule=tuple(earliest + timedelta(minutes=m) for m in schedule_offsets),
        busy_days=frozenset(start_day + timedelta(days=n) for n in busy_offsets),
        closures=closures,
    )
    start = max(request.earliest, request.now)
    first_day = start.astimezone(ZoneInfo(zone)).date()
    last_slack_day = (start + request.slack).astimezone(ZoneInfo(zone)).date()
    try:
        choice = pick_slot(request)
    except FollowupdError:
        # Only when truly nothing is free up to the horizon.
        for n in range(policy.horizon_days + 1):
            assert valid_minutes_on(first_day + timedelta(days=n), request) == []
        return
    assert choice.send_at_utc.tzinfo is UTC
    assert breaks_a_rule(choice.send_at_utc, request) is None
    assert slot_problems(choice.send_at_utc, request) == []
    assert choice.local == choice.send_at_utc.astimezone(ZoneInfo(zone))
    assert choice.reasons and pick_slot(request) == choice
    day = choice.local.date()
    if choice.within_slack:
        assert first_day <= day <= last_slack_day
    else:
        # The slack had nothing free, and no good day was passed over after it.
        n_days = (day - first_day).days
        for n in range(n_days):
            assert valid_minutes_on(first_day + timedelta(days=n), request) == [], n


def test_a_buyers_clock_change_day_uses_only_minutes_that_happen_once() -> None:
    # Every minute of every day may be used, so the night of the change is in play.
    always = SlotPolicy(
        day_start=time(0, 0),
        day_end=time(23, 59),
        skip_first_minutes=0,
        answer_minutes=0,
        weekend=frozenset(),
    )
    spring = at(BERLIN, 2026, 3, 29, 1, 50)
    autumn = at(BERLIN, 2026, 10, 25, 1, 50)
    hours_spring, hours_autumn = set(), set()
    for seed in range(200):
        got = pick(BERLIN, None, spring, policy=always, seed=seed).local
        assert got.date() == date(2026, 3, 29)
        hours_spring.add(got.hour)
        got = pick(BERLIN, None, autumn, policy=always, seed=seed).local
        assert got.date() == date(2026, 10, 25)
        hours_autumn.add(got.hour)
    # 02:xx does not exist in spring; 01:55-01:59 and 02:01-02:59 happen twice in autumn.
    assert 2 not in hours_spring and 2 not in hours_autumn
    assert {1, 3} <= hours_spring and 3 in hours_autumn


@pytest.mark.parametrize(
    ("zone", "country", "earliest"),
    [
        ("America/New_York", "US", (2026, 3, 6, 16, 30)),  # Friday before spring forward
        ("America/Chicago", "US", (2026, 10, 30, 16, 30)),  # Friday before fall back
        ("Europe/London", "GB", (2026, 3, 27, 17, 0)),
        ("Australia/Sydney", "AU", (2026, 4, 3, 17, 0)),  # Good Friday, then DST ends
        ("America/Santiago", "CL", (2026, 4, 3, 17, 0)),
        ("Asia/Jerusalem", "IL", (2026, 3, 26, 17, 0)),  # IL: clocks change on a Friday
    ],
)
def test_the_first_working_day_after_a_clock_change(
    zone: str, country: str, earliest: tuple[int, ...]
) -> None:
    choice = pick(zone, country, at(zone, *earliest))
    local = choice.local
    assert local.utcoffset() == local.replace(hour=12, minute=0).utcoffset()
    assert time(10, 1) <= local.time() <= time(16, 5)
    assert any("working day" in r for r in choice.reasons)


def test_chinese_make_up_working_weekend_counts() -> None:
    # Saturday 14 February 2026 is worked in China to bridge the Spring Festival.
    choice = pick("Asia/Shanghai", "CN", at("Asia/Shanghai", 2026, 2, 14, 8, 0))
    assert choice.local.date() == date(2026, 2, 14)
    assert any("make-up working day in CN" in r for r in choice.reasons)
    # The festival itself (16-20 Feb, and the 23rd off for the 28th) is skipped whole.
    choice = pick("Asia/Shanghai", "CN", at("Asia/Shanghai", 2026, 2, 15, 8, 0))
    assert choice.local.date() == date(2026, 2, 24)
    assert any("Chinese New Year" in r for r in choice.reasons)
    # A plain Sunday is still not a working day.
    choice = pick("Asia/Shanghai", "CN", at("Asia/Shanghai", 2026, 3, 1, 8, 0))
    assert choice.local.date() == date(2026, 3, 2)


@pytest.mark.parametrize(
    ("zone", "country", "earliest", "expected", "holiday"),
    [
        (BERLIN, "DE", (2026, 12, 24, 17, 0), date(2026, 12, 28), "Christmas Day"),
        (BERLIN, "DE", (2026, 12, 31, 17, 0), date(2027, 1, 4), "New Year's Day"),
        ("America/New_York", "US", (2026, 12, 24, 17, 0), date(2026, 12, 28), "Christmas"),
        # 2027: Christmas and New Year fall on Saturdays, observed the Friday before.
        ("America/New_York", "US", (2027, 12, 23, 17, 0), date(2027, 12, 27), "observed"),
        ("America/New_York", "US", (2027, 12, 30, 17, 0), date(2028, 1, 3), "observed"),
    ],
)
def test_christmas_and_new_year(
    zone: str, country: str, earliest: tuple[int, ...], expected: date, holiday: str
) -> None:
    choice = pick(zone, country, at(zone, *earliest), slack=timedelta(days=1))
    assert choice.local.date() == expected
    assert not choice.within_slack
    assert any(holiday in r for r in choice.reasons)


def test_eid_in_the_emirates_and_saudi_arabia() -> None:
    # Eid al-Fitr 2026: 19-22 March in the UAE, 19-24 March in Saudi Arabia.
    uae = pick("Asia/Dubai", "AE", at("Asia/Dubai", 2026, 3, 18, 17, 0))
    assert uae.local.date() == date(2026, 3, 23)
    assert any("Eid al-Fitr" in r for r in uae.reasons)
    ksa = pick("Asia/Riyadh", "SA", at("Asia/Riyadh", 2026, 3, 18, 17, 0))
    assert ksa.local.date() == date(2026, 3, 25)


def test_gulf_weekends() -> None:
    # Saudi Arabia rests on Friday and Saturday; the UAE moved to Saturday/Sunday in 2022.
    ksa = pick("Asia/Riyadh", "SA", at("Asia/Riyadh", 2026, 6, 4, 17, 0))
    assert ksa.local.date() == date(2026, 6, 7)  # Sunday
    assert any("weekend in SA (Fri/Sat)" in r for r in ksa.reasons)
    uae = pick("Asia/Dubai", "AE", at("Asia/Dubai", 2026, 6, 5, 8, 0))
    assert uae.local.date() == date(2026, 6, 5)  # Friday
    # A configured week replaces the library's, e.g. a Sunday-Thursday office in Dubai.
    sun_thu = SlotPolicy(weekend=frozenset({4, 5}))
    office = pick("Asia/Dubai", "AE", at("Asia/Dubai", 2026, 6, 5, 8, 0), policy=sun_thu)
    assert office.local.date() == date(2026, 6, 7)


def test_seller_closure_and_buyer_busy_days_are_skipped() -> None:
    spring_festival = (
        Closure(name="Spring Festival", start=date(2027, 2, 4), end=date(2027, 2, 18)),
    )
    choice = pick(BERLIN, "DE", at(BERLIN, 2027, 2, 3, 17, 0), closures=spring_festival)
    assert choice.local.date() == date(2027, 2, 19)
    assert any("Spring Festival" in r for r in choice.reasons)
    touched = (at(BERLIN, 2026, 6, 1, 10, 3),)
    choice = pick(BERLIN, "DE", at(BERLIN, 2026, 6, 1, 8, 0), buyer_touches=touched)
    assert choice.local.date() == date(2026, 6, 2)


def test_missed_slots_after_downtime_are_spread_forward_not_burst_at_night() -> None:
    # The daemon was down for two days; twenty steps were due. Now it is 03:00 in Berlin.
    now = at(BERLIN, 2026, 6, 3, 3, 0)
    policy = SlotPolicy(min_gap_minutes=5, daily_cap=8)
    schedule: list[datetime] = []
    for n in range(20):
        request = SlotRequest(
            earliest=now - timedelta(days=2, hours=n),
            now=now,
            zone=BERLIN,
            country="DE",
            seed=n,
            policy=policy,
            mailbox_schedule=tuple(schedule),
        )
        choice = pick_slot(request)
        assert breaks_a_rule(choice.send_at_utc, request) is None
        assert choice.send_at_utc >= now and choice.local.hour >= 10
        assert any("already past" in r for r in choice.reasons)
        schedule.append(choice.send_at_utc)
    per_day = Counter(t.astimezone(ZoneInfo("UTC")).date() for t in schedule)
    assert max(per_day.values()) <= 8 and len(per_day) == 3


def test_thursday_friday_and_month_end_are_preferred_within_the_slack() -> None:
    monday = at(BERLIN, 2026, 6, 8, 8, 0)
    days = Counter(
        pick(BERLIN, "DE", monday, slack=timedelta(days=4), seed=s).local.strftime("%a")
        for s in range(600)
    )
    assert set(days) == {"Mon", "Tue", "Wed", "Thu", "Fri"}
    assert min(days["Thu"], days["Fri"]) > max(days["Mon"], days["Tue"], days["Wed"])
    # Monday 26 - Friday 30 October: the 28th-30th weigh more than the 26th and 27th.
    month_end = Counter(
        pick(
            BERLIN, "DE", at(BERLIN, 2026, 10, 26, 8, 0), slack=timedelta(days=2), seed=s
        ).local.day
        for s in range(600)
    )
    assert month_end[28] > max(month_end[26], month_end[27])


def test_same_request_same_slot_and_seeds_spread_over_the_day() -> None:
    monday = at("Asia/Tokyo", 2026, 6, 1, 7, 0)
    local = [pick("Asia/Tokyo", "JP", monday, seed=s).local for s in range(100)]
    assert len({t.hour for t in local}) >= 5 and len({t.minute for t in local}) >= 8
    assert pick("Asia/Tokyo", "JP", monday, seed=7) == pick("Asia/Tokyo", "JP", monday, seed=7)


def test_nothing_free_within_the_horizon_is_a_clear_error() -> None:
    start = at(BERLIN, 2026, 6, 1, 8, 0)
    busy = frozenset(date(2026, 6, 1) + timedelta(days=n) for n in range(10))
    request = SlotRequest(
        earliest=start, now=start, zone=BERLIN, policy=SlotPolicy(horizon_days=7), busy_days=busy
    )
    with pytest.raises(FollowupdError, match="no send slot within 7 days"):
        pick_slot(request)


def test_requests_and_policies_validate_themselves() -> None:
    now = datetime(2026, 6, 1, tzinfo=UTC)
    with pytest.raises(FollowupdError, match="timezone-aware"):
        SlotRequest(earliest=datetime(2026, 6, 1), now=now, zone=BERLIN)
    with pytest.raises(FollowupdError, match="unknown timezone"):
        SlotRequest(earliest=now, now=now, zone="Mars/Olympus")
    with pytest.raises(FollowupdError, match="leave no minute"):
        SlotPolicy(day_start=time(9), day_end=time(10))
    with pytest.raises(FollowupdError, match="window_minutes"):
        SlotPolicy(window_minutes=30)
    assert SlotPolicy().minutes()[0] == time(10, 1)
    assert SlotPolicy().minutes()[-1] == time(16, 5)
    assert time(12, 0) not in SlotPolicy().minutes() and len(SlotPolicy().minutes()) == 65


def test_problems_explain_a_bad_slot() -> None:
    start = at(BERLIN, 2026, 12, 24, 8, 0)
    request = SlotRequest(earliest=start, now=start, zone=BERLIN, country="DE")
    christmas_noon = at(BERLIN, 2026, 12, 25, 12, 0).astimezone(UTC)
    problems = slot_problems(christmas_noon, request)
    assert any("not an allowed minute" in p for p in problems)
    assert any("Christmas Day" in p for p in problems)
