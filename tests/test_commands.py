"""The rep's reply grammar, on replies shaped like the output of real mail clients."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from followupd.approval.commands import (
    Command,
    own_text,
    parse_command,
    read_date,
    read_delay,
    read_verb,
    strip_quoted,
)
from followupd.errors import CommandError

# The quoted review mail contains every command word; none of it may ever count.
REVIEW = """Draft 12 for Jörg Müller (buyer.example), step 2 of the pi cadence.
Reply with: approve, skip or stop.
Token: FU-12-abcdefghij-abcdefghijklmnop
---
Dear Mr. Müller, please stop by our booth. Send us your feedback."""


def quoted(prefix: str = "> ") -> str:
    return "\n".join(prefix + line for line in REVIEW.splitlines())


GMAIL = f"""Approve

On Thu, Jun 6, 2024 at 10:04 AM followupd <zhang@factory.example>
wrote:

{quoted()}
"""

APPLE_MAIL = f"""ok, thanks

Sent from my iPhone

> On 6 Jun 2024, at 10:04, followupd <zhang@factory.example> wrote:
>
{quoted()}
"""

THUNDERBIRD = f"""skip - he called me already.

On 06.06.24 10:04, followupd wrote:
{quoted()}
"""

OUTLOOK_EN = f"""Stop.

Regards,
Zhang Wei
Sales Manager

From: followupd <zhang@factory.example>
Sent: Thursday, June 6, 2024 10:04 AM
To: Zhang Wei <zhang@factory.example>
Subject: [followupd] Draft 12 for Jörg Müller

{REVIEW}
"""

OUTLOOK_DE = f"""OK

Viele Grüße
Zhang Wei

________________________________
Von: followupd <zhang@factory.example>
Gesendet: Donnerstag, 6. Juni 2024 10:04
An: Zhang Wei <zhang@factory.example>
Betreff: [followupd] Draft 12

{REVIEW}
"""

OUTLOOK_DE_NO_RULE = f"""skip

Von: followupd <zhang@factory.example>
Gesendet: Donnerstag, 6. Juni 2024 10:04
{REVIEW}
"""

GERMAN_GMAIL = f"""Yes

Am Do., 6. Juni 2024 um 10:04 Uhr schrieb followupd <zhang@factory.example>:

{quoted()}
"""

FRENCH = f"""send

Le jeu. 6 juin 2024 à 10:04, followupd <zhang@factory.example> a écrit :
{quoted()}
"""

FOXMAIL = f"""同意

------------------&nbsp;Original&nbsp;------------------
发件人: "followupd"<zhang@factory.example>;
发送时间: 2024年6月6日(星期四) 上午10:04
{REVIEW}
""".replace("&nbsp;", " ")

FOXMAIL_CN = f"""同意发送，谢谢

------------------ 原始邮件 ------------------
发件人: "followupd"<zhang@factory.example>;
{REVIEW}
"""

NETEASE = f"""发送

在 2024-06-06 10:04:00，"followupd" <zhang@factory.example> 写道：
{quoted()}
"""

NETEASE_HEADER_ONLY = f"""stop

发件人：followupd
发送时间：2024-06-06 10:04
{REVIEW}
"""

# What followupd.mail.parse.html_to_text makes of an HTML-only Gmail reply.
HTML_CONVERTED = """**Approve**

On Thu, Jun 6, 2024 at 10:04 AM followupd <zhang@factory.example> wrote:

> Draft 12. Reply with: approve, skip or stop.
"""

TOP_POSTED_SIGNATURE = f"""

   OKAY!!

