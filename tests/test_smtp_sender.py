"""The SMTP client: at most one copy per send, told apart by what the server did or may do.

Every test talks to a real aiosmtpd server on 127.0.0.1 (servers/smtp_faults.py) that can
be told to refuse, throttle or hang up at a chosen stage.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from servers.smtp_faults import (
    Certificate,
    CertificateUnavailable,
    FaultSmtp,
    self_signed_certificate,
)

from followupd.config import SmtpSettings
from followupd.demo.servers import free_port
from followupd.smtp.replies import classify_reply
from followupd.smtp.sender import (
    DATA_BLOCK_TIMEOUT,
    DATA_END_TIMEOUT,
    DATA_INIT_TIMEOUT,
    GREETING_TIMEOUT,
    MAIL_TIMEOUT,
    RCPT_TIMEOUT,
    SendError,
    SmtpSender,
    timeouts,
)

USER, PASSWORD = "anna@seller.test", "correct horse"
REP = "anna@seller.test"
BUYER = "li.wei@buyer.test"


def message(n: int = 1) -> bytes:
    """A follow-up as the daemon sends it: CRLF line endings, 8-bit UTF-8, a leading dot."""
    return (
        f"From: Anna <{REP}>\r\n"
        f"To: Li Wei <{BUYER}>\r\n"
        f"Subject: PI 2026-11{n} ball bearings\r\n"
        f"Message-ID: <fu{n}@seller.test>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n"
        "Dear Li Wei,\r\n"
        "\r\n"
        ".a line that starts with a dot must arrive as it was\r\n"
        "Grüße, 您好\r\n"
    ).encode()


def settings(server: FaultSmtp, **extra: Any) -> SmtpSettings:
    values: dict[str, Any] = {
        "host": server.host,
        "port": server.port,
        "tls": "none",
        "allow_plaintext": True,
        "user": USER,
        "password_env": "FOLLOWUPD_TEST_SMTP_PASSWORD",
    }
    values.update(extra)
    return SmtpSettings(**values)


@asynccontextmanager
async def sender_for(
    server: FaultSmtp, password: str = PASSWORD, **extra: Any
) -> AsyncIterator[SmtpSender]:
    context = extra.pop("tls_context", None)
    sender = SmtpSender(settings(server, **extra), password, tls_context=context)
    try:
        yield sender
    finally:
        await sender.close()


async def send(sender: SmtpSender, n: int = 1) -> str:
    return await sender.send(message(n), sender=REP, recipients=[BUYER])


async def send_error(sender: SmtpSender, n: int = 1) -> SendError:
    with pytest.raises(SendError) as caught:
        await send(sender, n)
    return caught.value


async def eventually(check: Callable[[], bool], within: float = 5.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


@pytest.fixture
def server() -> Iterator[FaultSmtp]:
    # AUTH over plain text: loopback only, like a relay on the same host.
    with FaultSmtp({USER: PASSWORD}) as running:
        yield running


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    try:
        return self_signed_certificate(tmp_path_factory.mktemp("tls"))
    except CertificateUnavailable as exc:
        pytest.skip(f"no TLS certificate for the test server: {exc}")


# -- acceptance and reuse ------------------------------------------------------------


async def test_accepted_send_returns_the_reply_and_the_bytes_arrive_unchanged(
    server: FaultSmtp,
) -> None:
    async with sender_for(server) as sender:
        reply = await send(sender)
    assert reply == "250 2.0.0 OK queued as FAULT1"
    [got] = server.received
    assert got.raw == message()
    assert got.mail_from == REP
    assert got.rcpt_tos == [BUYER]
    # The body is 8-bit, and the server offers 8BITMIME: the client says so (RFC 6152).
    assert "BODY=8BITMIME" in got.mail_options


async def test_a_burst_shares_one_connection(server: FaultSmtp) -> None:
    async with sender_for(server, reuse_seconds=30) as sender:
        for n in range(5):
            await send(sender, n)
    assert server.connections == 1
    assert [r.raw for r in server.received] == [message(n) for n in range(5)]
    assert server.quits == 1


async def test_without_reuse_every_send_has_its_own_connection(server: FaultSmtp) -> None:
    async with sender_for(server, reuse_seconds=0) as sender:
        for n in range(5):
            await send(sender, n)
        # Each connection was ended with QUIT right after its message.
        assert server.quits == 5
    assert server.connections == 5
    assert len(server.received) == 5


async def test_concurrent_sends_take_turns_on_one_connection(server: FaultSmtp) -> None:
    async with sender_for(server) as sender:
        replies = await asyncio.gather(*(send(sender, n) for n in range(3)))
    assert sorted(replies) == [f"250 2.0.0 OK queued as FAULT{n}" for n in (1, 2, 3)]
    assert server.connections == 1
    assert server.transactions == 3


async def test_an_idle_connection_is_closed_after_reuse_seconds(server: FaultSmtp) -> None:
    async with sender_for(server, reuse_seconds=0.2) as sender:
        await send(sender)
        assert server.open_connections == 1
        await eventually(lambda: server.quits == 1 and server.open_connections == 0)
        # The next send simply opens a new connection.
        await send(sender, 2)
    assert server.connections == 2
    assert len(server.received) == 2


async def test_a_connection_the_server_closed_is_replaced(server: FaultSmtp) -> None:
    async with sender_for(server) as sender:
        await send(sender)
        assert server.close_connections() == 1
        await send(sender, 2)
    assert server.connections == 2
    assert [r.raw for r in server.received] == [message(1), message(2)]


@pytest.mark.parametrize(
    "break_it",
    [
        pytest.param(lambda s: s.drop("RSET"), id="hangs-up-at-RSET"),
        pytest.param(lambda s: s.fail("RSET", "421 4.4.2 idle timeout, closing"), id="421"),
    ],
)
async def test_a_kept_connection_that_fails_rset_is_replaced(
    server: FaultSmtp, break_it: Callable[[FaultSmtp], None]
) -> None:
    async with sender_for(server) as sender:
        await send(sender)
        break_it(server)
        await send(sender, 2)
    assert server.connections == 2
    assert len(server.received) == 2


# -- refusals --------------------------------------------------------------------------


async def test_4xx_at_rcpt_is_temporary_and_nothing_is_delivered(server: FaultSmtp) -> None:
    server.fail("RCPT", "450 4.2.1 mailbox temporarily unavailable")
    async with sender_for(server) as sender:
        error = await send_error(sender)
        assert (error.kind, error.code, error.permanent) == ("temporary", 450, False)
        assert server.data_seen == []
        # The connection that saw the error is not used again.
        await send(sender, 2)
    assert server.connections == 2
    assert [r.raw for r in server.received] == [message(2)]


async def test_5xx_at_rcpt_is_permanent(server: FaultSmtp) -> None:
    server.fail("RCPT", "550 5.1.1 <li.wei@buyer.test>: Recipient address rejected")
    async with sender_for(server) as sender:
        error = await send_error(sender)
    assert (error.kind, error.code, error.permanent) == ("permanent", 550, True)
    assert "550 5.1.1" in str(error)
    assert server.data_seen == []


async def test_5xx_to_the_message_is_permanent(server: FaultSmtp) -> None:
    server.fail("DATA", "554 5.7.1 Message rejected as spam")
    async with sender_for(server) as sender:
        error = await send_error(sender)
    assert (error.kind, error.code) == ("permanent", 554)
    assert server.received == []


@pytest.mark.parametrize(
    ("stage", "reply"),
    [
        (
            "RCPT",
            "454 Transient reject by behaviour spam at Rcpt State(Connection IP address:"
            "203.0.113.7)ANTISPAM_BAT[01201311R1468S45301, a0330021]: too frequently sending",
        ),
        ("DATA", "550 5.4.5 Daily user sending quota exceeded. - gsmtp"),
        ("MAIL", "451 MI:SFQ 发信人在15分钟内的发信数量超过限制"),
    ],
)
async def test_throttling_is_its_own_kind_whatever_the_code(
    server: FaultSmtp, stage: Any, reply: str
) -> None:
    server.fail(stage, reply)
    async with sender_for(server) as sender:
        error = await send_error(sender)
    assert error.kind == "throttled"
    assert error.code == int(reply[:3])
    assert not error.permanent
    assert server.received == []


async def test_long_server_text_is_clipped_in_the_error(server: FaultSmtp) -> None:
    server.fail("RCPT", "452 4.3.1 " + "x" * 1000)
    async with sender_for(server) as sender:
        error = await send_error(sender)
    assert error.kind == "temporary"
    assert len(str(error)) < 300


# -- the line between "nothing was accepted" and "may have been accepted" ---------------


async def test_a_drop_after_the_message_is_ambiguous(server: FaultSmtp) -> None:
    server.drop("DATA")
    async with sender_for(server) as sender:
        error = await send_error(sender)
    assert (error.kind, error.code, error.permanent) == ("ambiguous", None, False)
    # The server did read the whole message: a blind retry would be a second copy.
    assert [r.raw for r in server.data_seen] == [message()]


@pytest.mark.parametrize("stage", ["MAIL", "RCPT"])
async def test_a_drop_before_the_message_is_temporary(server: FaultSmtp, stage: Any) -> None:
    server.drop(stage)
    async with sender_for(server) as sender:
        error = await send_error(sender)
        assert error.kind == "temporary"
        assert server.data_seen == []
        await send(sender, 2)
    assert [r.raw for r in server.received] == [message(2)]


async def test_a_drop_on_a_reused_connection_after_the_message_is_still_ambiguous(
    server: FaultSmtp,
) -> None:
    async with sender_for(server) as sender:
        await send(sender)
        server.drop("DATA")
        error = await send_error(sender, 2)
    assert error.kind == "ambiguous"
    assert server.connections == 1
    assert [r.raw for r in server.data_seen] == [message(1), message(2)]


async def test_no_server_listening_is_temporary() -> None:
    nobody = SmtpSettings(
        host="127.0.0.1",
        port=free_port(),
        tls="none",
        allow_plaintext=True,
        user=USER,
        password_env="FOLLOWUPD_TEST_SMTP_PASSWORD",
    )
    sender = SmtpSender(nobody, PASSWORD)
    error = await send_error(sender)
    assert error.kind == "temporary"
    assert "cannot connect" in str(error)


# -- login and TLS ---------------------------------------------------------------------


async def test_a_wrong_password_is_permanent(server: FaultSmtp) -> None:
    async with sender_for(server, password="wrong") as sender:
        error = await send_error(sender)
    assert (error.kind, error.code) == ("permanent", 535)
    assert "wrong" not in str(error)
    assert server.transactions == 0


async def test_starttls_required_but_not_offered_never_sends_the_password(
    server: FaultSmtp,
) -> None:
    # This server offers AUTH in clear text, and no STARTTLS: tempting, and refused.
    async with sender_for(server, tls="starttls", allow_plaintext=False) as sender:
        error = await send_error(sender)
    assert error.kind == "permanent"
    assert "offers no STARTTLS" in str(error)
    assert server.auth_commands == 0
    assert server.transactions == 0


async def test_starttls_when_offered(certificate: Certificate) -> None:
    with FaultSmtp(
        {USER: PASSWORD}, starttls=certificate.server_context(), auth_require_tls=True
    ) as tls_server:
        async with sender_for(
            tls_server,
            tls="starttls",
            allow_plaintext=False,
            tls_context=certificate.client_context(),
        ) as sender:
            reply = await send(sender)
    assert reply.startswith("250 ")
    assert [r.raw for r in tls_server.received] == [message()]


async def test_implicit_tls(certificate: Certificate) -> None:
    # aiosmtpd's auth_require_tls only knows STARTTLS: with it, an implicit-TLS server
    # would not offer AUTH at all. The connection is encrypted from its first byte anyway.
    with FaultSmtp({USER: PASSWORD}, implicit_tls=certificate.server_context()) as tls_server:
        async with sender_for(
            tls_server,
            tls="implicit",
            allow_plaintext=False,
            tls_context=certificate.client_context(),
        ) as sender:
            for n in range(3):
                await send(sender, n)
    assert tls_server.connections == 1
    assert [r.raw for r in tls_server.received] == [message(n) for n in range(3)]


@pytest.mark.parametrize("mode", ["implicit", "starttls"])
async def test_an_untrusted_certificate_is_refused_before_login(
    certificate: Certificate, mode: str
) -> None:
    context = certificate.server_context()
    tls = {"implicit_tls": context} if mode == "implicit" else {"starttls": context}
    with FaultSmtp({USER: PASSWORD}, auth_require_tls=True, **tls) as tls_server:
        # The system's trust store does not know the test's self-signed certificate.
        async with sender_for(tls_server, tls=mode, allow_plaintext=False) as sender:
            error = await send_error(sender)
    assert error.kind == "permanent"
    assert "certificate" in str(error)
    assert tls_server.auth_commands == 0


# -- the message itself ----------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"Subject: bare LF\n\nbody\n",
        b"Subject: no final line ending\r\n\r\nbody",
        b"Subject: a lone CR\r\n\r\nbo\rdy\r\n",
    ],
)
async def test_bytes_that_would_be_rewritten_are_refused_before_connecting(
    server: FaultSmtp, raw: bytes
) -> None:
    async with sender_for(server) as sender:
        with pytest.raises(ValueError, match="CRLF"):
            await sender.send(raw, sender=REP, recipients=[BUYER])
    assert server.connections == 0


async def test_only_bytes_are_sent(server: FaultSmtp) -> None:
    msg = EmailMessage()
    msg["Subject"] = "not bytes"
    async with sender_for(server) as sender:
        with pytest.raises(TypeError):
            await sender.send(msg, sender=REP, recipients=[BUYER])  # type: ignore[arg-type]
    assert server.connections == 0


# -- timeouts --------------------------------------------------------------------------


def test_timeouts_are_at_least_the_rfc_5321_minima(tmp_path: Path) -> None:
    minute = 60.0
    assert 5 * minute <= GREETING_TIMEOUT
    assert 5 * minute <= MAIL_TIMEOUT
    assert 5 * minute <= RCPT_TIMEOUT
    assert 2 * minute <= DATA_INIT_TIMEOUT
    assert 3 * minute <= DATA_BLOCK_TIMEOUT
    assert 10 * minute <= DATA_END_TIMEOUT

    def configured(seconds: float) -> SmtpSettings:
        return SmtpSettings(
            host="smtp.example.test",
            port=465,
            user=USER,
            password_env="FOLLOWUPD_TEST_SMTP_PASSWORD",
            timeout_seconds=seconds,
        )

    # A short configured timeout shortens only the TCP connect (and RSET/QUIT).
    short = timeouts(configured(1))
    assert short.connect == 1
    assert short.greeting >= 5 * minute
    assert short.mail >= 5 * minute
    assert short.rcpt >= 5 * minute
    assert short.data >= 10 * minute + 3 * minute
    # A long one lengthens all of them.
    long = timeouts(configured(3600))
    assert min(long.greeting, long.mail, long.rcpt, long.data, long.command) >= 3600


# -- reply classification (pure) -------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "text", "kind"),
    [
        # Plain codes.
        (450, "4.2.1 Mailbox temporarily unavailable", "temporary"),
        (421, "4.4.2 mx.example.test Error: timeout exceeded", "temporary"),
        (421, "4.3.2 Service shutting down, closing transmission channel", "temporary"),
        (550, "5.1.1 The email account that you tried to reach does not exist.", "permanent"),
        (554, "5.7.1 Message rejected: spam content", "permanent"),
        (535, "5.7.8 Username and Password not accepted.", "permanent"),
        # A full mailbox is not throttling, whatever its "quota exceeded" says.
        (552, "5.2.2 The email account that you tried to reach is over quota.", "permanent"),
        (
            554,
            "5.2.2 mailbox full; STOREDRV.Submission.Exception:QuotaExceededException",
            "permanent",
        ),
        (452, "4.5.3 Your message has too many recipients.", "temporary"),
        # Gmail / Google Workspace.
        (
            421,
            "4.7.28 [203.0.113.7] Our system has detected an unusual rate of unsolicited "
            "mail originating from your IP address.",
            "throttled",
        ),
        (421, "4.7.0 Try again later, closing connection. unusual rate of mail", "throttled"),
        (550, "5.4.5 Daily user sending quota exceeded.", "throttled"),
        (
            550,
            "5.4.5 Daily user sending limit exceeded.\n5.4.5 https://support.google.com",
            "throttled",
        ),
        (550, "5.4.5 Daily SMTP relay limit exceeded for user.", "throttled"),
        # Microsoft 365 / Exchange.
        (451, "4.7.500 Server busy. Please try again later from [203.0.113.7].", "throttled"),
        (
            554,
            "5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException; Failed "
            "to process message due to a permanent exception",
            "throttled",
        ),
        (550, "5.2.2 Sender's submission quota was exceeded", "throttled"),
        (432, "4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded", "throttled"),
        (432, "4.3.2 Concurrent connections limit exceeded.", "throttled"),
        (
            421,
            "4.4.2 Message submission rate for this client has exceeded the configured limit",
            "throttled",
        ),
        # Alibaba Mail.
        (
            554,
            "Reject by behaviour spamANTISPAM_BAT[01201311R196, c01a1]: too frequently sending",
            "throttled",
        ),
        (454, "Transient reject by behaviour spam: much too frequently sending", "throttled"),
        (
            454,
            "Transient reject ANTISPAM_BAT[01201311R5167S531]: currently unexpected sending",
            "throttled",
        ),
        (550, "sending too frequently, please try again later", "throttled"),
        # Tencent Exmail / QQ.
        (550, "Ip frequency limited", "throttled"),
        (550, "Connection frequency limited. http://service.mail.qq.com/", "throttled"),
        # NetEase.
        (451, "MI:SFQ 发信人在15分钟内的发信数量超过限制", "throttled"),
        (451, "RP:QRC 发信方短期内累计的收件人数量超过限制", "throttled"),
        (550, "RP:TRC 发件人当天内累计的收件人数量超过限制", "throttled"),
        (550, "MI:STC 发件人当天内累计邮件数量超过限制", "throttled"),
        (421, "HL:ICC 该IP同时并发连接数过大", "throttled"),
        (451, "Requested mail action not taken: too much fail authentication", "throttled"),
        (554, "DT:SPM 发送的邮件内容包含了未被许可的信息", "permanent"),
        # Zoho.
        (550, "5.4.6 Unusual sending activity detected. Please try after sometime.", "throttled"),
        # Generic rate limits.
        (450, "4.7.1 Rate limit exceeded, try again later", "throttled"),
        (454, "Throttling failure: Maximum sending rate exceeded.", "throttled"),
        (421, "4.7.0 Too many concurrent SMTP connections; please try again later.", "throttled"),
        (550, "5.7.1 Too many messages sent from this account today", "throttled"),
        # An address that merely contains digits like a status code is not one.
        (550, "5.1.1 <user10.5.4.5@buyer.test>: no such user", "permanent"),
    ],
)
def test_classify_reply(code: int, text: str, kind: str) -> None:
    assert classify_reply(code, text) == kind
