"""`followupd when` as a rep runs it: the slot in buyer and rep time, JSON, and bad input."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from test_timing_slots import breaks_a_rule

from followupd.cli import main
from followupd.timing import SlotPolicy, SlotRequest, parse_hours

ROOT = Path(__file__).resolve().parents[1]


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert main(["when", *args, "--json"]) == 0
    out = capsys.readouterr().out
    document = json.loads(out)
    assert isinstance(document, dict)
    return document


def check(document: dict[str, object], after: str, country: str | None) -> datetime:
    """The JSON is consistent, and the slot obeys every rule in the buyer's zone and country."""
    for key in ("send_at_utc", "buyer_local", "rep_local", "timezone", "timezone_source"):
        assert isinstance(document[key], str), key
    assert isinstance(document["reasons"], list) and document["reasons"]
    utc = datetime.fromisoformat(str(document["send_at_utc"]))
    buyer = datetime.fromisoformat(str(document["buyer_local"]))
    rep = datetime.fromisoformat(str(document["rep_local"]))
    assert utc == buyer == rep and utc.utcoffset() == timedelta(0)
    zone = ZoneInfo(str(document["timezone"]))
    assert buyer.utcoffset() == utc.astimezone(zone).utcoffset()
    start = datetime.fromisoformat(after)
    request = SlotRequest(
        earliest=start, now=start, zone=str(document["timezone"]), country=country
    )
    assert breaks_a_rule(utc, request) is None
    return buyer


def test_json_has_the_slot_in_buyer_and_rep_time_with_reasons(
    capsys: pytest.CaptureFixture[str],
) -> None:
    after = "2026-12-23T10:00+08:00"
    document = run_json(
        capsys,
        "--to",
        "buyer@example.de",
        "--after",
        after,
        "--slack",
        "3d",
        "--rep-tz",
        "Asia/Shanghai",
    )
    assert document["timezone"] == "Europe/Berlin"
    assert document["timezone_source"] == "cctld" and document["country"] == "DE"
    buyer = check(document, after, "DE")
    # Christmas (25th, 26th) is a holiday in Germany; the 23rd or 24th is left.
    assert buyer.date().isoformat() in {"2026-12-23", "2026-12-24"}
    assert str(document["rep_local"]).endswith("+08:00")
    assert any("Christmas" in str(r) for r in document["reasons"])  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("args", "after", "country"),
    [
        (["--country", "US"], "2026-03-08T01:30-05:00", "US"),
        (["--country", "US", "--tz", "America/Denver"], "2026-11-01T00:30-06:00", "US"),
        (["--country", "GB"], "2026-03-29T00:30+00:00", "GB"),
        (["--country", "AU", "--tz", "Australia/Sydney"], "2026-10-04T01:00+10:00", "AU"),
        (["--country", "CL"], "2026-09-05T22:00-04:00", "CL"),
        (["--country", "NZ"], "2026-09-27T01:00+12:00", "NZ"),
        (["--country", "EG"], "2026-04-23T23:30+02:00", "EG"),
        (["--country", "IL"], "2026-03-27T01:30+02:00", "IL"),
        (["--country", "CN"], "2026-02-13T18:00+08:00", "CN"),
        (["--country", "SA", "--slack", "2d"], "2026-03-18T17:00+03:00", "SA"),
        (["--country", "IN"], "2026-01-25T12:00+05:30", "IN"),
        (["--country", "JP", "--slack", "3d"], "2026-12-30T09:00+09:00", "JP"),
        (["--country", "BR", "--slack", "36h"], "2026-02-16T08:00-03:00", "BR"),
    ],
)
def test_clock_changes_and_holidays_around_the_world(
    capsys: pytest.CaptureFixture[str], args: list[str], after: str, country: str
) -> None:
    document = run_json(capsys, "--to", "buyer@example.com", *args, "--after", after)
    assert document["country"] == country
    check(document, after, country)


