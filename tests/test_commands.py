"""The rep's reply grammar, on replies shaped like the output of real mail clients."""

from __future__ import annotations

import pytest

from followupd.approval.commands import parse_command, strip_quoted
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