--
Zhang Wei | Export Sales | +86 574 0000 0000
-----Original Message-----
{REVIEW}
"""


@pytest.mark.parametrize(
    ("text", "verb"),
    [
        (GMAIL, "approve"),
        (APPLE_MAIL, "approve"),
        (THUNDERBIRD, "skip"),
        (OUTLOOK_EN, "stop"),
        (OUTLOOK_DE, "approve"),
        (OUTLOOK_DE_NO_RULE, "skip"),
        (GERMAN_GMAIL, "approve"),
        (FRENCH, "approve"),
        (FOXMAIL, "approve"),
        (FOXMAIL_CN, "approve"),
        (NETEASE, "approve"),
        (NETEASE_HEADER_ONLY, "stop"),
        (HTML_CONVERTED, "approve"),
        (TOP_POSTED_SIGNATURE, "approve"),
        ("STOP\r\n\r\n> quoted approve\r\n", "stop"),
    ],
)
def test_client_replies(text: str, verb: str) -> None:
    command = parse_command(text)
    assert command.verb == verb
    assert "Draft 12" not in strip_quoted(text)
    assert command.evidence in strip_quoted(text)


def test_strip_quoted_keeps_the_reps_whole_text() -> None:
    assert strip_quoted(OUTLOOK_EN) == "Stop.\n\nRegards,\nZhang Wei\nSales Manager"
    assert strip_quoted(APPLE_MAIL) == "ok, thanks\n\nSent from my iPhone"
    assert strip_quoted("no quote at all\n") == "no quote at all"


def test_rep_text_mentioning_from_or_on_is_not_cut() -> None:
    text = "skip\nFrom: our side the price stays.\nOn Monday I will call him.\n"
    assert strip_quoted(text) == text.strip()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n> approve\n",
        "Hi,\nplease approve\n",
        "don't send\n",
        "not ok\n",
        "maybe approve later",
        "请发送",  # a different Chinese phrase: not a known command
        f"On Thu, Jun 6, 2024 at 10:04 AM followupd wrote:\n{quoted()}",
    ],
)
def test_unknown_replies_raise_with_help(text: str) -> None:
    with pytest.raises(CommandError) as error:
        parse_command(text)
    message = str(error.value)
    assert "approve" in message and "skip" in message and "stop" in message


def test_evidence_is_the_first_line() -> None:
    command = parse_command("  Approve, but call him first\n\nthanks")
    assert command.verb == "approve"
    assert command.evidence == "Approve, but call him first"


# --- snooze, pause, now and the Chinese words --------------------------------------------


@pytest.mark.parametrize(
    ("text", "delay"),
    [
        ("snooze 3d", timedelta(days=3)),
        ("Snooze 12h", timedelta(hours=12)),
        ("SNOOZE 2w", timedelta(weeks=2)),
        ("snooze 3 days", timedelta(days=3)),
        ("snooze 1 week, he is travelling", timedelta(weeks=1)),
        ("snooze for a week", timedelta(weeks=1)),
        ("snooze: 1h", timedelta(hours=1)),
        ("snooze 90d", timedelta(days=90)),
        ("postpone 5 days", timedelta(days=5)),
        ("推迟 3天", timedelta(days=3)),
        ("推迟3天", timedelta(days=3)),
        ("推迟３天。", timedelta(days=3)),
        ("延后 2周", timedelta(weeks=2)),
        ("推迟 5小时", timedelta(hours=5)),
        ("推迟两个星期", timedelta(weeks=2)),
        ("延后十天再说", timedelta(days=10)),
        ("推迟1日", timedelta(days=1)),
    ],
)
def test_snooze(text: str, delay: timedelta) -> None:
    command = parse_command(f"{text}\n\n{quoted()}")
    assert command == Command(verb="snooze", evidence=text, delay=delay)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("snooze", "needs a time"),
        ("snooze later", "needs a time"),
        ("snooze 30m", "needs a time"),
        ("snooze 2 months", "needs a time"),
        ("推迟", "needs a time"),
        ("snooze 0d", "between 1 hour and 90 days"),
        ("snooze 91d", "between 1 hour and 90 days"),
        ("snooze 13w", "between 1 hour and 90 days"),
        ("推迟 100天", "between 1 hour and 90 days"),
    ],
)
def test_snooze_errors_explain_the_form(text: str, message: str) -> None:
    with pytest.raises(CommandError, match=message) as error:
        parse_command(text)
    assert "snooze 3d" in str(error.value) or "pause until" in str(error.value)


@pytest.mark.parametrize(
    "text",
    [
        "pause until 2026-12-01",
        "pause 2026-12-01",
        "Pause until 2026/12/01",
        "pause till 1 Dec 2026",
        "pause until December 1st, 2026",
        "pause until 2026.12.1",
        "暂停到2026-12-01",
        "暂停 至 2026年12月1日",
        "暂停直到2026-12-01",
        "暂停到２０２６－１２－０１",
    ],
)
def test_pause(text: str) -> None:
    command = parse_command(f"{text}\n\n{quoted()}")
    assert command == Command(verb="pause", evidence=text, until=date(2026, 12, 1))


def test_pause_takes_a_past_day_as_written() -> None:
    # The daemon compares the day with its own clock and explains a past day to the rep.
    assert parse_command("pause until 2020-01-01").until == date(2020, 1, 1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("pause", "needs a day"),
        ("pause until next month", "needs a day"),
        ("pause until 12/01", "needs a day"),
        ("暂停", "needs a day"),
        ("pause until 2026-02-30", "not a day in the calendar"),
        ("pause 2026-13-01", "not a day in the calendar"),
    ],
)
def test_pause_errors(text: str, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        parse_command(text)


@pytest.mark.parametrize("text", ["now", "Now.", "NOW!", "send now", "Send now.", "立即", "马上"])
def test_now(text: str) -> None:
    assert parse_command(f"{text}\n\n{quoted()}") == Command(verb="now", evidence=text)


@pytest.mark.parametrize("text", ["立即发送", "马上发", "现在发送。"])
def test_now_in_chinese(text: str) -> None:
    assert parse_command(text).verb == "now"


@pytest.mark.parametrize(
    "text",
    [
        "now I think we should wait",
        "Now that he has replied, skip it",
        "send now please",
        "立即打电话给他",
        "马上打电话",
    ],
)
def test_now_must_stand_alone(text: str) -> None:
    # Chosen behaviour: a line that starts with "now" but goes on is refused (not read as
    # some other command), because "now ..." is a common way to begin an English sentence.
    with pytest.raises(CommandError, match="reply with one of"):
        parse_command(text)


@pytest.mark.parametrize(
    ("text", "verb"),
    [
        ("跳过", "skip"),
        ("跳过这一封", "skip"),
        ("好", "approve"),
        ("好的，谢谢", "approve"),
        ("可以", "approve"),
        ("可以发", "approve"),
        ("同意。", "approve"),
        ("发送", "approve"),
        ("停止", "stop"),
        ("成交了！", "won"),
        ("丢单", "lost"),
        ("已收款", "paid"),
        ("approve，谢谢", "approve"),
        ("ＯＫ。", "approve"),
        ("Approve谢谢", "approve"),
        ("\u200bok", "approve"),
    ],
)
def test_chinese_words_and_full_width_text(text: str, verb: str) -> None:
    assert parse_command(f"{text}\n\n{quoted()}").verb == verb


@pytest.mark.parametrize(
    "text",
    [
        "好像不对，先别发",
        "好久没有消息了",
        "可以先等等吗",
        "可以吗？",
        "发送时间改到下周",
        "不同意",
        "同意吗",
        "ok?",
        "Approve?",
    ],
)
def test_sentences_that_merely_start_like_a_command_are_refused(text: str) -> None:
    with pytest.raises(CommandError, match="reply with one of"):
        parse_command(text)


@pytest.mark.parametrize(
    "text", ["设置 validity 2026-12-20", "设置：validity 2026-12-20", "set: validity 2026-12-20"]
)
def test_set_in_chinese_and_with_a_colon(text: str) -> None:
    command = parse_command(text)
    assert (command.verb, command.argument) == ("set", "validity 2026-12-20")


def test_help_lists_every_command() -> None:
    with pytest.raises(CommandError) as error:
        parse_command("what is this?")
    message = str(error.value)
    for word in ("approve", "now", "skip", "snooze", "pause", "stop", "set", "paid", "won"):
        assert re.search(rf"\b{word}\b", message), word
    assert "lost" in message and "推迟" in message and "暂停" in message


def test_command_checks_its_own_shape() -> None:
    with pytest.raises(ValueError):
        Command(verb="snooze", evidence="snooze")
    with pytest.raises(ValueError):
        Command(verb="approve", evidence="ok", delay=timedelta(days=1))
    with pytest.raises(ValueError):
        Command(verb="pause", evidence="pause")


@given(st.integers(min_value=1, max_value=90 * 24))
def test_any_snooze_in_range_reads_back(hours: int) -> None:
    assert parse_command(f"snooze {hours}h").delay == timedelta(hours=hours)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31)))
def test_any_day_reads_back_in_every_form(day: date) -> None:
    forms = [
        f"{day:%Y-%m-%d}",
        f"{day.year}/{day.month}/{day.day}",
        f"{day.year}年{day.month}月{day.day}日",
        f"{day.day} {day:%b} {day.year}".lower(),
        f"{day:%B} {day.day}, {day.year}",
    ]
    for form in forms:
        assert read_date(form) == (day, len(form)), form


# --- own text: bottom posting and the quote starters of Chinese clients -------------------


MUTT_BOTTOM = f"""On Tue, Nov 24, 2026 at 09:00:00AM +0800, followupd wrote:
{quoted()}

