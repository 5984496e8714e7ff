"""Reading the rep's edited draft from replies shaped like those of real mail clients."""

from __future__ import annotations

from email.message import EmailMessage
from html import escape

import pytest
from hypothesis import given
from hypothesis import strategies as st

from followupd.approval.edit import (
    DRAFT_END,
    DRAFT_START,
    MAX_CHARS,
    EditResult,
    extract_edit,
    mark_draft,
    normalise,
)
from followupd.mail.htmltext import html_to_text
from followupd.mail.parse import parse_message

DRAFT = """Dear Mr. Smith,

Thank you for visiting our booth at the Canton Fair. As promised, our quotation for the
12V LED drivers is attached.

The prices are valid until 20 December.

Best regards,
Anna Li
Sales Manager"""

EDITED = DRAFT.replace(
    "valid until 20 December.", "valid until 31 December, and we can ship in January."
)

DRAFT_ZH = """王先生您好：

感谢您在广交会上参观我们的展位。报价单请见附件，价格有效期至12月20日。

此致
敬礼
李安娜"""

EDITED_ZH = DRAFT_ZH.replace("12月20日", "12月31日，一月可以发货")


def review(draft: str) -> str:
    """A review mail as the rep receives it, the draft's subject outside the markers."""
    return (
        "followupd drafted follow-up 2 of 3 (cadence quote).\n"
        "\n"
        "Buyer:   John Smith <john@buyer.example> (America/Chicago)\n"
        "Reply with approve, skip or stop; to change the draft, edit it between the markers.\n"
        "\n"
        "Subject: Re: Quotation LED drivers\n"
        f"{mark_draft(draft)}"
        "\n"
        "Token: FU-12-abcdefghij\n"
    )


def quote(text: str, prefix: str = "> ") -> str:
    """``text`` quoted the way plain-text clients do (blank lines get a bare ">")."""
    return "\n".join((prefix + line) if line else prefix.rstrip() for line in text.split("\n"))


def accepted(result: EditResult | None) -> str:
    assert result is not None
    assert result.problems == ()
    return result.text


def refused(result: EditResult | None) -> str:
    assert result is not None
    assert result.text == ""
    assert result.problems
    return " ".join(result.problems)


# --- mark_draft ---------------------------------------------------------------------------


def test_mark_draft_puts_the_body_between_the_markers() -> None:
    assert mark_draft("Dear Mr. Smith,\n\nthanks.\n\n\n") == (
        f"{DRAFT_START}\nDear Mr. Smith,\n\nthanks.\n{DRAFT_END}\n"
    )


def test_mark_draft_uses_one_kind_of_line_end() -> None:
    assert mark_draft("a\r\nb\rc") == f"{DRAFT_START}\na\nb\nc\n{DRAFT_END}\n"


def test_marker_values_are_the_ones_review_mails_show() -> None:
    assert DRAFT_START == "=== DRAFT START (edit below) ==="
    assert DRAFT_END == "=== DRAFT END ==="


def test_round_trip_unchanged_is_no_edit() -> None:
    assert extract_edit(review(DRAFT), DRAFT) is None


def test_round_trip_edited() -> None:
    assert accepted(extract_edit(review(EDITED), DRAFT)) == EDITED


# --- normalise ----------------------------------------------------------------------------


def test_normalise_line_ends_and_trailing_spaces() -> None:
    assert normalise("a  \r\nb\t\rc ") == "a\nb\nc"


def test_normalise_invisible_characters() -> None:
    assert normalise("\ufeffDear\u00a0Mr.\u200b Smith\u2060,") == "Dear Mr. Smith,"


def test_normalise_keeps_zero_width_joiner_of_emoji() -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert normalise(family) == family


def test_normalise_collapses_long_runs_of_blank_lines() -> None:
    assert normalise("a\n\n\n\n\n\nb\n\nc") == "a\n\n\nb\n\nc"


def test_normalise_strips_blank_lines_around_but_keeps_indentation() -> None:
    assert normalise("\n \n\n    indented\nnext\n\n  \n") == "    indented\nnext"


