"""What followupd knows about a buyer: the language they write in, and what the rep sets.

Sources rank ``rep`` (set by the rep) over ``buyer`` (the buyer's own mails) over ``thread``
(the rep's mail to them at enrollment): each one may replace a guess from a weaker source, and
the newest buyer mail wins over an older one, since people do switch to the language that
works.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from followupd.approval.commands import strip_quoted
from followupd.core.slots import learn_zone
from followupd.errors import CommandError, FollowupdError
from followupd.mail.language import detect_language
from followupd.model import Contact
from followupd.timing import check_zone, format_hours, normalise_country, parse_hours

__all__ = [
    "CONTACT_KEYS",
    "LANGUAGE_SOURCES",
    "apply_contact_values",
    "learn_language",
    "parse_contact_values",
    "set_contact",
]

LANGUAGE_SOURCES = ("thread", "buyer", "rep")


def learn_language(contact: Contact, text: str, source: str) -> str | None:
    """Record the language of ``text`` (its own part, quotes removed) on ``contact``.

    Returns the language when it was recorded; None when the text is unclear or a stronger
    source already decided.
    """
    if source not in LANGUAGE_SOURCES:
        raise ValueError(f"unknown language source {source!r}")
    current = contact.language_source
    if current in LANGUAGE_SOURCES and LANGUAGE_SOURCES.index(current) > LANGUAGE_SOURCES.index(
        source
    ):
        return None
    language = detect_language(strip_quoted(text))
    if language is None:
        return None
    contact.language, contact.language_source = language, source
    return language


# Facts about the buyer rather than the deal: `set <key> <value>` changes them on the contact,
# for every thread with this buyer.
CONTACT_KEYS = {
    "timezone": "an IANA timezone such as Europe/Berlin, or auto",
    "country": "an ISO 3166 code such as DE, or auto",
    "language": "a two-letter language code such as de, or auto",
    "hours": "the buyer's local working hours such as 08:00-16:30, or auto",
}
_AUTO = frozenset({"", "auto", "none", "-"})


def parse_contact_values(pairs: Sequence[tuple[str, str]]) -> dict[str, str | None]:
    """The contact keys among ``pairs``, checked: key -> value (None: learn it again)."""
    found: dict[str, str | None] = {}
    for key, value in pairs:
        name = key.strip().lower()
        if name not in CONTACT_KEYS:
            continue
        text = value.strip()
        if text.lower() in _AUTO:
            found[name] = None
            continue
        if name == "language":
            if not (len(text) == 2 and text.isascii() and text.isalpha()):
                raise CommandError(f"language: expected {CONTACT_KEYS['language']}")
            found[name] = text.lower()
            continue
        try:
            if name == "hours":
                found[name] = format_hours(parse_hours(text))
            elif name == "timezone":
                found[name] = check_zone(text)
            else:
                found[name] = normalise_country(text)
        except FollowupdError as exc:
            raise CommandError(f"{name}: {exc}") from exc
    return found


def apply_contact_values(contact: Contact, values: Mapping[str, str | None]) -> list[str]:
    """Write checked ``values`` on ``contact``; the changes, as lines."""
    done = []
    if "timezone" in values:
        zone = values["timezone"]
        contact.timezone = zone
        contact.timezone_source = "contact" if zone else None
        contact.timezone_detail = "set by the rep" if zone else None
        done.append(f"timezone: {zone or '(learned again from their mails and address)'}")
    if "country" in values:
        contact.country = values["country"]
        done.append(f"country: {values['country'] or '(cleared)'}")
    if "hours" in values:
        contact.work_hours = values["hours"]
        done.append(f"working hours: {values['hours'] or '(the configured ones)'}")
    if "language" in values:
        language = values["language"]
        contact.language = language
        contact.language_source = "rep" if language else None
        done.append(f"language: {language or '(learned again from their mails)'}")
    return done


async def set_contact(
    session: AsyncSession,
    contact: Contact,
    values: Mapping[str, str | None],
    *,
    default_zone: str,
    at: datetime,
) -> list[str]:
    """Write checked ``values`` on ``contact``, resolving its zone again when it depends on
    them; the changes, as lines."""
    changed = apply_contact_values(contact, values)
    if "timezone" in values or "country" in values:
        await learn_zone(session, contact, default_zone=default_zone, at=at)
        changed.append(f"timezone in use: {contact.timezone} ({contact.timezone_source})")
    return changed
