"""The whole classifier over the real-world corpus: precision and recall per label.

Run as ``followupd classify`` runs it without a database, where "reply" means "written by a
person". The corpus label ``other`` (new threads, forwards, spam, malformed mail) is not
scored: without a thread to match, such mail is legitimately "reply" (a person wrote it) or
"other", and the manifest does not say which.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from pathlib import Path

import pytest

from followupd.classify.base import ClassifyContext
from followupd.classify.pipeline import classify
from followupd.classify.verdict import standalone
from followupd.errors import MailParseError
from followupd.mail.parse import parse_message

CORPUS = Path(__file__).parents[2] / "shared" / "corpus"
EXPECTED = {
    "human_reply": "reply",
    "auto_reply": "auto_reply",
    "bounce_hard": "bounce",
    "bounce_soft": "bounce",
    "mdn": "read_receipt",
    "automated": "other",
}
THRESHOLD = 0.95


@pytest.mark.skipif(not CORPUS.is_dir(), reason="mail corpus not available")
def test_precision_and_recall_per_label(capsys: pytest.CaptureFixture[str]) -> None:
    manifest = tomllib.loads((CORPUS / "manifest.toml").read_text())["message"]
    ctx = ClassifyContext(rep_addresses=frozenset())
    pairs: list[tuple[str, str]] = []
    hard: Counter[tuple[str, bool]] = Counter()
    for entry in manifest:
        if entry["label"] not in EXPECTED:
            continue
        try:
            msg = parse_message((CORPUS / entry["path"]).read_bytes())
            verdict = standalone(msg, classify(msg, ctx))
        except MailParseError:
            pairs.append((EXPECTED[entry["label"]], "other"))
            continue
        pairs.append((EXPECTED[entry["label"]], verdict.label))
        if verdict.bounce is not None:
            hard[(entry["label"], verdict.bounce.hard)] += 1
    lines = []
    failures = []
    for label in sorted(set(EXPECTED.values())):
        tp = sum(1 for e, g in pairs if e == label and g == label)
        predicted = sum(1 for _, g in pairs if g == label)
        actual = sum(1 for e, _ in pairs if e == label)
        precision = tp / predicted if predicted else 1.0
        recall = tp / actual if actual else 1.0
        lines.append(f"{label:<13} precision {precision:6.1%}  recall {recall:6.1%}  (n={actual})")
        if precision < THRESHOLD or recall < THRESHOLD:
            failures.append(label)
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert not failures, lines
    # Hard and soft bounces are told apart, not only bounces from the rest.
    assert hard[("bounce_hard", False)] == 0 and hard[("bounce_soft", True)] == 0