def test_normalise_composes_accents() -> None:
    assert normalise("Mu\u0308ller") == "M\u00fcller"


# --- replies from real clients ------------------------------------------------------------


def test_thunderbird_plain_text_quote() -> None:
    reply = f"On 02.03.26 09:00, followupd wrote:\n{quote(review(EDITED))}\n"
    assert accepted(extract_edit(reply, DRAFT)) == EDITED


@pytest.mark.parametrize("prefix", ["> ", ">", ">> ", "> > ", ">>", " > "])
def test_quote_prefixes_of_any_depth_are_removed(prefix: str) -> None:
    reply = "approve\n\n" + quote(review(EDITED), prefix)
    assert accepted(extract_edit(reply, DRAFT)) == EDITED


def test_lines_the_rep_typed_without_prefix_inside_the_quote() -> None:
    quoted = quote(review(DRAFT)).replace(
        "> The prices are valid until 20 December.",
        "The prices are valid until 31 December, and we can ship in January.",
    )
    assert accepted(extract_edit(quoted, DRAFT)) == EDITED


def test_drafts_own_quotes_keep_their_level() -> None:
    draft = "Dear Mr. Smith,\n\nyou asked:\n> Can you ship in January?\n\nYes.\n\nAnna"
    edited = draft.replace("Yes.", "Yes, from the 10th.")
    reply = "ok\n\n" + quote(review(edited))
    assert accepted(extract_edit(reply, draft)) == edited


def test_gmail_top_posted_reply() -> None:
    reply = (
        "Approve with my change, thanks\n"
        "\n"
        "On Mon, 2 Mar 2026 at 09:00, followupd <anna@factory.example>\n"
        "wrote:\n"
        "\n"
        f"{quote(review(EDITED))}\n"
    )
    assert accepted(extract_edit(reply, DRAFT)) == EDITED


def test_outlook_unprefixed_quote_below_header_block() -> None:
    # The header block's To:/Subject: lines are outside the markers and do not count.
    reply = (
        "OK, send my version.\r\n\r\nAnna\r\n\r\n"
        "________________________________\r\n"
        "From: followupd <anna@factory.example>\r\n"
        "Sent: Monday, March 2, 2026 9:00 AM\r\n"
        "To: Anna Li <anna@factory.example>\r\n"
        "Subject: [FU-12] Draft 2/3 for John Smith: Quotation LED drivers\r\n\r\n"
        + review(EDITED).replace("Best regards,", "Best regards,\u00a0").replace("\n", "\r\n")
    )
    assert accepted(extract_edit(reply, DRAFT)) == EDITED


def gmail_html(review_text: str, *, per_line_divs: bool) -> str:
    """An HTML-only Gmail reply that quotes ``review_text`` in a blockquote."""
    if per_line_divs:
        quoted = "".join(
            f"<div>{escape(line)}</div>" if line else "<div><br></div>"
            for line in review_text.split("\n")
        )
    else:
        quoted = '<div dir="ltr">' + "<br>".join(escape(x) for x in review_text.split("\n"))
        quoted += "</div>"
    return (
        '<html><head><style>p{margin:0}</style></head><body><div dir="ltr">'
        "Approve, with the new date.<br></div><br>"
        '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Mon, 2 Mar 2026 at '
        "09:00 followupd &lt;anna@factory.example&gt; wrote:<br></div>"
        '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px '
        f'solid rgb(204,204,204);padding-left:1ex">{quoted}</blockquote></div></body></html>'
    )


@pytest.mark.parametrize("per_line_divs", [True, False])
def test_html_only_reply_through_html_to_text(per_line_divs: bool) -> None:
    text = html_to_text(gmail_html(review(EDITED), per_line_divs=per_line_divs))
    assert f"> {DRAFT_START}" in text  # The blockquote became a "> " quote.
    assert accepted(extract_edit(text, DRAFT)) == EDITED


