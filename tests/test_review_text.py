"""The review mail of a draft and the daily digest, in English and Chinese."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from followupd.approval.edit import DRAFT_END, DRAFT_START
from followupd.approval.review import (
    ZONE_SOURCES,
    DigestEntry,
    History,
    ReviewFacts,
    day_in,
    digest_subject,
    digest_text,
    review_subject,
    review_text,
    when,
    when_in,
)

BERLIN = ZoneInfo("Europe/Berlin")
SHANGHAI = ZoneInfo("Asia/Shanghai")
TOKEN = "FU-12-abcdefghij-abcdefghijklmnop"
# Trailing spaces (the signature separator), a long line and blank lines must all survive.
DRAFT = (
    "Dear Hans,\n\n"
    "just checking whether PI 2026-118 reached you; the prices hold until 15 December, and the "
    "bearings can ship from Ningbo within three weeks of your deposit.\n\n"
    "If you would rather stop here, a short note is enough.\n\n"
    "-- \n"
    "Anna Chen\n"
)
NOT_READ = History(
    sent_count=2,
    last_sent_at=datetime(2026, 11, 20, 2, 0, tzinfo=UTC),
    last_sent_subject="Re: Quote for deep groove ball bearings 6204-2RS, 20,000 pcs",
    read=False,
    last_reply_at=None,
    last_reply_from="",
)


def facts(**changes: object) -> ReviewFacts:
    base = ReviewFacts(
        token=TOKEN,
        step_number=2,
        steps_total=4,
        cadence="pi",
        buyer_name="Hans Becker",
        buyer_email="hans@becker.de",
        buyer_company="Becker Lager GmbH",
        buyer_country="DE",
        buyer_tz=BERLIN,
        rep_tz=SHANGHAI,
        thread_subject="PI 2026-118 deep groove ball bearings",
        enrolled_at=datetime(2026, 11, 10, 3, 0, tzinfo=UTC),
        now=datetime(2026, 11, 24, 13, 5, tzinfo=UTC),
        send_at=datetime(2026, 12, 3, 9, 57, tzinfo=UTC),
        draft_subject="Re: PI 2026-118 deep groove ball bearings",
        draft_text=DRAFT,
        zone_source="learned",
        history=NOT_READ,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def draft_block(text: str) -> str:
    start = text.index(DRAFT_START + "\n") + len(DRAFT_START) + 1
    return text[start : text.index("\n" + DRAFT_END + "\n", start)]


def test_english_review_mail_shows_everything_needed() -> None:
    text = review_text(facts())
    lines = text.splitlines()
    assert lines[0] == "followupd drafted follow-up 2 of 4 (cadence pi)."
    assert "Buyer:      Hans Becker <hans@becker.de>, Becker Lager GmbH" in lines
    assert (
        "Country:    Germany, 14:05 local time now (Europe/Berlin, learned from their mails)"
        in lines
    )
    assert "Thread:     PI 2026-118 deep groove ball bearings (tracked since 2026-11-10)" in lines
    assert (
        'Sent:       2 mails, last on 2026-11-20 ("Re: Quote for deep groove ball bearings…"), '
        "not read" in lines
    )
    assert "Last reply: none" in lines
    assert (
        "Goes out:   Thu 2026-12-03 10:57 buyer time (Thu 17:57 your time), once you approve"
        in lines
    )
    commands = [line.split("  ")[1] for line in lines if line.startswith("  ")]
    assert commands == [
        "approve",
        "now",
        "skip",
        "snooze 3d",
        "pause until YYYY-MM-DD",
        "stop",
        "won / lost",
        "paid",
        "set <key> <value>",
    ]
    assert "(also: ok, yes, send)" in text
    assert "edit it between the two marker lines" in text
    assert "your edited text is sent" in text
    assert text.endswith(f"\nToken: {TOKEN}\n")


def test_subject_is_above_and_outside_the_markers() -> None:
    lines = review_text(facts()).splitlines()
    start, end = lines.index(DRAFT_START), lines.index(DRAFT_END)
    assert lines[start - 1] == "Subject: Re: PI 2026-118 deep groove ball bearings"
    assert not any(line.startswith("Subject:") for line in lines[start:end])


def test_draft_text_is_byte_exact_between_the_markers() -> None:
    for lang in ("en", "zh"):
        text = review_text(facts(language=lang))
        assert draft_block(text) == DRAFT.rstrip()
        assert text.count(DRAFT_START) == 1 and text.count(DRAFT_END) == 1


def test_review_subject_keeps_the_token() -> None:
    assert review_subject(facts()) == (
        f"[{TOKEN}] Draft 2/4 for Hans Becker: PI 2026-118 deep groove ball bearings"
    )
    assert review_subject(facts(language="zh")) == (
        f"[{TOKEN}] 跟进草稿 2/4 · Hans Becker · PI 2026-118 deep groove ball bearings"
    )


def test_chinese_review_mail() -> None:
    text = review_text(facts(language="zh"))
    lines = text.splitlines()
    assert lines[0] == "followupd 已起草第 2/4 封跟进邮件（跟进节奏：pi）。"
    assert "买家：Hans Becker <hans@becker.de>（公司：Becker Lager GmbH）" in lines
    assert "国家/地区：德国，对方当地时间现在 14:05（Europe/Berlin，根据对方来信推断）" in lines
    assert (
        "已发送：2 封，最近一次 2026-11-20，主题“Re: Quote for deep groove ball bearings…”，未读"
        in lines
    )
    assert "最近回复：无" in lines
    assert (
        "发送时间：2026-12-03 周四 10:57（买家当地时间），您的时间 17:57；需您同意后发出" in lines
    )
    # The Chinese command words come first; the English ones still work and are named.
    for zh, en in (("同意", "approve"), ("立即", "now"), ("跳过", "skip"), ("推迟 3天", "snooze")):
        assert text.index(zh) < text.index(en)
    for word in ("暂停到 2026-12-01", "停止", "成交", "丢单", "已付款", "设置 <项> <值>"):
        assert word in text
    assert "在下面两条标记行之间编辑" in text
    assert text.endswith(f"\nToken: {TOKEN}\n")


def test_when_in_both_languages() -> None:
    at = datetime(2026, 12, 3, 9, 57, tzinfo=UTC)
    assert when(at, BERLIN, SHANGHAI) == "Thu 2026-12-03 10:57 buyer time (Thu 17:57 your time)"
    assert when_in("en", at, BERLIN, SHANGHAI) == when(at, BERLIN, SHANGHAI)
    assert (
        when_in("zh", at, BERLIN, SHANGHAI)
        == "2026-12-03 周四 10:57（买家当地时间），您的时间 17:57"
    )
    # The rep's weekday is named when it is another day for the rep.
    late = datetime(2026, 12, 3, 20, 0, tzinfo=UTC)
    assert when_in("zh", late, BERLIN, SHANGHAI) == (
        "2026-12-03 周四 21:00（买家当地时间），您的时间 周五 04:00"
    )
    assert day_in("zh", date(2026, 12, 6)) == "2026-12-06 周日"
    assert day_in("en", date(2026, 12, 6)) == "Sun 2026-12-06"


def test_local_time_follows_the_buyers_clock_change() -> None:
    # Berlin leaves summer time on 2026-10-25: noon UTC is 14:00 before, 13:00 after.
    before = review_text(facts(now=datetime(2026, 10, 24, 12, 0, tzinfo=UTC)))
    after = review_text(facts(now=datetime(2026, 10, 26, 12, 0, tzinfo=UTC)))
    assert "Germany, 14:00 local time now" in before
    assert "Germany, 13:00 local time now" in after
    send = review_text(facts(send_at=datetime(2026, 10, 26, 9, 0, tzinfo=UTC)))
    assert "Mon 2026-10-26 10:00 buyer time (Mon 17:00 your time)" in send


def test_country_names_in_both_languages() -> None:
    us = facts(buyer_country="us", buyer_tz=ZoneInfo("America/Chicago"), zone_source="")
    assert "Country:    United States, 07:05 local time now (America/Chicago)" in review_text(us)
    assert "国家/地区：美国，对方当地时间现在 07:05（America/Chicago）" in review_text(
        replace(us, language="zh")
    )
    ae = facts(buyer_country="AE", language="zh")
    assert "阿拉伯联合酋长国" in review_text(ae)
    unknown = facts(buyer_country="", zone_source="default")
    assert "Country:    unknown, 14:05 local time now (Europe/Berlin, default: nothing known" in (
        review_text(unknown)
    )
    assert "国家/地区：未知" in review_text(replace(unknown, language="zh"))


def test_zone_sources_exist_in_both_languages() -> None:
    assert ZONE_SOURCES["learned"] == {"en": "learned from their mails", "zh": "根据对方来信推断"}
    assert all(set(texts) == {"en", "zh"} for texts in ZONE_SOURCES.values())


def test_history_when_read() -> None:
    read = replace(NOT_READ, sent_count=1, last_sent_subject="PI 77", read=True)
    assert 'Sent:       1 mail, on 2026-11-20 ("PI 77"), read' in review_text(facts(history=read))
    assert "已发送：1 封，2026-11-20，主题“PI 77”，已读" in review_text(
        facts(history=read, language="zh")
    )
    unknown = replace(read, read=None)
    assert ", read or not: unknown" in review_text(facts(history=unknown))


def test_history_when_the_buyer_replied() -> None:
    replied = replace(
        NOT_READ,
        last_reply_at=datetime(2026, 11, 18, 1, 30, tzinfo=UTC),
        last_reply_from="einkauf@becker.de",
    )
    assert "Last reply: 2026-11-18 from einkauf@becker.de" in review_text(facts(history=replied))
    assert "最近回复：2026-11-18，来自 einkauf@becker.de" in review_text(
        facts(history=replied, language="zh")
    )


def test_history_is_two_lines_even_with_nothing_sent() -> None:
    nothing = History(
        sent_count=0,
        last_sent_at=None,
        last_sent_subject="",
        read=None,
        last_reply_at=None,
        last_reply_from="",
    )
    lines = review_text(facts(history=nothing)).splitlines()
    at = lines.index("Sent:       nothing yet")
    assert lines[at + 1] == "Last reply: none"
    assert lines[at + 2].startswith("Goes out:")


def test_objection_window_is_explained() -> None:
    objecting = facts(objection_until=datetime(2026, 12, 2, 12, 0, tzinfo=UTC))
    assert (
        "Goes out:   Thu 2026-12-03 10:57 buyer time (Thu 17:57 your time), unless you reply "
        "skip or stop before Wed 2026-12-02 20:00 your time"
    ) in review_text(objecting)
    assert "once you approve" not in review_text(objecting)
    zh = review_text(replace(objecting, language="zh"))
    assert "除非您在 2026-12-02 周三 20:00（您的时间）之前回复“跳过”或“停止”" in zh


def test_digest_lists_numbered_drafts_and_how_to_answer() -> None:
    other_draft = "Dear Ms Rossi,\n\nthe samples left today.\n"
    entries = [
        DigestEntry(number=1, facts=facts(token="FU-1-x-y")),
        DigestEntry(
            number=2,
            facts=facts(
                token="FU-2-x-y",
                buyer_name="Giulia Rossi",
                buyer_email="g.rossi@ferro.it",
                buyer_company="",
                buyer_country="IT",
                buyer_tz=ZoneInfo("Europe/Rome"),
                draft_subject="Re: Samples",
                draft_text=other_draft,
            ),
        ),
    ]
    token = "FD-3-abcdefghij-abcdefghijklmnop"
    text = digest_text(token, entries, "en")
    lines = text.splitlines()
    assert lines[0] == "followupd drafted 2 follow-up(s) for you to review."
    for example in ("approve 1 3, skip 2", "snooze 2 3d", "now 1", "stop 4"):
        assert f"  {example}" in lines
    assert "not taken from a reply to this digest" in text
    first = lines.index("1. Draft 2/4 for Hans Becker")
    second = lines.index("2. Draft 2/4 for Giulia Rossi")
    assert first < second
    assert "   Buyer:      Giulia Rossi <g.rossi@ferro.it>" in lines
    assert "   Country:    Italy, 14:05 local time now (Europe/Rome, learned from their mails)" in (
        lines
    )
    assert "   Last reply: none" in lines
    assert "   Subject: Re: Samples" in lines
    assert DRAFT.rstrip() in text and other_draft.rstrip() in text
    # No edit markers, no per-draft tokens: edits are not taken, and one token answers all.
    assert DRAFT_START not in text and DRAFT_END not in text
    assert "FU-1-x-y" not in text and "FU-2-x-y" not in text
    assert text.count("Token: ") == 1 and text.endswith(f"\nToken: {token}\n")


def test_chinese_digest() -> None:
    entries = [DigestEntry(number=1, facts=facts(language="zh"))]
    text = digest_text("FD-1-a-b", entries, "zh")
    assert "同意 1 3，跳过 2" in text
    assert "1. 跟进草稿 2/4 · Hans Becker" in text
    assert "   国家/地区：德国" in text
    assert digest_subject("FD-1-a-b", 3, date(2026, 12, 3), "zh") == (
        "[FD-1-a-b] 待审核跟进草稿：3 份（2026-12-03 周四）"
    )
    assert digest_subject("FD-1-a-b", 3, date(2026, 12, 3), "en") == (
        "[FD-1-a-b] Drafts to review: 3 (Thu 2026-12-03)"
    )
