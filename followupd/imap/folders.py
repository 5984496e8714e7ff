"""Which folders to watch, and in which role: mail to the rep, or the rep's own sent mail.

The Sent folder matters because a reply the rep wrote by hand means the rep took the
conversation over. Servers name it differently: SPECIAL-USE (RFC 6154) says which one it is
where offered; otherwise the provider's hint, then well-known and localized names (Chinese,
German, French ... webmail creates the folder in the account's language). The choice is a
pure function of the LIST response, so it is tested without a server.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

Role = Literal["inbox", "sent"]

# Names of the Sent folder seen in the wild, by how common they are. Compared without case,
# against the whole name and against its last level (e.g. "INBOX.Sent", "[Gmail]/Sent Mail").
SENT_NAMES: tuple[str, ...] = (
    "Sent",
    "Sent Items",
    "Sent Messages",
    "Sent Mail",
    "Sent-Mail",
    "Sent Mails",
    "已发送",
    "已发送邮件",
    "已發送",
    "已傳送郵件",
    "寄件備份",
    "寄件备份",
    "Gesendet",
    "Gesendete Elemente",
    "Gesendete Objekte",
    "Gesendete Nachrichten",
    "Envoyés",
    "Éléments envoyés",
    "Messages envoyés",
    "Enviados",
    "Elementos enviados",
    "Itens enviados",
    "Mensagens enviadas",
    "Отправленные",
    "Posta inviata",
    "Inviati",
    "Elementi inviati",
    "Verzonden",
    "Verzonden items",
    "Gönderilmiş Öğeler",
    "Gönderilenler",
    "العناصر المرسلة",
    "المرسلة",
    "البريد المرسل",
    "送信済み",
    "送信済みアイテム",
    "送信済みメール",
    "Wysłane",
    "Elementy wysłane",
    "보낸편지함",
    "보낸 편지함",
    "Đã gửi",
    "Terkirim",
    "Skickat",
    "Skickade objekt",
    "Sendt",
    "Sendte elementer",
    "Lähetetyt",
)

ListEntry = tuple[tuple[bytes, ...], bytes | None, str]


@dataclass(frozen=True, kw_only=True)
class WatchedFolder:
    """One folder the watcher reads, with why it was chosen (for the log)."""

    name: str
    role: Role
    why: str


def _casefold(name: str) -> str:
    return name.casefold().strip()


def _levels(entry: ListEntry) -> list[str]:
    _flags, delimiter, name = entry
    sep = delimiter.decode("ascii", "replace") if delimiter else None
    return name.split(sep) if sep else [name]


def _selectable(entry: ListEntry) -> bool:
    return not any(f.lower() in (b"\\noselect", b"\\nonexistent") for f in entry[0])


def find_sent(listing: Sequence[ListEntry], hints: Iterable[str] = ()) -> tuple[str, str] | None:
    """The Sent folder in a LIST response and how it was recognised, or None."""
    usable = [e for e in listing if _selectable(e)]
    for entry in usable:
        if any(f.lower() == b"\\sent" for f in entry[0]):
            return entry[2], "SPECIAL-USE \\Sent"
    by_full = {_casefold(e[2]): e[2] for e in usable}
    for hint in hints:
        if _casefold(hint) in by_full:
            return by_full[_casefold(hint)], f"provider hint {hint!r}"
    # Fewer levels first: a top-level "Sent" beats "Projects/Old/Sent".
    ranked = sorted(usable, key=lambda e: len(_levels(e)))
    for known in SENT_NAMES:
        want = _casefold(known)
        for entry in ranked:
            if _casefold(entry[2]) == want or _casefold(_levels(entry)[-1]) == want:
                return entry[2], f"well-known name {known!r}"
    return None


def plan_folders(
    listing: Sequence[ListEntry],
    *,
    configured: Sequence[str],
    sent_folder: str,
    hints: Iterable[str] = (),
) -> tuple[list[WatchedFolder], list[str]]:
    """The folders to watch, and problems worth a warning (a configured folder is missing).

    ``sent_folder`` is "auto" (discover), "" (do not watch Sent) or a folder name. A folder
    that is both configured and the Sent folder is watched once, as Sent: mail in it was
    written by the rep.
    """
    existing = {_casefold(e[2]): e[2] for e in listing if _selectable(e)}
    problems: list[str] = []
    sent: tuple[str, str] | None = None
    if sent_folder == "auto":
        sent = find_sent(listing, hints)
        if sent is None:
            problems.append(
                "no Sent folder found (no SPECIAL-USE \\Sent, no known name); "
                "set imap.sent_folder to watch the rep's own replies"
            )
    elif sent_folder:
        actual = existing.get(_casefold(sent_folder))
        if actual is None:
            problems.append(f"the configured Sent folder {sent_folder!r} does not exist")
        else:
            sent = (actual, "configured")
    watched: list[WatchedFolder] = []
    seen: set[str] = set()
    for name in configured:
        # INBOX is case-insensitive by RFC 3501; other names are matched the same way
        # because admins type them as they see them in their mail client.
        actual = existing.get(_casefold(name))
        if actual is None:
            problems.append(f"the configured folder {name!r} does not exist")
            continue
        if _casefold(actual) in seen or (sent and _casefold(actual) == _casefold(sent[0])):
            continue
        seen.add(_casefold(actual))
        watched.append(WatchedFolder(name=actual, role="inbox", why="configured"))
    if sent is not None:
        watched.append(WatchedFolder(name=sent[0], role="sent", why=sent[1]))
    return watched, problems