def test_html_only_reply_through_the_mail_parser() -> None:
    msg = EmailMessage()
    msg["From"] = "Anna Li <anna@factory.example>"
    msg["To"] = "anna@factory.example"
    msg["Subject"] = "Re: [FU-12] Draft 2/3 for John Smith"
    msg["Message-ID"] = "<reply-1@factory.example>"
    msg.set_content(gmail_html(review(EDITED_ZH), per_line_divs=True), subtype="html")
    parsed = parse_message(bytes(msg))
    assert accepted(extract_edit(parsed.text, DRAFT_ZH)) == EDITED_ZH


def test_html_blank_lines_inside_a_blockquote_have_no_prefix() -> None:
    # html_to_text writes paragraph breaks inside a quote as bare empty lines.
    html = "<blockquote>" + "".join(f"<p>{escape(x)}</p>" for x in review(EDITED).split("\n"))
    text = html_to_text(html + "</blockquote>")
    assert "\n\n> " in text
    assert accepted(extract_edit(text, DRAFT)).split() == EDITED.split()


def test_html_pre_joins_the_lines_unchanged_is_no_edit() -> None:
    # html_to_text collapses the newlines of a <pre>: the draft arrives as one line.
    text = html_to_text(f"<p>ok</p><blockquote><pre>{escape(review(DRAFT))}</pre></blockquote>")
    assert len(text.split("\n")) < 5
    assert extract_edit(text, DRAFT) is None


def test_html_pre_joins_the_lines_edit_is_refused() -> None:
    text = html_to_text(f"<blockquote><pre>{escape(review(EDITED))}</pre></blockquote>")
    assert "lines of their own" in refused(extract_edit(text, DRAFT))


def test_foxmail_chinese_reply() -> None:
    reply = (
        "同意，按我修改后的发送。\n"
        "\n"
        '在 2026年3月2日(星期一) 上午9:00，"followupd"<anna@factory.example> 写道：\n'
        f"{quote(review(EDITED_ZH))}\n"
    )
    assert accepted(extract_edit(reply, DRAFT_ZH)) == EDITED_ZH


def test_chinese_client_signature_and_attribution_inside_the_block() -> None:
    inside = EDITED_ZH + (
        '\n\n发自我的iPhone\n\n在 2026年3月2日 09:00，"followupd"<anna@factory.example> 写道：'
    )
    assert accepted(extract_edit(review(inside), DRAFT_ZH)) == EDITED_ZH


def test_wrapped_english_attribution_inside_the_block() -> None:
    inside = EDITED + "\n\nOn Mon, 2 Mar 2026 at 09:00, followupd <\nanna@factory.example> wrote:"
    assert accepted(extract_edit(review(inside), DRAFT)) == EDITED


@pytest.mark.parametrize(
    "signature",
    [
        "Sent from my iPhone",
        "Get Outlook for iOS<https://aka.ms/o0ukef>",
        "-- \nSent from my Samsung Galaxy smartphone.",
        "Von meinem iPhone gesendet",
        "发自网易邮箱大师",
    ],
)
def test_client_signature_inside_the_block_is_dropped(signature: str) -> None:
    reply = quote(review(EDITED + "\n\n" + signature))
    assert accepted(extract_edit(reply, DRAFT)) == EDITED


def test_reps_own_closing_and_signature_stay() -> None:
    edited = EDITED + "\n-- \nAnna Li | Sales | +86 20 1234 5678"
    assert accepted(extract_edit(review(edited), DRAFT)) == edited.replace("-- \n", "--\n")
    assert "Best regards,\nAnna Li" in accepted(extract_edit(review(EDITED), DRAFT))


# --- no edit ------------------------------------------------------------------------------


