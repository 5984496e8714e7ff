"""Which folders the watcher reads: SPECIAL-USE, provider hints, localized names."""

from __future__ import annotations

import pytest

from followupd.imap.folders import SENT_NAMES, ListEntry, find_sent, plan_folders


def _entry(name: str, *flags: bytes, delim: bytes = b"/") -> ListEntry:
    return ((b"\\HasNoChildren", *flags), delim, name)


def test_special_use_wins_over_names() -> None:
    listing = [_entry("INBOX"), _entry("Sent"), _entry("Outbox copies", b"\\Sent")]
    assert find_sent(listing) == ("Outbox copies", "SPECIAL-USE \\Sent")


def test_gmail_layout() -> None:
    listing = [
        _entry("INBOX"),
        ((b"\\HasChildren", b"\\Noselect"), b"/", "[Gmail]"),
        _entry("[Gmail]/All Mail", b"\\All"),
        _entry("[Gmail]/Sent Mail", b"\\Sent"),
    ]
    assert find_sent(listing)[0] == "[Gmail]/Sent Mail"  # type: ignore[index]


@pytest.mark.parametrize(
    "name",
    [
        "Sent Messages",
        "已发送",
        "Gesendet",
        "Gesendete Elemente",
        "Отправленные",
        "送信済み",
        "Éléments envoyés",
        "Enviados",
        "Posta inviata",
        "Verzonden items",
        "Gönderilmiş Öğeler",
        "العناصر المرسلة",
        "Sent Items",
    ],
)
def test_localized_names_without_special_use(name: str) -> None:
    listing = [_entry("INBOX"), _entry("Drafts"), _entry(name), _entry("Trash")]
    found = find_sent(listing)
    assert found is not None and found[0] == name
    assert "well-known" in found[1]


def test_names_under_the_inbox_namespace_and_case() -> None:
    listing = [_entry("INBOX", delim=b"."), _entry("INBOX.sent items", delim=b".")]
    assert find_sent(listing) == ("INBOX.sent items", "well-known name 'Sent Items'")


def test_shallow_folder_beats_deep_one_and_noselect_is_skipped() -> None:
    listing = [
        _entry("Projects/2019/Sent"),
        ((b"\\Noselect",), b"/", "Sent Mail"),
        _entry("Sent"),
    ]
    assert find_sent(listing) == ("Sent", "well-known name 'Sent'")


def test_hint_before_generic_names() -> None:
    listing = [_entry("INBOX"), _entry("Sent"), _entry("已发送")]
    assert find_sent(listing, hints=["已发送"]) == ("已发送", "provider hint '已发送'")


def test_no_sent_folder() -> None:
    assert find_sent([_entry("INBOX"), _entry("Archive")]) is None


def test_every_known_name_is_found() -> None:
    for name in SENT_NAMES:
        assert find_sent([_entry("INBOX"), _entry(name)]) == (name, f"well-known name {name!r}")


def test_plan_watches_configured_folders_and_sent_once() -> None:
    listing = [_entry("INBOX"), _entry("Buyers"), _entry("Sent", b"\\Sent")]
    folders, problems = plan_folders(
        listing, configured=["inbox", "Buyers", "Sent", "Missing"], sent_folder="auto"
    )
    assert [(f.name, f.role) for f in folders] == [
        ("INBOX", "inbox"),
        ("Buyers", "inbox"),
        ("Sent", "sent"),
    ]
    assert problems == ["the configured folder 'Missing' does not exist"]


def test_plan_without_sent_and_with_a_named_one() -> None:
    listing = [_entry("INBOX"), _entry("Sent"), _entry("Outgoing")]
    folders, problems = plan_folders(listing, configured=["INBOX"], sent_folder="")
    assert [f.name for f in folders] == ["INBOX"] and problems == []
    folders, problems = plan_folders(listing, configured=["INBOX"], sent_folder="outgoing")
    assert [(f.name, f.role, f.why) for f in folders][-1] == ("Outgoing", "sent", "configured")
    folders, problems = plan_folders(listing, configured=["INBOX"], sent_folder="Gone")
    assert [f.name for f in folders] == ["INBOX"]
    assert problems == ["the configured Sent folder 'Gone' does not exist"]


def test_plan_reports_a_missing_sent_folder() -> None:
    folders, problems = plan_folders([_entry("INBOX")], configured=["INBOX"], sent_folder="auto")
    assert [f.name for f in folders] == ["INBOX"]
    assert problems and "no Sent folder found" in problems[0]
