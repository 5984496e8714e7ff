"""Classifier throughput over real mail, against the stdlib parser alone, in the same run.

    python bench/classify_throughput.py [CORPUS_DIR] [--rounds N]

Prints messages per second for (a) ``email.message_from_bytes`` with policy.default, the raw
baseline, and (b) followupd's ``parse_message`` + ``classify``, and their ratio. Figures, not
a test: nothing fails here.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

from followupd.classify.base import ClassifyContext
from followupd.classify.pipeline import classify
from followupd.errors import MailParseError
from followupd.mail.parse import parse_message

DEFAULT_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    raws = [p.read_bytes() for p in sorted(args.corpus.rglob("*.eml"))]
    if not raws:
        raise SystemExit(f"no .eml files under {args.corpus}")
    ctx = ClassifyContext(rep_addresses=frozenset({"rep@seller.test"}))

    start = time.perf_counter()
    for _ in range(args.rounds):
        for raw in raws:
            message_from_bytes(raw, policy=default_policy)
    baseline = len(raws) * args.rounds / (time.perf_counter() - start)

    start = time.perf_counter()
    for _ in range(args.rounds):
        for raw in raws:
            with contextlib.suppress(MailParseError):
                classify(parse_message(raw), ctx)
    ours = len(raws) * args.rounds / (time.perf_counter() - start)

    print(f"messages: {len(raws)} x {args.rounds} rounds")
    print(f"stdlib parse only:        {baseline:8.0f} msg/s")
    print(f"followupd parse+classify: {ours:8.0f} msg/s")
    print(f"ratio: {ours / baseline:.2f}")


if __name__ == "__main__":
    main()
