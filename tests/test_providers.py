"""Provider presets in the config, and the IMAP ID command against a NetEase-like server."""

from __future__ import annotations

import asyncio
import copy
import logging
import os
import re
import socket
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from functools import partialmethod
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

import pytest
from imapclient.exceptions import IMAPClientError
from loop_helpers import thread_states
from servers.dovecot import DovecotServer
from servers.netease_proxy import UNSAFE_LOGIN, NeteaseProxy

from followupd.config import (
    PROVIDERS,
    ImapSettings,
    MailboxSettings,
    SmtpSettings,
    load_config_data,
    provider_presets,
    summary,
)
from followupd.daemon import Daemon
from followupd.demo.servers import EmbeddedImap
from followupd.demo.world import IMAP_PASSWORD, IMAP_USER, World
from followupd.errors import ConfigError
from followupd.imap.connect import open_imap

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "config.example.toml"
ENV = {
    "FOLLOWUPD_APPROVAL_SECRET": "0123456789abcdef0123456789abcdef",
    "FOLLOWUPD_ANNA_IMAP_PASSWORD": "imap-pw",
    "FOLLOWUPD_ANNA_SMTP_PASSWORD": "smtp-pw",
}
SUBJECT = "PI 2026-118 deep groove ball bearings"
REP, REP_PASSWORD = "rep", "rep-imap-secret"


def example() -> dict[str, Any]:
    return tomllib.loads(EXAMPLE.read_text())


def preset_only(provider: str) -> dict[str, Any]:
    """The example with its mailbox cut down to what no preset can know: who logs in."""
    data = example()
    mailbox = data["mailbox"][0]
    mailbox["provider"] = provider
    for server in ("imap", "smtp"):
        table = mailbox[server]
        mailbox[server] = {"user": table["user"], "password_env": table["password_env"]}
    return data


def problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config_data(data, env=ENV)
    return info.value.problems


# -- presets in the config ------------------------------------------------------------


def test_preset_fills_in_what_the_mailbox_leaves_out() -> None:
    mb = load_config_data(preset_only("netease-qiye"), env=ENV).settings.mailbox[0]
    assert mb.provider == "netease-qiye"
    assert (mb.imap.host, mb.imap.port, mb.imap.tls) == ("imaphz.qiye.163.com", 993, "implicit")
    assert (mb.smtp.host, mb.smtp.port, mb.smtp.tls) == ("smtphz.qiye.163.com", 465, "implicit")
    assert mb.imap.send_id is True
    assert mb.imap.sent_folder == "auto"
    assert mb.imap.sent_folder_hints[0] == "已发送"
    assert mb.smtp.daily_limit == 500
    # What the preset does not cover keeps its ordinary default.
    assert mb.imap.folders == ("INBOX",) and mb.imap.idle is True


@pytest.mark.parametrize(
    ("provider", "smtp", "hint", "limit"),
    [
        ("gmail", ("smtp.gmail.com", 465, "implicit"), "[Gmail]/Sent Mail", 2000),
        ("outlook365", ("smtp.office365.com", 587, "starttls"), "Sent Items", 10000),
        ("exmail-qq", ("smtp.exmail.qq.com", 465, "implicit"), "Sent Messages", 500),
        ("aliyun-qiye", ("smtp.qiye.aliyun.com", 465, "implicit"), "已发送", 500),
    ],
)
def test_published_provider_settings(
    provider: str, smtp: tuple[str, int, str], hint: str, limit: int
) -> None:
    mb = load_config_data(preset_only(provider), env=ENV).settings.mailbox[0]
    assert (mb.smtp.host, mb.smtp.port, mb.smtp.tls) == smtp
    assert mb.imap.port == 993 and mb.imap.tls == "implicit"
    assert mb.imap.sent_folder_hints[0] == hint
    assert mb.imap.send_id == "auto"
    assert mb.smtp.daily_limit == limit


def test_keys_the_admin_writes_win_over_the_preset() -> None:
    data = preset_only("netease-qiye")
    data["mailbox"][0]["imap"].update(
        host="127.0.0.1",
        port=1143,
        tls="none",
        allow_plaintext=True,
        send_id=False,
        sent_folder_hints=[],
    )
    data["mailbox"][0]["smtp"]["daily_limit"] = 2000
    before = copy.deepcopy(data)
    mb = load_config_data(data, env=ENV).settings.mailbox[0]
    assert (mb.imap.host, mb.imap.port, mb.imap.tls) == ("127.0.0.1", 1143, "none")
    assert mb.imap.send_id is False
    assert mb.imap.sent_folder_hints == ()
    assert mb.smtp.daily_limit == 2000
    # Keys left out still come from the preset, and the caller's data is not changed.
    assert mb.smtp.host == "smtphz.qiye.163.com"
    assert data == before