def test_reply_without_markers_is_no_edit() -> None:
    assert extract_edit("approve\n\nOn Mon wrote:\n> Dear Mr. Smith,", DRAFT) is None


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(quote(review(DRAFT)), id="plain-quote"),
        pytest.param(review(DRAFT).replace("\n", "\r\n"), id="outlook"),
        pytest.param(html_to_text(gmail_html(review(DRAFT), per_line_divs=True)), id="html"),
    ],
)
def test_quoted_but_unchanged_draft_is_no_edit(reply: str) -> None:
    assert extract_edit("approve\n\n" + reply, DRAFT) is None


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda s: s.replace("Dear Mr. Smith,", "Dear  Mr. Smith,   "), id="spaces"),
        pytest.param(lambda s: s.replace("Thank you", "\n\n\nThank you"), id="blank-lines"),
        pytest.param(lambda s: s.replace(" our quotation", "\nour quotation"), id="re-wrapped"),
        pytest.param(lambda s: s.replace("Mr. Smith", "Mr.\u00a0Smith"), id="nbsp"),
        pytest.param(lambda s: s.replace("\n", "\n\t"), id="tabs"),
    ],
)
def test_whitespace_only_change_is_no_edit(change: object) -> None:
    assert callable(change)
    edited = change(DRAFT)
    assert edited != DRAFT
    assert extract_edit(quote(review(edited)), DRAFT) is None


def test_repeated_unchanged_copies_are_no_edit() -> None:
    # A reply to a reply: the review mail is quoted twice, the draft untouched in both.
    reply = "ok\n\n" + quote(review(DRAFT)) + "\n\n" + quote(review(DRAFT), ">> ")
    assert extract_edit(reply, DRAFT) is None


# --- refusals -----------------------------------------------------------------------------


def _swap(text: str) -> str:
    return text.replace(DRAFT_START, "\0").replace(DRAFT_END, DRAFT_START).replace("\0", DRAFT_END)


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        pytest.param(review(EDITED).replace(DRAFT_END, ""), "where your edit ends", id="no-end"),
        pytest.param(review(EDITED).replace(DRAFT_START, ""), "edit begins", id="no-start"),
        pytest.param(_swap(review(EDITED)), "comes before", id="wrong-order"),
        pytest.param(
            review(f"{EDITED}\n{DRAFT_START}\nother\n{DRAFT_END}"), "more than once", id="nested"
        ),
        pytest.param(
            "my edit:\n" + mark_draft(EDITED) + "\n" + quote(review(DRAFT)),
            "more than once",
            id="repeated",
        ),
        pytest.param(
            review(EDITED) + f"\n{DRAFT_END}\n", "more than once", id="unbalanced-extra-end"
        ),
    ],
)
def test_ambiguous_markers_are_refused(reply: str, expected: str) -> None:
    assert expected in refused(extract_edit(reply, DRAFT))


@pytest.mark.parametrize("body", ["", "\n\n", "   \n\t\n\u00a0", "Sent from my iPhone"])
def test_empty_edit_is_refused(body: str) -> None:
    assert "empty" in refused(extract_edit(quote(mark_draft(body)), DRAFT))


@pytest.mark.parametrize(
    ("char", "name"),
    [
        ("\r", "U+000D"),
        ("\x00", "U+0000"),
        ("\x1b", "U+001B"),
        ("\x7f", "U+007F"),
        ("\x85", "U+0085"),
        ("\x0b", "U+000B"),
        ("\u2028", "U+2028 line separator"),
        ("\u2029", "U+2029 paragraph separator"),
        ("\u202a", "U+202A"),
        ("\u202e", "U+202E right-to-left override"),
        ("\u2066", "U+2066"),
        ("\u2069", "U+2069"),
    ],
)
def test_control_characters_are_refused(char: str, name: str) -> None:
    # Put in the reply itself: mark_draft would already have turned a lone CR into LF.
    reply = quote(review(EDITED)).replace("ship in January", f"ship in{char} January")
    problems = refused(extract_edit(reply, DRAFT))
    assert "control characters" in problems
    assert name in problems


