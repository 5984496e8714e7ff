"""The send-minute picker: every rule in every zone, DST, busy days, weekends, determinism."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from followupd.errors import FollowupdError
from followupd.sequence.sendtime import WorkingHours, pick_send_time, send_time_problems

DEFAULT = WorkingHours()
ZONES = sorted(available_timezones())
BERLIN = ZoneInfo("Europe/Berlin")
CHICAGO = ZoneInfo("America/Chicago")
SHANGHAI = ZoneInfo("Asia/Shanghai")
ALWAYS = WorkingHours(start=time(0, 0), end=time(23, 59), workdays=frozenset(range(7)))


def breaks_a_rule(
    instant: datetime, tz: ZoneInfo, hours: WorkingHours, busy: frozenset[date]
) -> str | None:
    """An independent statement of the rules, so the picker is not checked by its own code."""
    local = instant.astimezone(tz)
    if local.second or local.microsecond:
        return "not a whole minute"
    if not (55 <= local.minute <= 59 or 1 <= local.minute <= 5):
        return "not within 5 minutes of a full hour, or exactly on it"
    hour = local.hour + 1 if local.minute >= 55 else local.hour
    first = datetime.combine(local.date(), hours.start) + timedelta(hours=1)
    last = datetime.combine(local.date(), hours.end) - timedelta(hours=1)
    if not first <= datetime.combine(local.date(), time(hour % 24)) <= last or hour == 24:
        return "outside working hours or in the first hour"
    if local.weekday() not in hours.workdays:
        return "not a workday"
    if local.date() in busy:
        return "busy day"
    return None


def local_dt(tz: ZoneInfo, year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=tz)


def pick(
    earliest: datetime, tz: ZoneInfo, seed: int = 1, busy_days: frozenset[date] = frozenset()
) -> datetime:
    result = pick_send_time(earliest=earliest, tz=tz, hours=DEFAULT, seed=seed, busy_days=busy_days)
    assert result.tzinfo is UTC and result >= earliest
    return result


instants = st.one_of(
    st.datetimes(min_value=datetime(1995, 1, 1), max_value=datetime(2037, 12, 31)),
    # The weeks around DST changes, north and south, are where local-time code breaks.
    st.builds(
        datetime,
        year=st.integers(2000, 2037),
        month=st.sampled_from([3, 4, 9, 10, 11]),
        day=st.integers(1, 28),
        hour=st.integers(0, 23),
        minute=st.integers(0, 59),
        second=st.integers(0, 59),
    ),
).map(lambda naive: naive.replace(tzinfo=UTC))


@settings(max_examples=200, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    earliest=instants,
    seed=st.integers(0, 2**32),
    busy_offsets=st.sets(st.integers(0, 8), max_size=4),
)
def test_every_pick_obeys_every_rule(
    zone: str, earliest: datetime, seed: int, busy_offsets: set[int]
) -> None:
    tz = ZoneInfo(zone)
    start_day = earliest.astimezone(tz).date()
    busy = frozenset(start_day + timedelta(days=n) for n in busy_offsets)
    result = pick_send_time(earliest=earliest, tz=tz, hours=DEFAULT, seed=seed, busy_days=busy)
    assert result.tzinfo is UTC and result >= earliest
    assert breaks_a_rule(result, tz, DEFAULT, busy) is None
    assert send_time_problems(result, tz=tz, hours=DEFAULT, busy_days=busy) == []
    # No valid minute on an earlier local day was passed over: walk every minute in between.
    day_start = datetime.combine(result.astimezone(tz).date(), time(0), tzinfo=tz)
    probe = earliest.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while probe < day_start.astimezone(UTC):
        assert breaks_a_rule(probe, tz, DEFAULT, busy) is not None, probe
        probe += timedelta(minutes=1)


def test_berlin_dst_week_friday_afternoon_goes_to_monday_in_summer_time() -> None:
    # Clocks go forward on Sunday 29 March 2026; the send must be on Monday at CEST.
    result = pick(local_dt(BERLIN, 2026, 3, 27, 16, 30), BERLIN).astimezone(BERLIN)
    assert result.date() == date(2026, 3, 30)
    assert result.utcoffset() == timedelta(hours=2)
    assert time(9, 55) <= result.time() <= time(16, 5)


def test_nonexistent_minutes_are_skipped_and_ambiguous_ones_mean_the_first() -> None:
    spring = local_dt(BERLIN, 2026, 3, 29, 1, 50)
    autumn = local_dt(BERLIN, 2026, 10, 25, 2, 50)
    for seed in range(60):
        got = pick_send_time(earliest=spring, tz=BERLIN, hours=ALWAYS, seed=seed)
        local = got.astimezone(BERLIN)
        assert local.date() == date(2026, 3, 29) and local.hour != 2
        assert breaks_a_rule(got, BERLIN, ALWAYS, frozenset()) is None
        got = pick_send_time(earliest=autumn, tz=BERLIN, hours=ALWAYS, seed=seed)
        if got.astimezone(BERLIN).hour == 2:
            # 02:55 happens twice that night; fold=0 is the first, still in summer time.
            assert got.astimezone(BERLIN).utcoffset() == timedelta(hours=2)


def test_chicago_on_the_monday_after_the_clocks_went_back() -> None:
    result = pick(local_dt(CHICAGO, 2026, 11, 2, 8, 0), CHICAGO).astimezone(CHICAGO)
    assert result.date() == date(2026, 11, 2)
    assert result.utcoffset() == timedelta(hours=-6)
    assert time(9, 55) <= result.time() <= time(16, 5)


def test_shanghai_later_the_same_day() -> None:
    earliest = datetime(2026, 5, 6, 3, 0, tzinfo=UTC)  # Wednesday 11:00 in Shanghai
    result = pick(earliest, SHANGHAI).astimezone(SHANGHAI)
    assert result.date() == date(2026, 5, 6)
    assert time(11, 0) <= result.time() <= time(16, 5)


def test_a_busy_day_is_skipped() -> None:
    monday = local_dt(BERLIN, 2026, 6, 1, 7, 0)
    result = pick(monday, BERLIN, busy_days=frozenset({date(2026, 6, 1)}))
    assert result.astimezone(BERLIN).date() == date(2026, 6, 2)


def test_friday_after_the_last_slot_and_the_weekend_go_to_monday() -> None:
    friday = local_dt(CHICAGO, 2026, 6, 5, 16, 30)
    assert pick(friday, CHICAGO).astimezone(CHICAGO).date() == date(2026, 6, 8)
    saturday = local_dt(CHICAGO, 2026, 6, 6, 11, 0)
    assert pick(saturday, CHICAGO).astimezone(CHICAGO).date() == date(2026, 6, 8)


def test_same_seed_same_minute_and_seeds_spread_over_the_day() -> None:
    monday = local_dt(SHANGHAI, 2026, 6, 1, 7, 0)
    assert pick(monday, SHANGHAI, seed=42) == pick(monday, SHANGHAI, seed=42)
    local = [pick(monday, SHANGHAI, seed=s).astimezone(SHANGHAI) for s in range(100)]
    assert len({t.hour for t in local}) >= 5
    assert {t.date() for t in local} == {date(2026, 6, 1)}


def test_other_workweeks_are_respected() -> None:
    # Sunday to Thursday, as in several Gulf countries.
    gulf = WorkingHours(workdays=frozenset({6, 0, 1, 2, 3}))
    riyadh = ZoneInfo("Asia/Riyadh")
    friday = local_dt(riyadh, 2026, 6, 5, 8, 0)
    got = pick_send_time(earliest=friday, tz=riyadh, hours=gulf, seed=3).astimezone(riyadh)
    assert got.date() == date(2026, 6, 7)


def test_search_is_bounded() -> None:
    start = datetime(2026, 6, 1, tzinfo=UTC)
    every_day = frozenset(date(2026, 6, 1) + timedelta(days=n) for n in range(70))
    with pytest.raises(FollowupdError, match="no send time within 60 days"):
        pick_send_time(earliest=start, tz=BERLIN, hours=DEFAULT, seed=0, busy_days=every_day)
    with pytest.raises(ValueError):
        pick_send_time(earliest=datetime(2026, 6, 1), tz=BERLIN, hours=DEFAULT, seed=0)


def test_working_hours_validate_and_list_their_candidates() -> None:
    assert DEFAULT.hours() == (10, 11, 12, 13, 14, 15, 16)
    minutes = DEFAULT.minutes()
    assert minutes[0] == time(9, 55) and minutes[-1] == time(16, 5)
    assert time(10, 0) not in minutes and len(minutes) == 70
    with pytest.raises(FollowupdError, match="no full hour"):
        WorkingHours(start=time(9, 0), end=time(10, 30))
    with pytest.raises(FollowupdError, match="workdays"):
        WorkingHours(workdays=frozenset({7}))


def test_problems_explain_a_bad_time() -> None:
    on_the_hour = local_dt(BERLIN, 2026, 6, 6, 10, 0).astimezone(UTC)
    problems = send_time_problems(on_the_hour, tz=BERLIN, hours=DEFAULT)
    assert len(problems) == 2
    assert "not within 5 minutes" in problems[0] and "not a workday" in problems[1]
