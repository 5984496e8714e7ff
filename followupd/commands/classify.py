"""``followupd classify FILE...``: the classifier on raw .eml files, without a daemon.

Without ``--db`` nothing is tracked: see :mod:`followupd.classify.verdict` for what the labels
then mean. With ``--db`` the ids are looked up as the daemon would (in all mailboxes), and the
line says which thread a message belongs to.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from sqlalchemy import select

from followupd.classify.base import ClassifyContext
from followupd.classify.pipeline import classify
from followupd.classify.verdict import record, standalone
from followupd.core.lookup import MACHINE_LABELS, classify_context, thread_of
from followupd.db.engine import Database
from followupd.errors import MailParseError
from followupd.mail.parse import parse_message
from followupd.model import Mailbox
from followupd.sequence.cadence import load_cadences


async def classify_files(files: Sequence[Path], *, db_url: str | None, reps: Sequence[str]) -> int:
    """Print one JSON line per file; exit status 1 if a file could not be read."""
    cadences = sorted(load_cadences())
    db = Database(db_url) if db_url else None
    status = 0
    try:
        rep_addresses = {r.lower() for r in reps} | (await _db_reps(db) if db else set())
        for path in files:
            try:
                raw = path.read_bytes()
            except OSError as exc:
                print(f"followupd: {path}: {exc.strerror}", file=sys.stderr)
                status = 1
                continue
            line = await _one(str(path), raw, db, rep_addresses, cadences)
            print(json.dumps(line, ensure_ascii=False))
    finally:
        if db is not None:
            await db.close()
    return status


async def _one(
    name: str, raw: bytes, db: Database | None, reps: set[str], cadences: list[str]
) -> dict[str, object]:
    try:
        msg = parse_message(raw)
    except MailParseError as exc:
        return {
            "file": name,
            "label": "other",
            "hard": None,
            "address": None,
            "return_date": None,
            "intent": None,
            "evidence": {"unparsable": str(exc)},
        }
    if db is None:
        ctx = ClassifyContext(rep_addresses=frozenset(reps), known_cadences=frozenset(cadences))
        return record(name, standalone(msg, classify(msg, ctx)), with_thread=False)
    async with db.transaction() as session:
        ctx = await classify_context(
            session, msg, mailbox_id=None, rep_addresses=reps, cadences=cadences
        )
        verdict = classify(msg, ctx)
        if verdict.thread_id is None and verdict.label in MACHINE_LABELS:
            found = await thread_of(session, msg, verdict, ctx, mailbox_id=None)
            verdict = replace(verdict, thread_id=found)
    return record(name, verdict, with_thread=True)


async def _db_reps(db: Database) -> set[str]:
    async with db.transaction() as session:
        return set((await session.scalars(select(Mailbox.rep_address))).all())