def test_without_a_provider_nothing_is_filled_in() -> None:
    mb = load_config_data(example(), env=ENV).settings.mailbox[0]
    assert mb.provider is None
    assert mb.imap.host == "imap.example.com"
    assert mb.imap.send_id == "auto" and mb.imap.sent_folder_hints == ()
    assert mb.smtp.daily_limit is None


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_preset_validates(provider: str) -> None:
    data = preset_only(provider)
    if provider == "dovecot":
        for server in ("imap", "smtp"):
            data["mailbox"][0][server]["host"] = "mail.bearings.example.com"
    cfg = load_config_data(data, env=ENV)
    assert cfg.settings.mailbox[0].provider == provider
    text = summary(cfg)
    assert f"provider {provider}: " in text
    assert all(v not in text for v in ENV.values())


def test_the_preset_file_has_exactly_the_documented_providers() -> None:
    presets = provider_presets()
    assert sorted(presets) == sorted(PROVIDERS)
    for name, preset in presets.items():
        assert preset["note"], name
        # Preset keys are mailbox keys: a typo here would be blamed on the admin's file.
        assert set(preset) <= {"note", "imap", "smtp"}, name
        assert set(preset["imap"]) <= set(ImapSettings.model_fields), name
        assert set(preset.get("smtp", {})) <= set(SmtpSettings.model_fields), name
    assert [n for n, p in presets.items() if p["imap"]["send_id"] is True] == ["netease-qiye"]
    assert "host" not in presets["dovecot"]["imap"]
    assert "daily_limit" not in presets["dovecot"].get("smtp", {})


@pytest.mark.parametrize(("value", "shown"), [("netease", " = 'netease'"), (163, " = 163")])
def test_unknown_provider_names_the_key_and_the_choices(value: object, shown: str) -> None:
    data = example()
    data["mailbox"][0]["provider"] = value
    assert problems(data) == [
        f"mailbox[0].provider{shown}: unknown provider (expected one of: gmail, outlook365, "
        "netease-qiye, aliyun-qiye, exmail-qq, zoho, dovecot)"
    ]


def test_a_preset_without_host_says_so() -> None:
    found = problems(preset_only("dovecot"))
    assert "mailbox[0].imap.host: missing (required; the dovecot preset does not set it)" in found
    assert "mailbox[0].smtp.host: missing (required; the dovecot preset does not set it)" in found


@pytest.mark.parametrize(
    ("server", "key", "value", "expected"),
    [
        ("imap", "send_id", "yes", "mailbox[0].imap.send_id = 'yes': expected true, false or"),
        ("imap", "send_id", 1, "mailbox[0].imap.send_id = 1: expected true, false or"),
        ("imap", "sent_folder_hints", [""], "mailbox[0].imap.sent_folder_hints[0] = ''"),
        ("smtp", "daily_limit", 0, "mailbox[0].smtp.daily_limit = 0: Input should be greater"),
        ("smtp", "daily_limit", "500", "mailbox[0].smtp.daily_limit = '500': Input should be"),
    ],
)
def test_new_keys_are_checked(server: str, key: str, value: object, expected: str) -> None:
    data = example()
    data["mailbox"][0][server][key] = value
    found = problems(data)
    assert any(p.startswith(expected) for p in found), found


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("auto", "sent folder: found on the server; ID:"),
        ("", "sent folder: not watched; ID:"),
        ("Sent Items", "sent folder: 'Sent Items'; ID:"),
    ],
)
def test_sent_folder_values(value: str, shown: str) -> None:
    data = example()
    data["mailbox"][0]["imap"]["sent_folder"] = value
    cfg = load_config_data(data, env=ENV)
    assert cfg.settings.mailbox[0].imap.sent_folder == value
    assert shown in summary(cfg)


def test_example_documents_every_mailbox_key_and_preset() -> None:
    text = EXAMPLE.read_text()
    for model in (MailboxSettings, ImapSettings, SmtpSettings):
        for key in set(model.model_fields) - {"imap", "smtp", "dkim"}:  # those are tables
            assert re.search(rf"^(# )?{key} = ", text, re.MULTILINE), key
    for name, preset in provider_presets().items():
        assert f"#   {name} " in text, name
        for server in ("imap", "smtp"):
            host = preset.get(server, {}).get("host")
            assert host is None or host in text, (name, host)


