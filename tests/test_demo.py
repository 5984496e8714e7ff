"""``followupd demo`` — the README's first command — plays every stage and exits 0."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.pymap


def test_demo_shows_every_stage_in_under_a_minute() -> None:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "followupd", "demo"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    stages = [
        "rep        sends 'PI 2026-118",
        "tells the rep: 'Tracking:",
        "mails the rep a draft to review",
        "replies 'approve' to the review mail",
        "tells the rep: 'Approved:",
        "sends follow-up to hans@buyer-corp.test",
        "replies 'ok' to the review mail",
        "buyer      replies:",
        "tells the rep: 'Buyer replied:",
    ]
    positions = [out.find(s) for s in stages]
    assert all(p >= 0 for p in positions), out
    assert positions == sorted(positions), out
    assert out.count("sends follow-up to") == 2
    assert "follow-ups received by the buyer: 2; thread state: replied" in out
    assert out.rstrip().endswith("demo OK")
    assert "Traceback" not in result.stderr
    assert elapsed < 60
