"""The rep's other answers in the loop: now, snooze, pause, an edited draft, a digest, the
approval policies and the rep's language; every reply fully authenticated (Sent copy)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from loop_helpers import assert_good_slot, drafts, followups, plain_text, steps, thread_states

from followupd.approval.edit import DRAFT_END, DRAFT_START
from followupd.demo.world import REP, REP_TZ, World

pytestmark = pytest.mark.pymap


_text = plain_text
_drafts = drafts


async def _first_review(w: World, subject: str = "PI 2026-118 ball bearings") -> None:
    await w.rep_sends_pi(subject=subject)
    await w.advance_until(lambda: len(w.reviews()) == 1)


async def test_now_sends_at_the_first_allowed_slot(tmp_path: Path) -> None:
    async with World(tmp_path) as w:
        await _first_review(w)
        approved_at = w.clock.now()
        await w.rep_replies(w.reviews()[0], "now")
        (confirmation,) = w.notices("Approved:")
        assert "next allowed" in _text(confirmation)
        await w.advance_until(lambda: len(followups(w)) == 1)
        assert_good_slot(followups(w)[0], approved_at)
        # The first allowed slot: within a day of the approval (Chicago working hours).
        assert w.clock.now() - approved_at < timedelta(days=1, hours=12)


async def test_snooze_sets_the_draft_aside_and_drafts_again_later(tmp_path: Path) -> None:
    async with World(tmp_path) as w:
        await _first_review(w)
        snoozed_at = w.clock.now()
        await w.rep_replies(w.reviews()[0], "snooze 3d")
        assert w.notices("Snoozed:")
        assert [d.state for d in await _drafts(w)] == ["snoozed"]
        assert await thread_states(w) == ["active"]
        await w.advance_until(lambda: len(w.reviews()) == 2)
        assert w.clock.now() - snoozed_at >= timedelta(days=3)
        assert followups(w) == []


async def test_pause_until_a_date_in_chinese(tmp_path: Path) -> None:
    async with World(tmp_path) as w:
        await _first_review(w)
        await w.rep_replies(w.reviews()[0], "暂停到 2026-12-10")
        assert w.notices("Paused:")
        assert [d.state for d in await _drafts(w)] == ["paused"]
        await w.advance_until(lambda: len(w.reviews()) == 2)
        assert w.clock.now().date().isoformat() >= "2026-12-10"
        assert followups(w) == []


async def test_a_pause_date_in_the_past_changes_nothing(tmp_path: Path) -> None:
    async with World(tmp_path) as w:
        await _first_review(w)
        await w.rep_replies(w.reviews()[0], "pause until 2026-01-01")
        assert [d.state for d in await _drafts(w)] == ["pending"]
        assert not w.notices("Paused:")
        # The token was not used up: the rep can still approve.
        await w.rep_replies(w.reviews()[0], "approve")
        assert w.notices("Approved:")


def _edited(text: str) -> str:
    start, end = text.index(DRAFT_START), text.index(DRAFT_END)
    return (
        text[: start + len(DRAFT_START)]
        + "\nDear Mr. Becker,\n\nwe can hold the price until Friday.\n\nAnna\n"
        + text[end:]
    )


async def test_an_edited_draft_is_what_the_buyer_gets(tmp_path: Path) -> None:
    async with World(tmp_path) as w:
        await _first_review(w)
        review_text = _text(w.reviews()[0])
        # The subject stays outside the markers; the draft inside is exactly what is sent.
        assert review_text.index("Subject:") < review_text.index(DRAFT_START)
        await w.rep_replies(w.reviews()[0], "", edit=_edited)
        assert w.notices("Approved:")
        await w.advance_until(lambda: len(followups(w)) == 1)
        sent = _text(followups(w)[0])
        assert "we can hold the price until Friday." in sent
        assert "Dear Hans Becker" not in sent
        assert ">" not in sent and DRAFT_START not in sent
        html = followups(w)[0].message.get_body(preferencelist=("html",))
        assert html is not None and "hold the price until Friday" in html.get_content()


async def test_an_edit_with_a_header_injection_is_refused(tmp_path: Path) -> None:
    def inject(text: str) -> str:
        start, end = text.index(DRAFT_START), text.index(DRAFT_END)
        return (
            text[: start + len(DRAFT_START)]
            + "\nDear Hans,\nBcc: thief@evil.test\n\nprice list attached.\n"
            + text[end:]
        )

    async with World(tmp_path) as w:
        await _first_review(w)
        await w.rep_replies(w.reviews()[0], "approve", edit=inject)
        assert w.notices("Edit refused:")
        assert "Bcc" in _text(w.notices("Edit refused:")[0])
        assert [d.state for d in await _drafts(w)] == ["pending"]
        w.clock.jump_to(w.clock.now() + timedelta(days=2))
        await w.settle()
        assert followups(w) == []
        assert w.mails_to("thief@evil.test") == []


async def test_an_oversized_reply_is_refused(tmp_path: Path) -> None:
    async with World(tmp_path) as w:
        await _first_review(w)
        await w.rep_replies(w.reviews()[0], "approve\n\n" + "x" * 1_100_000)
        assert w.notices("Command refused:")
        assert "short reply" in _text(w.notices("Command refused:")[0])
        assert [d.state for d in await _drafts(w)] == ["pending"]


async def test_policy_auto_sends_without_a_review(tmp_path: Path) -> None:
    async with World(tmp_path, mailbox_extra={"approval_policy": "auto"}) as w:
        enrolled = w.clock.now()
        await w.rep_sends_pi(subject="PI 2026-118 ball bearings")
        await w.advance_until(lambda: len(followups(w)) == 1)
        assert w.reviews() == []
        assert_good_slot(followups(w)[0], enrolled)
        assert [d.policy for d in await _drafts(w)] == ["auto"]


async def test_unless_objected_goes_out_after_the_window(tmp_path: Path) -> None:
    async with World(tmp_path, mailbox_extra={"approval_policy": "unless-objected:12h"}) as w:
        await _first_review(w)
        reviewed_at = w.clock.now()
        assert "unless" in _text(w.reviews()[0])
        await w.advance_until(lambda: len(followups(w)) == 1)
        assert w.clock.now() - reviewed_at >= timedelta(hours=12)
        assert (await _drafts(w))[0].state == "approved"


async def test_unless_objected_skip_before_the_slot_stops_it(tmp_path: Path) -> None:
    async with World(tmp_path, mailbox_extra={"approval_policy": "unless-objected:12h"}) as w:
        await _first_review(w)
        await w.rep_replies(w.reviews()[0], "skip")
        assert w.notices("Skipped:")
        # The next step is drafted later, but the skipped one never reaches the buyer.
        await w.advance_until(lambda: len(w.reviews()) == 2)
        assert followups(w) == []
        assert (1, "skipped") in await steps(w)


async def test_a_digest_lists_the_drafts_and_takes_numbers(tmp_path: Path) -> None:
    extra = {"review": "digest", "digest_hour": 9}
    async with World(tmp_path, mailbox_extra=extra) as w:
        await w.rep_sends_pi(subject="PI 2026-118 ball bearings")
        await w.rep_sends_pi(
            subject="PI 2026-119 taper rollers", buyer="jo@other-buyer.test", buyer_name="Jo Lee"
        )
        await w.advance_until(lambda: len(w.digests()) == 1, limit=60)
        assert w.reviews() == []
        digest = w.digests()[0]
        text = _text(digest)
        assert "FD-" in text and "1." in text and "2." in text
        assert "PI 2026-118" in text and "PI 2026-119" in text
        assert w.clock.now().astimezone(REP_TZ).hour == 9
        drafts = await _drafts(w)
        first = next(d for d in drafts if "2026-118" in d.subject)
        other = 3 - (first.digest_number or 0)
        await w.rep_replies(digest, f"approve {first.digest_number}, skip {other}")
        outcome = w.mails_to(REP)[-1]
        assert "Digest" in str(outcome.message["Subject"])
        states = {d.subject: d.state for d in await _drafts(w)}
        assert states["Re: PI 2026-118 ball bearings"] == "approved"
        assert states["Re: PI 2026-119 taper rollers"] == "skipped"
        await w.advance_until(lambda: len(followups(w)) == 1)
        assert len(w.mails_to("jo@other-buyer.test")) == 1  # the PI only
        # A second answer to the same digest is a replay.
        await w.rep_replies(digest, "approve all")
        assert w.notices("Command refused:")


async def test_the_rep_interface_in_chinese(tmp_path: Path) -> None:
    async with World(tmp_path, mailbox_extra={"rep_language": "zh"}) as w:
        await _first_review(w)
        review = _text(w.reviews()[0])
        assert "买家" in review and "同意" in review and DRAFT_START in review
        # The draft itself stays in the buyer's language.
        assert "Dear Hans Becker" in review
        await w.rep_replies(w.reviews()[0], "同意")
        confirmation = w.mails_to(REP)[-1]
        assert any("\u4e00" <= ch <= "\u9fff" for ch in str(confirmation.message["Subject"]))
        await w.advance_until(lambda: len(followups(w)) == 1)


async def test_in_a_digest_the_objection_window_starts_when_the_digest_is_sent(
    tmp_path: Path,
) -> None:
    extra = {"review": "digest", "approval_policy": "unless-objected:12h"}
    async with World(tmp_path, mailbox_extra=extra) as w:
        await w.rep_sends_pi(subject="PI 2026-118 ball bearings")
        await w.advance_until(lambda: len(w.digests()) == 1, limit=60)
        digest_at = w.clock.now()
        assert "unless" in _text(w.digests()[0]) or "skip" in _text(w.digests()[0])
        assert [d.state for d in await _drafts(w)] == ["objectable"]
        await w.advance_until(lambda: len(followups(w)) == 1, limit=60)
        assert w.clock.now() - digest_at >= timedelta(hours=12)