@pytest.mark.parametrize(
    ("line", "name"),
    [
        ("Bcc: boss@evil.example", "Bcc:"),
        ("bcc:boss@evil.example", "Bcc:"),
        ("CC: a@evil.example", "Cc:"),
        ("To: a@evil.example", "To:"),
        ("From: ceo@factory.example", "From:"),
        ("Subject: URGENT: new bank account", "Subject:"),
        ("Reply-To: pay@evil.example", "Reply-To:"),
        ("Content-Type: text/html", "Content-Type:"),
        ("mime-version: 1.0", "MIME-Version:"),
        ("Content-Transfer-Encoding: base64", "Content-Transfer-Encoding:"),
        ("  Bcc : boss@evil.example", "Bcc:"),
        ("\ufeffBcc: boss@evil.example", "Bcc:"),
    ],
)
def test_header_lines_are_refused(line: str, name: str) -> None:
    edited = EDITED.replace("Best regards,", f"{line}\nBest regards,")
    problems = refused(extract_edit(quote(review(edited)), DRAFT))
    assert f"({name})" in problems


@pytest.mark.parametrize(
    "trick",
    [
        "in January.\r\nBcc: boss@evil.example",
        "in January.\rBcc: boss@evil.example",
        "in January.%0d%0aBcc: boss@evil.example",
        "in January.%0ABcc: boss@evil.example",
        "in January.\\r\\nBcc: boss@evil.example",
        "in January.&#13;&#10;Bcc: boss@evil.example",
        "in January.&#x0a;bcc: boss@evil.example",
        "in January.\u2028Bcc: boss@evil.example",
    ],
)
def test_header_injection_through_line_break_tricks_is_refused(trick: str) -> None:
    reply = review(EDITED).replace("in January.", trick)
    problems = refused(extract_edit(reply, DRAFT))
    assert "(Bcc:)" in problems


def test_every_problem_is_reported_at_once() -> None:
    edited = EDITED.replace("in January.", "in\x1b January.\nTo: a@evil.example")
    result = extract_edit(review(edited), DRAFT)
    assert result is not None
    assert len(result.problems) == 2


def test_words_ending_in_a_colon_are_not_headers() -> None:
    edited = EDITED.replace(
        "Best regards,",
        "Total: 5,000 pcs\nContact: Mr. Wang\nTo:\nNote: FOB Shenzhen\nBest regards,",
    )
    assert "Total: 5,000 pcs" in accepted(extract_edit(review(edited), DRAFT))


def test_header_like_line_of_the_original_draft_is_allowed() -> None:
    draft = DRAFT.replace("Dear Mr. Smith,", "To: the purchasing team\n\nDear Mr. Smith,")
    edited = draft.replace("20 December", "31 December")
    assert accepted(extract_edit(quote(review(edited)), draft)) == edited


def test_long_edit_up_to_the_limit_is_accepted() -> None:
    body = "\n".join(["a" * 99] * 200) + "b"
    assert len(body) == MAX_CHARS
    assert accepted(extract_edit(quote(review(body)), DRAFT)) == body


def test_edit_longer_than_the_limit_is_refused() -> None:
    body = "\n".join(["a" * 99] * 200) + "bc"
    assert len(body) == MAX_CHARS + 1
    problems = refused(extract_edit(quote(review(body)), DRAFT))
    assert "20,001 characters" in problems
    assert "20,000 allowed" in problems


def test_refused_edit_cannot_carry_text() -> None:
    with pytest.raises(ValueError, match="no text"):
        EditResult(text="Dear Mr. Smith", problems=("bad",))
    with pytest.raises(ValueError, match="needs text"):
        EditResult(text=" ", problems=())


# Text a rep might type: letters of several scripts, digits, punctuation, spaces, line breaks.
_SAFE_TEXT = st.text(
    alphabet=st.sampled_from(list("abcxyzABC 0123456789.,;!?()-'\"&%\n王先生您好éüß€")),
    min_size=1,
    max_size=300,
).filter(lambda s: s.strip() != "")


@given(edited=_SAFE_TEXT, prefix=st.sampled_from(["", "> ", ">", ">> "]))
def test_any_plain_edit_round_trips(edited: str, prefix: str) -> None:
    reply = "approve\n\n" + quote(review(edited), prefix)
    result = extract_edit(reply, DRAFT)
    assert result is not None
    assert result.problems == ()
    if prefix == ">":
        # Without a space after ">", the one space that would follow it is read as quoting.
        edited = "\n".join(line.removeprefix(" ") for line in edited.split("\n"))
    assert result.text == normalise(edited)
