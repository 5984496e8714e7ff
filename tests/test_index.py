"""The header index of existing mail: fetched from real IMAP servers, stored on both databases."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from imapclient import IMAPClient
from imapclient.fixed_offset import FixedOffset
from imapclient.response_types import Address, Envelope
from servers.dovecot import DovecotServer
from sqlalchemy import func, select

from followupd.core.index import known_message_ids, store_index
from followupd.db.engine import Database
from followupd.db.migrate import upgrade
from followupd.demo.servers import EmbeddedImap
from followupd.errors import MailParseError
from followupd.imap.index import FETCH_ITEMS, IndexRow, fetch_index, row_from_fetch
from followupd.mail.parse import parse_message
from followupd.model import KnownMessage, Mailbox

CORPUS = Path(__file__).parents[2] / "shared" / "corpus"


def mail(headers: str, body: bytes = b"Hello\r\n") -> bytes:
    return headers.strip().replace("\n", "\r\n").encode() + b"\r\n\r\n" + body


# 60 ids of ~40 bytes: far more than is kept, and one ~2.5 KB folded header.
CHAIN = [f"<step{i:03d}.{'x' * 20}@buyer.example>" for i in range(60)]

REPLY = mail(
    """
From: "Buyer, Anna" <Anna@Buyer.EXAMPLE>
To: rep@factory.example
Subject: =?utf-8?q?Re=3A_PI_f=C3=BCr_Kugellager?=
Date: Tue, 04 Jun 2024 09:12:00 +0530 (IST)
Message-ID: < abc.123@buyer.example >
In-Reply-To: <fu.1@factory.example> (Rep's message of Monday)
References: <root@factory.example>
 <fu.1@factory.example> <root@factory.example>
"""
)
NO_MESSAGE_ID = mail(
    """
From: buyer@buyer.example
Subject: no id here
Date: Tue, 04 Jun 2024 09:12:00 -0700
"""
)
UNKNOWN_ZONE = mail(
    """
From: buyer@buyer.example
Subject: zone unknown
Message-ID: <minus-zero@buyer.example>
Date: Tue, 04 Jun 2024 09:12:00 -0000
"""
)
EXPLICIT_UTC = mail(
    """
From: buyer@buyer.example
Subject: in London
Message-ID: <utc@buyer.example>
Date: Tue, 04 Jun 2024 09:12:00 +0000
"""
)
HUGE_REFERENCES = mail(
    f"""
From: buyer@buyer.example
Subject: long thread
Message-ID: <long@buyer.example>
Date: Tue, 04 Jun 2024 09:12:00 +0200
References: {" ".join(CHAIN)}
"""
)
# These two only go to Dovecot: pymap drops the connection when asked for the ENVELOPE of a
# message whose Date it cannot parse, and it re-encodes 8-bit subjects itself.
BAD_DATE = mail(
    """
From: buyer@buyer.example
Subject: when?
Message-ID: <bad-date@buyer.example>
Date: the day after tomorrow
"""
)
LATIN1_SUBJECT = b"From: buyer@buyer.example\r\nSubject: caf\xe9 cr\xe8me\r\n" + (
    b"Message-ID: <latin1@buyer.example>\r\nDate: Tue, 04 Jun 2024 09:12:00 +0100\r\n\r\nHi\r\n"
)

COMMON = [REPLY, NO_MESSAGE_ID, UNKNOWN_ZONE, EXPLICIT_UTC, HUGE_REFERENCES]


def check_common(rows: list[IndexRow]) -> None:
    """What every server must give for the COMMON messages, in that order."""
    reply, no_id, unknown_zone, explicit_utc, huge = rows
    assert reply.message_id == "abc.123@buyer.example"
    assert reply.in_reply_to == "fu.1@factory.example"
    assert reply.references == "root@factory.example fu.1@factory.example"
    assert reply.from_addr == "anna@buyer.example"
    assert reply.subject == "Re: PI für Kugellager"
    assert reply.date == datetime(2024, 6, 4, 3, 42, tzinfo=UTC)
    assert reply.utc_offset_minutes == 330

    assert no_id.message_id is None
    assert no_id.utc_offset_minutes == -420

    # "-0000" says the time is UTC but the writer's zone is unknown: nothing to learn from.
    assert unknown_zone.date == datetime(2024, 6, 4, 9, 12, tzinfo=UTC)
    assert unknown_zone.utc_offset_minutes is None
    assert explicit_utc.utc_offset_minutes == 0

    assert huge.references is not None
    kept = huge.references.split()
    assert len(kept) == 20
    # The root and the nearest ancestors survive; the middle of the chain goes.
    assert kept[0] == CHAIN[0].strip("<>")
    assert kept[1:] == [c.strip("<>") for c in CHAIN[-19:]]


def fetch_all(client: IMAPClient, *, batch: int = 500) -> list[IndexRow]:
    client.select_folder("INBOX", readonly=True)
    uids = sorted(client.search(["ALL"]))
    rows = [row for rows in fetch_index(client, uids, batch=batch) for row in rows]
    # The watcher's later fetches must see the client as it was.
    assert client.normalise_times is True
    return rows


def assert_unseen(client: IMAPClient) -> None:
    client.select_folder("INBOX", readonly=True)
    flags = client.get_flags(client.search(["ALL"]))
    assert flags and all(b"\\Seen" not in f for f in flags.values())


def dovecot_client(server: DovecotServer, user: tuple[str, str]) -> IMAPClient:
    client = IMAPClient(server.host, port=server.port, ssl=False, timeout=30)
    client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    client.login(*user)
    return client


def expunge_first(client: IMAPClient) -> None:
    client.select_folder("INBOX")
    first = min(client.search(["ALL"]))
    client.delete_messages([first])
    client.expunge()


# -- pymap -------------------------------------------------------------------------------------


@pytest.fixture
def pymap_imap() -> Iterator[EmbeddedImap]:
    server = EmbeddedImap({"rep": "secret"})
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_pymap_index_of_odd_and_ordinary_mail(pymap_imap: EmbeddedImap) -> None:
    for raw in COMMON:
        pymap_imap.append("rep", raw)
    client = pymap_imap.client("rep")
    try:
        # Batches of 2 make the last one short: rows still come out in UID order, none lost.
        rows = fetch_all(client, batch=2)
        check_common(rows)
        assert_unseen(client)
    finally:
        client.logout()


def test_pymap_skips_messages_expunged_after_listing(pymap_imap: EmbeddedImap) -> None:
    for raw in COMMON[:3]:
        pymap_imap.append("rep", raw)
    reader = pymap_imap.client("rep")
    other = pymap_imap.client("rep")
    try:
        reader.select_folder("INBOX", readonly=True)
        uids = sorted(reader.search(["ALL"]))
        expunge_first(other)
        # The reader's session learns of the expunge (as it would during an earlier batch).
        reader.noop()
        rows = [r for batch in fetch_index(reader, uids) for r in batch]
        assert [r.uid for r in rows] == uids[1:]
    finally:
        reader.logout()
        other.logout()


# -- Dovecot -----------------------------------------------------------------------------------


def test_dovecot_index_of_odd_and_ordinary_mail(
    dovecot_server: DovecotServer, dovecot_user: tuple[str, str]
) -> None:
    client = dovecot_client(dovecot_server, dovecot_user)
    try:
        for raw in [*COMMON, BAD_DATE, LATIN1_SUBJECT]:
            client.append("INBOX", raw)
        rows = fetch_all(client, batch=3)
        check_common(rows[:5])
        bad_date, latin1 = rows[5:]
        assert bad_date.message_id == "bad-date@buyer.example"
        assert (bad_date.date, bad_date.utc_offset_minutes) == (None, None)
        # Unlabelled 8-bit text: the charset would be a guess, so no subject is kept.
        assert latin1.subject is None
        assert latin1.message_id == "latin1@buyer.example"
        assert latin1.utc_offset_minutes == 60
        assert_unseen(client)
        expunge_first(client)
        client.select_folder("INBOX", readonly=True)
        stale = [r.uid for r in rows]
        assert [r.uid for b in fetch_index(client, stale) for r in b] == stale[1:]
    finally:
        client.logout()


@pytest.mark.skipif(not CORPUS.is_dir(), reason="mail corpus not available")
def test_dovecot_index_agrees_with_the_full_parser_on_real_mail(
    dovecot_server: DovecotServer, dovecot_user: tuple[str, str]
) -> None:
    # A message that starts with an empty line has no header at all to an IMAP server.
    raws = [p.read_bytes() for p in sorted(CORPUS.rglob("*.eml"))]
    raws = [raw for raw in raws if not raw.startswith((b"\n", b"\r\n"))]
    client = dovecot_client(dovecot_server, dovecot_user)
    try:
        for raw in raws:
            client.append("INBOX", raw)
        rows = fetch_all(client, batch=25)
        assert_unseen(client)
    finally:
        client.logout()
    assert len(rows) == len(raws)
    compared = 0
    for raw, row in zip(raws, rows, strict=True):
        try:
            parsed = parse_message(raw)
        except MailParseError:
            continue
        compared += 1
        assert row.message_id == parsed.message_id
        assert row.in_reply_to == (parsed.in_reply_to[0] if parsed.in_reply_to else None)
        assert tuple((row.references or "").split()) == parsed.references[-20:]
        assert row.from_addr == (parsed.from_.email if parsed.from_ else None)
        assert row.date == parsed.date
        if row.utc_offset_minutes is not None:
            assert parsed.date is not None
            assert parsed.date.utcoffset() == timedelta(minutes=row.utc_offset_minutes)
        if row.subject is not None:
            # Servers may collapse the white space of an unfolded subject.
            assert row.subject.split() == parsed.subject.split()
    assert compared > 50


# -- rows from odd FETCH data ------------------------------------------------------------------

_SOME_BYTES = st.one_of(
    st.none(),
    st.binary(max_size=300),
    st.text(max_size=120).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.sampled_from([b"<a@b>", b"<>", b"@", b"< x @ y >", b"=?utf-8?b?w6k=?=", b"\x00\xff"]),
)
_ADDRESSES = st.one_of(
    st.none(),
    st.tuples(),
    st.lists(
        st.builds(Address, _SOME_BYTES, _SOME_BYTES, _SOME_BYTES, _SOME_BYTES), max_size=3
    ).map(tuple),
)
_DATES = st.one_of(
    st.none(),
    st.text(max_size=60),
    st.sampled_from(
        [
            "Tue, 04 Jun 2024 09:12:00 +9999",
            "Tue, 31 Feb 2024 09:12:00 +0100",
            "Mon, 1 Jan 0001 00:00:00 +0100",
            "Fri, 31 Dec 9999 23:59:60 -1200",
            "Tue, 04 Jun 2024 09:12:00 CEST",
            "4 Jun 24 09:12 GMT",
        ]
    ),
)
# As imapclient gives them with normalise_times off: aware with the header's offset (which
# may be absurd: "+9999" parses), naive when the zone was "-0000" or unknown, or None.
_ENVELOPE_DATES = st.one_of(
    st.none(),
    st.datetimes(),
    st.builds(
        lambda when, minutes: when.replace(tzinfo=FixedOffset(minutes)),
        st.datetimes(),
        st.integers(min_value=-6039, max_value=6039),
    ),
)
_HEADERS = st.builds(
    lambda date, refs, junk: (
        (f"Date: {date}\r\n".encode("utf-8", "surrogatepass") if date is not None else b"")
        + (b"References: " + refs + b"\r\n" if refs is not None else b"")
        + junk
    ),
    _DATES,
    _SOME_BYTES,
    st.binary(max_size=40),
)


@given(
    envelope=st.one_of(
        st.none(),
        st.builds(
            Envelope,
            date=_ENVELOPE_DATES,
            subject=_SOME_BYTES,
            from_=_ADDRESSES,
            sender=st.none(),
            reply_to=st.none(),
            to=_ADDRESSES,
            cc=st.none(),
            bcc=st.none(),
            in_reply_to=_SOME_BYTES,
            message_id=_SOME_BYTES,
        ),
    ),
    header=st.one_of(st.none(), _HEADERS, st.binary(max_size=200)),
)
def test_rows_from_odd_fetch_data_never_raise(envelope: Envelope | None, header: bytes) -> None:
    data: dict[bytes, object] = {b"SEQ": 1, b"ENVELOPE": envelope}
    if header is not None:
        data[b"BODY[HEADER.FIELDS (DATE REFERENCES)]"] = header
    row = row_from_fetch(7, data)
    assert row.uid == 7
    for mid in (row.message_id, row.in_reply_to, *(row.references or "").split()):
        assert mid is None or (mid and mid.isascii() and mid.isprintable() and len(mid) <= 998)
        assert mid is None or not set("<> \t") & set(mid)
    assert row.from_addr is None or row.from_addr == row.from_addr.lower()
    assert row.subject is None or ("\x00" not in row.subject and len(row.subject) <= 998)
    assert row.date is None or row.date.tzinfo is UTC
    assert row.utc_offset_minutes is None or abs(row.utc_offset_minutes) < 24 * 60
    if row.utc_offset_minutes is not None:
        assert row.date is not None


@pytest.mark.parametrize(
    ("date", "utc", "offset"),
    [
        ("Tue, 04 Jun 2024 09:12:00 -0500", datetime(2024, 6, 4, 14, 12, tzinfo=UTC), -300),
        ("Tue, 04 Jun 2024 09:12:00 +0000", datetime(2024, 6, 4, 9, 12, tzinfo=UTC), 0),
        ("Tue, 4 Jun 2024 09:12:00 GMT", datetime(2024, 6, 4, 9, 12, tzinfo=UTC), 0),
        ("Tue, 04 Jun 2024 09:12:00 -0000", datetime(2024, 6, 4, 9, 12, tzinfo=UTC), None),
        ("Tue, 04 Jun 2024 09:12:00", datetime(2024, 6, 4, 9, 12, tzinfo=UTC), None),
        # Zone names parsedate does not know would silently become +0000.
        ("Tue, 04 Jun 2024 09:12:00 CEST", datetime(2024, 6, 4, 9, 12, tzinfo=UTC), None),
        ("Tue, 04 Jun 2024 09:12:00 +9999", None, None),
        ("Fri, 30 Feb 2024 09:12:00 +0100", None, None),
        ("soon", None, None),
    ],
)
def test_date_and_offset_from_the_date_header(
    date: str, utc: datetime | None, offset: int | None
) -> None:
    header = f"Date: {date}\r\n\r\n".encode()
    row = row_from_fetch(1, {b"BODY[HEADER.FIELDS (DATE)]": header})
    assert (row.date, row.utc_offset_minutes) == (utc, offset)


def test_envelope_date_is_trusted_only_in_the_header_zone() -> None:
    header = b"Date: Tue, 04 Jun 2024 09:12:00 +0530\r\n\r\n"
    as_sent = datetime(2024, 6, 4, 9, 12, tzinfo=FixedOffset(330))
    row = row_from_fetch(
        1, {b"ENVELOPE": _envelope(as_sent), b"BODY[HEADER.FIELDS (DATE)]": header}
    )
    assert (row.date, row.utc_offset_minutes) == (datetime(2024, 6, 4, 3, 42, tzinfo=UTC), 330)
    # A server that rewrote the date into its own zone must not pass that zone off as the
    # sender's: the header decides.
    rewritten = datetime(2024, 6, 3, 23, 42, tzinfo=FixedOffset(-240))
    row = row_from_fetch(
        1, {b"ENVELOPE": _envelope(rewritten), b"BODY[HEADER.FIELDS (DATE)]": header}
    )
    assert (row.date, row.utc_offset_minutes) == (datetime(2024, 6, 4, 3, 42, tzinfo=UTC), 330)


def _envelope(date: datetime) -> Envelope:
    return Envelope(date, b"s", None, None, None, None, None, None, None, b"<m@x>")


def test_fetch_items_only_peek() -> None:
    # Anything but ENVELOPE and BODY.PEEK could set \Seen on the rep's mail.
    assert all(item == "ENVELOPE" or item.startswith("BODY.PEEK[") for item in FETCH_ITEMS)


# -- storing -----------------------------------------------------------------------------------


def index_rows(count: int, *, first_uid: int = 1) -> list[IndexRow]:
    sent = datetime(2024, 6, 4, 9, 12, tzinfo=UTC)
    return [
        IndexRow(
            uid=uid,
            message_id=f"m{uid}@buyer.example" if uid % 7 else None,
            in_reply_to=f"m{uid - 1}@buyer.example" if uid > 1 else None,
            references=" ".join(f"m{i}@buyer.example" for i in range(max(1, uid - 3), uid)),
            from_addr="anna@buyer.example",
            subject=f"Re: PI {uid} für Kugellager",
            date=sent + timedelta(minutes=uid),
            utc_offset_minutes=(uid % 5 - 2) * 60 if uid % 3 else None,
        )
        for uid in range(first_uid, first_uid + count)
    ]


async def open_db(url: str) -> tuple[Database, int, int]:
    db = Database(url)
    await upgrade(db)
    now = datetime(2024, 6, 1, tzinfo=UTC)
    async with db.transaction() as session:
        boxes = [
            Mailbox(name=name, rep_address=f"{name}@factory.example", created_at=now)
            for name in ("anna", "ben")
        ]
        session.add_all(boxes)
        await session.flush()
        ids = [box.id for box in boxes]
    return db, ids[0], ids[1]


async def test_store_index_is_idempotent(db_url: str) -> None:
    db, anna, _ = await open_db(db_url)
    try:
        rows = index_rows(1200)
        stored = await store_index(db, mailbox_id=anna, folder="INBOX", uidvalidity=7, rows=rows)
        assert stored == 1200
        # The same batch again (a reconnect, a restart) adds nothing; a half-new one adds half.
        assert await store_index(db, mailbox_id=anna, folder="INBOX", uidvalidity=7, rows=rows) == 0
        overlap = index_rows(200, first_uid=1101)
        assert (
            await store_index(db, mailbox_id=anna, folder="INBOX", uidvalidity=7, rows=overlap)
            == 100
        )
        # Another UIDVALIDITY or folder is another key, even for the same UIDs.
        assert (
            await store_index(db, mailbox_id=anna, folder="INBOX", uidvalidity=8, rows=rows[:10])
            == 10
        )
        assert await store_index(db, mailbox_id=anna, folder="Sent", uidvalidity=7, rows=[]) == 0

        async with db.transaction() as session:
            total = await session.scalar(select(func.count()).select_from(KnownMessage))
            back = await session.scalar(
                select(KnownMessage).where(KnownMessage.uidvalidity == 7, KnownMessage.uid == 10)
            )
            # Dates compare in SQL like those of every other table (same stored form).
            later = await session.scalar(
                select(func.count())
                .select_from(KnownMessage)
                .where(KnownMessage.uidvalidity == 7, KnownMessage.sent_at > rows[999].date)
            )
        assert total == 1310
        assert later == 300
        assert back is not None
        want = rows[9]
        assert (back.message_id, back.in_reply_to, back.references) == (
            want.message_id,
            want.in_reply_to,
            want.references,
        )
        assert (back.from_addr, back.subject) == (want.from_addr, want.subject)
        assert (back.sent_at, back.utc_offset) == (want.date, want.utc_offset_minutes)
    finally:
        await db.close()


async def test_known_message_ids_per_mailbox(db_url: str) -> None:
    db, anna, ben = await open_db(db_url)
    try:
        await store_index(db, mailbox_id=anna, folder="INBOX", uidvalidity=1, rows=index_rows(1500))
        await store_index(
            db, mailbox_id=ben, folder="INBOX", uidvalidity=1, rows=index_rows(5, first_uid=5000)
        )
        asked = [f"m{uid}@buyer.example" for uid in range(1, 1601)] + ["m5001@buyer.example"]
        found = await known_message_ids(db, anna, asked)
        # uid % 7 == 0 had no Message-ID; ids past 1500 and Ben's are not Anna's.
        assert found == {f"m{u}@buyer.example" for u in range(1, 1501) if u % 7}
        assert await known_message_ids(db, ben, iter(["m5001@buyer.example", "m1@x"])) == {
            "m5001@buyer.example"
        }
        assert await known_message_ids(db, anna, []) == set()
    finally:
        await db.close()


async def test_fetched_rows_round_trip_through_the_store(
    pymap_imap: EmbeddedImap, db_url: str
) -> None:
    for raw in COMMON:
        pymap_imap.append("rep", raw)
    client = pymap_imap.client("rep")
    try:
        rows = fetch_all(client)
    finally:
        client.logout()
    db, anna, _ = await open_db(db_url)
    try:
        assert await store_index(db, mailbox_id=anna, folder="INBOX", uidvalidity=1, rows=rows) == 5
        async with db.transaction() as session:
            stored = (await session.scalars(select(KnownMessage).order_by(KnownMessage.uid))).all()
        assert [
            IndexRow(
                uid=k.uid,
                message_id=k.message_id,
                in_reply_to=k.in_reply_to,
                references=k.references,
                from_addr=k.from_addr,
                subject=k.subject,
                date=k.sent_at,
                utc_offset_minutes=k.utc_offset,
            )
            for k in stored
        ] == rows
    finally:
        await db.close()
