"""Reading the day an out-of-office sender is back, in the languages buyers write."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from followupd.classify.returndate import return_date

# A Friday; 7 December 2026 is a Monday.
RECEIVED = datetime(2026, 11, 20, 10, 0, tzinfo=timezone(timedelta(hours=8)))


def back(text: str, subject: str = "") -> date | None:
    return return_date(text, subject, received=RECEIVED)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I will be back on 5 December.", date(2026, 12, 5)),
        (
            "I am out of the office until Monday 7/12 with limited access to email.",
            date(2026, 12, 7),
        ),
        ("I am out of the office until 12/3.", date(2026, 12, 3)),
        ("I am away until 2026-12-03.", date(2026, 12, 3)),
        ("I am on annual leave and will return on Tuesday.", date(2026, 11, 24)),
        ("Ich bin bis zum 10.12.2026 nicht im Büro.", date(2026, 12, 10)),
        ("Ab dem 8. Dezember bin ich wieder erreichbar.", date(2026, 12, 8)),
        ("Je suis absent jusqu'au 3 décembre inclus.", date(2026, 12, 3)),
        ("Je serai de retour le lundi 7 décembre.", date(2026, 12, 7)),
        ("Estaré fuera de la oficina hasta el 15 de enero.", date(2027, 1, 15)),
        ("Estou de férias até 10 de dezembro.", date(2026, 12, 10)),
        ("Я в отпуске до 14 декабря.", date(2026, 12, 14)),
        ("Sono fuori ufficio fino al 9 dicembre.", date(2026, 12, 9)),
        ("Ik ben tot en met 11 december afwezig.", date(2026, 12, 11)),
        ("10 Aralık tarihine kadar ofis dışındayım.", date(2026, 12, 10)),
        ("أنا خارج المكتب حتى 10 ديسمبر", date(2026, 12, 10)),
        ("您好，我正在休假，将于12月10日返回。", date(2026, 12, 10)),
        ("我出差至2026年12月8日。", date(2026, 12, 8)),
        ("12月10日まで不在にしております。", date(2026, 12, 10)),
    ],
)
def test_each_language(text: str, expected: date) -> None:
    assert back(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I am on leave from 1 to 10 December.", date(2026, 12, 10)),
        ("I will be traveling on December 1-9.", date(2026, 12, 9)),
        ("Ich bin vom 1. bis 10. Dezember im Urlaub.", date(2026, 12, 10)),
        ("Estaré de vacaciones del 1 al 10 de diciembre.", date(2026, 12, 10)),
        ("我于12月1日至12月10日休假。", date(2026, 12, 10)),
        ("Out from 1 December until 10 December, back on 11 December.", date(2026, 12, 11)),
    ],
)
def test_a_range_means_its_last_day(text: str, expected: date) -> None:
    assert back(text) == expected


def test_the_subject_is_read_too() -> None:
    assert back("", "AUTO: Anna is out of the office (returning 5 December)") == date(2026, 12, 5)


def test_a_year_without_year_is_the_next_such_day() -> None:
    # Received in November, "15 January" can only mean the coming January.
    assert back("Estaré fuera hasta el 15 de enero.") == date(2027, 1, 15)
    assert back("我将于1月5日返回。") == date(2027, 1, 5)


@pytest.mark.parametrize(
    "text",
    [
        "I am out of the office until 5 December 2025.",  # before the mail was received
        "Ich bin bis zum 10.12.2024 nicht im Büro.",
        "I am on sabbatical and back on 1 March 2028.",  # more than a year ahead
    ],
)
def test_implausible_dates_are_discarded(text: str) -> None:
    assert back(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Thank you for your e-mail. I will reply as soon as possible.",
        "I am out of the office with limited access to email.",
        "Our quotation is valid for 30 days.",
    ],
)
def test_no_date_means_none(text: str) -> None:
    assert back(text) is None


def test_dates_without_a_return_cue_are_ignored() -> None:
    assert back("Our factory was founded on 5 December 1998. Call +86 21 5555 1212.") is None


def test_dates_in_the_quoted_mail_are_ignored() -> None:
    text = (
        "I am out of the office with limited access to email.\n\n"
        "On Fri, 20 Nov 2026, Zhang Wei wrote:\n"
        "> Our price is valid until 30 December.\n"
    )
    assert back(text) is None


def test_without_a_received_date_there_is_no_anchor() -> None:
    assert return_date("I am back on 5 December 2026.", "", received=None) is None


def test_deterministic_given_received() -> None:
    text = "I am away until Monday."
    assert back(text) == back(text) == date(2026, 11, 23)
    later = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # a Tuesday
    assert return_date(text, "", received=later) == date(2026, 12, 7)


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=300), subject=st.text(max_size=80))
def test_never_raises_on_random_text(text: str, subject: str) -> None:
    found = return_date(text, subject, received=RECEIVED)
    assert found is None or RECEIVED.date() <= found <= RECEIVED.date() + timedelta(days=365)


@settings(max_examples=40, deadline=None)
@given(
    text=st.text(
        alphabet=st.sampled_from("until back bis 至まで 0123456789/.-年月日 "), max_size=120
    )
)
def test_never_raises_on_date_like_noise(text: str) -> None:
    return_date(text, text[:40], received=RECEIVED)