def test_check_config_shows_the_provider(tmp_path: Path) -> None:
    text = EXAMPLE.read_text().replace('name = "anna"\n', 'name = "anna"\nprovider = "zoho"\n', 1)
    path = tmp_path / "c.toml"
    path.write_text(text)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FOLLOWUPD_")}
    result = subprocess.run(
        [sys.executable, "-m", "followupd", "check-config", str(path)],
        capture_output=True,
        text=True,
        env={**clean, **ENV},
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "provider zoho: Zoho Mail" in result.stdout
    # The example's own hosts win over the preset's.
    assert "imap imap.example.com:993" in result.stdout
    assert "at most 300 sends a day" in result.stdout


# -- the ID command against a server that insists on it --------------------------------


@pytest.fixture
def pymap_imap() -> Iterator[EmbeddedImap]:
    server = EmbeddedImap({REP: REP_PASSWORD})
    server.start()
    try:
        yield server
    finally:
        server.stop()


def imap_settings(port: int, send_id: bool | Literal["auto"], user: str = REP) -> ImapSettings:
    return ImapSettings(
        host="127.0.0.1",
        port=port,
        tls="none",
        allow_plaintext=True,
        user=user,
        password_env="UNUSED",
        timeout_seconds=10,
        send_id=send_id,
    )


def select_inbox(settings: ImapSettings, password: str = REP_PASSWORD) -> None:
    client = open_imap(settings, password)
    try:
        client.select_folder("INBOX", readonly=True)
    finally:
        client.logout()


def our_id() -> bytes:
    return f'("name" "followupd" "version" "{metadata.version("followupd")}")'.encode()


@pytest.mark.parametrize("send_id", [True, "auto"])
def test_id_after_login_opens_the_folders(
    pymap_imap: EmbeddedImap, send_id: bool | Literal["auto"]
) -> None:
    with NeteaseProxy(pymap_imap.host, pymap_imap.port) as proxy:
        select_inbox(imap_settings(proxy.port, send_id))
    assert proxy.ids == [our_id()]
    assert proxy.refused == []


def test_without_id_the_server_refuses_select(pymap_imap: EmbeddedImap) -> None:
    with (
        NeteaseProxy(pymap_imap.host, pymap_imap.port) as proxy,
        pytest.raises(IMAPClientError, match="Unsafe Login"),
    ):
        select_inbox(imap_settings(proxy.port, False))
    assert proxy.ids == []
    assert len(proxy.refused) == 1


def test_send_id_true_even_when_the_server_does_not_offer_it(pymap_imap: EmbeddedImap) -> None:
    with NeteaseProxy(pymap_imap.host, pymap_imap.port, advertise_id=False) as proxy:
        # "auto" goes by the capability list, so it does not send ID here...
        with pytest.raises(IMAPClientError, match="Unsafe Login"):
            select_inbox(imap_settings(proxy.port, "auto"))
        assert proxy.ids == []
        # ...while true sends it anyway.
        select_inbox(imap_settings(proxy.port, True))
    assert proxy.ids == [our_id()]


def test_a_refused_id_is_logged_under_auto_and_fatal_under_true(
    pymap_imap: EmbeddedImap, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="followupd.imap.connect")
    with NeteaseProxy(pymap_imap.host, pymap_imap.port, refuse_id=True) as proxy:
        client = open_imap(imap_settings(proxy.port, "auto"), REP_PASSWORD)
        try:
            client.noop()  # the connection is still usable
        finally:
            client.logout()
        assert "the server refused ID; going on without it" in caplog.text
        assert REP_PASSWORD not in caplog.text
        with pytest.raises(IMAPClientError, match="Unknown command"):
            open_imap(imap_settings(proxy.port, True), REP_PASSWORD)


def test_literals_pass_through_the_proxy_untouched(pymap_imap: EmbeddedImap) -> None:
    raw = (
        b"From: <hans@buyer-corp.test>\r\nSubject: =?utf-8?b?5bey5Y+R6YCB?=\r\n\r\n"
        b"8-bit \xe4\xf6\xfc {5}\r\n" + b"x" * 70_000 + b"\r\n"
    )
    with NeteaseProxy(pymap_imap.host, pymap_imap.port) as proxy:
        client = open_imap(imap_settings(proxy.port, True), REP_PASSWORD)
        try:
            client.append("INBOX", raw)
            client.select_folder("INBOX", readonly=True)
            [uid] = client.search(["ALL"])
            assert client.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"] == raw
        finally:
            client.logout()


class _Raw:
    """A bare IMAP conversation, for what imapclient never sends (a literal mailbox name)."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.file = self.sock.makefile("rb")

    def line(self) -> bytes:
        return self.file.readline()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def until_tagged(self, tag: bytes) -> list[bytes]:
        lines = []
        for _ in range(50):
            lines.append(self.line())
            if lines[-1].startswith(tag + b" "):
                return lines
        raise AssertionError(lines)

    def close(self) -> None:
        self.file.close()
        self.sock.close()


def test_select_with_a_literal_before_and_after_id(pymap_imap: EmbeddedImap) -> None:
    with NeteaseProxy(pymap_imap.host, pymap_imap.port) as proxy:
        conn = _Raw(proxy.port)
        try:
            assert b" ID" in conn.line()  # the greeting lists ID
            conn.send(f"a LOGIN {REP} {REP_PASSWORD}\r\n".encode())
            assert conn.until_tagged(b"a")[-1].startswith(b"a OK")
            # Before ID the proxy itself asks for the literal, then refuses.
            conn.send(b"b SELECT {5}\r\n")
            assert conn.line().startswith(b"+ ")
            conn.send(b"INBOX\r\n")
            assert conn.line() == b"b NO SELECT " + UNSAFE_LOGIN + b"\r\n"
            conn.send(b'c ID ("name" "raw")\r\n')
            assert conn.until_tagged(b"c") == [
                b'* ID ("name" "Coremail Imap" "vendor" "Mailtech" "TransID" "followupd-test")\r\n',
                b"c OK ID completed\r\n",
            ]
            # After ID the same command goes to the server, which asks for the literal.
            conn.send(b"d SELECT {5}\r\n")
            assert conn.line().startswith(b"+ ")
            conn.send(b"INBOX\r\n")
            assert conn.until_tagged(b"d")[-1].startswith(b"d OK")
        finally:
            conn.close()
    assert proxy.ids == [b'("name" "raw")']
    assert proxy.refused == [b"b SELECT {5}\r\nINBOX\r\n"]


@pytest.mark.parametrize("send_id", [True, "auto", False])
def test_id_in_front_of_dovecot(
    dovecot_server: DovecotServer,
    dovecot_user: tuple[str, str],
    send_id: bool | Literal["auto"],
) -> None:
    user, password = dovecot_user
    with NeteaseProxy(dovecot_server.host, dovecot_server.port) as proxy:
        settings = imap_settings(proxy.port, send_id, user=user)
        if send_id is False:
            with pytest.raises(IMAPClientError, match="Unsafe Login"):
                select_inbox(settings, password)
        else:
            select_inbox(settings, password)
    assert proxy.ids == ([] if send_id is False else [our_id()])


# -- end to end: the daemon on a NetEase-like server -------------------------------------


async def test_netease_preset_reads_the_mailbox_end_to_end(tmp_path: Path) -> None:
    imap = EmbeddedImap({IMAP_USER: IMAP_PASSWORD})
    with NeteaseProxy(imap.host, imap.port) as proxy:
        async with World(
            tmp_path, imap=imap, imap_port=proxy.port, mailbox_extra={"provider": "netease-qiye"}
        ) as w:
            assert w.config is not None
            mb = w.config.settings.mailbox[0]
            assert mb.imap.send_id is True and mb.smtp.daily_limit == 500
            await w.rep_sends_pi(subject=SUBJECT)
            assert [str(r.message["Subject"]) for r in w.notices("Tracking:")] == [
                f"Tracking: {SUBJECT}"
            ]
            assert await thread_states(w) == ["active"]
            await w.advance_until(lambda: len(w.reviews()) == 1)
    assert proxy.ids and all(i == our_id() for i in proxy.ids)
    assert proxy.refused == []


async def test_without_id_the_daemon_cannot_read_and_keeps_trying(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="followupd.imap.watcher")
    # Both the daemon's start and World.settle wait for the mailbox to have been read, which
    # this server never allows: shorten the one and skip the other, and wait here instead.
    monkeypatch.setattr(Daemon, "_first_pass", partialmethod(Daemon._first_pass, limit=1.0))

    async def no_settle(self: World, limit: float = 30.0) -> None:
        await asyncio.sleep(0)

    monkeypatch.setattr(World, "settle", no_settle)
    imap = EmbeddedImap({IMAP_USER: IMAP_PASSWORD})
    with NeteaseProxy(imap.host, imap.port) as proxy:
        async with World(
            tmp_path, imap=imap, imap_port=proxy.port, imap_extra={"send_id": False}
        ) as w:
            await w.rep_sends_pi(subject=SUBJECT)
            # The watcher keeps trying (and keeps being refused) after the mail arrived.
            retried = await asyncio.to_thread(proxy.wait_refused, len(proxy.refused) + 2, 20)
            assert retried, "the watcher stopped trying"
            assert await thread_states(w) == []
            assert w.notices("Tracking:") == []
            # The PI is in the INBOX all the same: only reading it is refused.
            direct = imap.client(IMAP_USER)
            try:
                direct.select_folder("INBOX", readonly=True)
                assert direct.search(["SUBJECT", "PI 2026-118"])
            finally:
                direct.logout()
    assert proxy.ids == []
    assert "Unsafe Login" in caplog.text
    assert IMAP_PASSWORD not in caplog.text