skip, he called me

--\x20
Zhang Wei
"""

INTERLEAVED = """On 24.11.2026 09:00, followupd wrote:
> Reply with: approve, skip or stop.

stop

> Token: FU-12-abcdefghij-abcdefghijklmnop

approve
"""


def test_bottom_posted_reply_is_read_below_the_quote() -> None:
    assert own_text(MUTT_BOTTOM) == "skip, he called me"
    assert parse_command(MUTT_BOTTOM) == Command(verb="skip", evidence="skip, he called me")
    assert strip_quoted(MUTT_BOTTOM) == ""


def test_bottom_posted_reply_with_quoted_attribution() -> None:
    text = (
        f"> On 24 Nov 2026, at 09:00, followupd <z@factory.example> wrote:\n>\n{quoted()}\n\nNow\n"
    )
    assert parse_command(text).verb == "now"


def test_only_the_first_block_below_the_quote_counts() -> None:
    assert own_text(INTERLEAVED) == "stop"
    assert parse_command(INTERLEAVED).verb == "stop"


def test_top_posted_text_wins_over_text_below() -> None:
    text = f"approve\n\nOn Tue, Nov 24, 2026 at 9:00 AM followupd wrote:\n{quoted()}\n\nstop\n"
    assert own_text(text) == "approve"


@pytest.mark.parametrize(
    "text",
    [
        f"On Tue, Nov 24, 2026 at 9:00 AM followupd wrote:\n{REVIEW}\n\napprove\n",
        f"From: followupd <z@factory.example>\nSent: Tuesday\nSubject: x\n\n{REVIEW}\napprove\n",
        f"{quoted()}\n",
        "",
    ],
)
def test_no_own_text_when_the_quote_has_no_visible_end(text: str) -> None:
    # Without '>' marks nothing shows where the quoted review ends; guessing could pick a
    # word from the draft.
    assert own_text(text) == ""
    with pytest.raises(CommandError, match="no command"):
        parse_command(text)


@pytest.mark.parametrize(
    "starter",
    [
        "------------------ 原始邮件 ------------------",
        "------------------&nbsp;原始邮件&nbsp;------------------",
        "------------------ Original ------------------",
        "------------------\u00a0Original\u00a0------------------",
        '在 2026-11-20 10:00:00，"Anna" <a@x.com> 写道：',
        "在 2026/11/20 10:00, Anna 写道:",
        "2026年11月20日 10:00，Anna <a@x.com> 写道：",
        "Anna <a@x.com> 于2026年11月20日周五 10:00写道：",
        "-----原始邮件-----",
    ],
)
def test_chinese_quote_starters(starter: str) -> None:
    text = f"同意\n\n{starter}\n{REVIEW}\n"
    assert strip_quoted(text) == "同意"
    assert parse_command(text).verb == "approve"


def test_any_wrote_line_followed_by_quote_marks_starts_the_quote() -> None:
    text = f"ok\n\nfollowupd <z@factory.example> wrote:\n{quoted('>')}\n"
    assert strip_quoted(text) == "ok"


def test_wrote_line_without_quote_marks_is_the_reps_text() -> None:
    text = "stop\nHe wrote:\nwe have enough stock\n"
    assert strip_quoted(text) == text.strip()


def test_a_line_starting_with_on_above_an_attribution_is_kept() -> None:
    text = f"skip\non it already\nOn Tue, Nov 24, 2026 at 9:00 AM followupd\nwrote:\n{quoted()}\n"
    assert strip_quoted(text) == "skip\non it already"


def test_read_delay_and_read_verb_work_at_an_offset() -> None:
    assert read_delay("xx 3d", 3) == (timedelta(days=3), 5)
    assert read_delay("3 doors") is None
    assert read_verb("ok 1", 0) == ("approve", 2)
    assert read_verb("send now 2") == ("now", 8)
    assert read_verb("同意1", 0) == ("approve", 2)
    assert read_verb("sentence") is None
