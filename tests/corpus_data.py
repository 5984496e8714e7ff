"""The shared real-world corpus (../shared/corpus), read by several classifier tests."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from followupd.classify.base import Classification, ClassifyContext
from followupd.classify.pipeline import classify
from followupd.errors import MailParseError
from followupd.mail.parse import parse_message

CORPUS = Path(__file__).parents[2] / "shared" / "corpus"


def classified_corpus() -> list[tuple[str, str, Classification]]:
    """(path, manifest label, verdict) for every parsable corpus message; [] when absent."""
    if not CORPUS.is_dir():
        return []
    with (CORPUS / "manifest.toml").open("rb") as fh:
        entries: list[dict[str, Any]] = tomllib.load(fh)["message"]
    found = []
    ctx = ClassifyContext(rep_addresses=frozenset({"rep@factory.example"}))
    for entry in entries:
        try:
            msg = parse_message((CORPUS / entry["path"]).read_bytes())
        except MailParseError:
            continue
        found.append((entry["path"], entry["label"], classify(msg, ctx)))
    return found