def test_text_output_names_zone_source_and_reasons(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "when",
            "--to",
            "anna@importer.co.uk",
            "--date-header",
            "Tue, 02 Jun 2026 10:15:00 +0200",
            "--date-header",
            "Wed, 03 Jun 2026 16:40:00 +0200",
            "--after",
            "2026-06-04T09:00+00:00",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "[learned]" in out and "GB" in out and "+02:00" in out
    assert "buyer:" in out and "rep:" in out and "why:" in out


def test_same_question_same_answer_and_downtime_picks_forward(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["--to", "b@firma.de", "--after", "2026-06-01T03:00+02:00"]
    assert run_json(capsys, *args) == run_json(capsys, *args)
    # The step was due on Monday; the daemon is back on Wednesday at 03:00 in Berlin.
    late = run_json(capsys, *args, "--now", "2026-06-03T03:00+02:00")
    buyer = datetime.fromisoformat(str(late["buyer_local"]))
    assert buyer.date().isoformat() == "2026-06-03" and buyer.hour >= 10
    assert any("already past" in str(r) for r in late["reasons"])  # type: ignore[attr-defined]


def test_with_a_config_no_secrets_are_needed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("FOLLOWUPD_APPROVAL_SECRET", "FOLLOWUPD_ANNA_IMAP_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    document = run_json(
        capsys,
        "--to",
        "buyer@gmail.com",
        "--config",
        str(ROOT / "config.example.toml"),
        "--after",
        "2027-02-03T17:00+01:00",
    )
    # The example's default zone is Berlin, the rep is in Shanghai, and the seller is closed
    # for the Spring Festival 4-18 February 2027.
    assert document["timezone"] == "Europe/Berlin" and document["timezone_source"] == "default"
    assert document["rep_timezone"] == "Asia/Shanghai"
    assert str(document["buyer_local"]) >= "2027-02-19"
    assert any("Spring Festival" in str(r) for r in document["reasons"])  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "b@x.de", "--tz", "Mars/Base"], "unknown timezone"),
        (["--to", "b@x.de", "--country", "XX"], "unknown country"),
        (["--to", "b@x.de", "--after", "next tuesday"], "--after"),
        (["--to", "b@x.de", "--slack", "soon"], "--slack"),
        (["--to", "not-an-address"], "not a mail address"),
        (["--to", "b@x.de", "--date-header", "yesterday"], "--date-header"),
        (["--to", "b@x.de", "--rep-tz", "Nowhere"], "unknown timezone"),
        (["--to", "b@x.de", "--hours", "9-17h"], "expected local times like 08:00-16:30"),
        (["--to", "b@x.de", "--hours", "09:00-10:30"], "leave no minute to send at"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["when", *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert message in captured.err and "Traceback" not in captured.err
    assert captured.err.count("\n") == 1


def test_a_missing_address_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["when", "--country", "DE"])
    assert info.value.code == 2
    assert "--to" in capsys.readouterr().err


def test_slack_forms() -> None:
    from followupd.commands.when import parse_slack

    assert parse_slack("3d") == timedelta(days=3) and parse_slack("36h") == timedelta(hours=36)
    assert parse_slack("1w2d") == timedelta(days=9) and parse_slack("2") == timedelta(days=2)
    assert parse_slack("90m") == timedelta(minutes=90)
    assert SlotPolicy().minutes()  # the default policy the command uses without a config


@pytest.mark.parametrize("hours", ["07:30-12:00", "7:30 - 12", "13-19"])
def test_the_buyers_own_hours(capsys: pytest.CaptureFixture[str], hours: str) -> None:
    document = run_json(
        capsys, "--to", "buyer@example.de", "--after", "2026-12-21T06:00+01:00", "--hours", hours
    )
    start, end = parse_hours(hours)
    local = datetime.fromisoformat(str(document["buyer_local"]))
    day = local.date()
    # The first hour is skipped (minus the 5 minutes before the hour), 55 minutes are left to
    # answer, and the minute is near a full hour but not on it.
    assert datetime.combine(day, start) + timedelta(minutes=55) <= local.replace(tzinfo=None)
    assert local.replace(tzinfo=None) <= datetime.combine(day, end) - timedelta(minutes=55)
    assert local.minute != 0 and (local.minute <= 5 or local.minute >= 55)
    reasons = [str(r) for r in document["reasons"]]  # type: ignore[attr-defined]
    assert any(f"working hours {start:%H:%M}-{end:%H:%M}" in r for r in reasons)
