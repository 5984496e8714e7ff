"""Shared fixtures and the test tiers.

Tiers say which real servers a test needs:

* ``pymap``    - the embedded IMAP server; always available (it is a dependency).
* ``dovecot``  - a real Dovecot, started by the ``dovecot_server`` fixture.
* ``postgres`` - a PostgreSQL server named by ``FOLLOWUPD_TEST_PG_URL``.

A test belongs to a tier through its marker, which is added automatically
when it uses that tier's fixtures. When a tier's server is missing its tests
are skipped, unless ``FOLLOWUPD_REQUIRE_TIERS`` (e.g. ``dovecot,postgres``)
names the tier: then they fail, and so does a run in which a required tier
ran no test at all. CI sets it, so a broken install cannot pass as a skip.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import pytest
from hypothesis import HealthCheck, settings
from servers import run_sync
from servers.dovecot import DovecotServer, dovecot_binary
from servers.postgres import PG_URL_ENV, create_database, drop_database, pg_admin_url

# Property tests check behaviour, not speed: a loaded CI machine must not fail them on
# Hypothesis's per-example deadline (timings live in bench/).
settings.register_profile("followupd", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("followupd")

REQUIRE_ENV = "FOLLOWUPD_REQUIRE_TIERS"
TIERS = ("pymap", "dovecot", "postgres")

# Using one of these fixtures puts a test in the tier. pymap fixtures are
# recognised by name so that modules adding their own still get counted.
_TIER_FIXTURES = {
    "dovecot": {"dovecot_server", "dovecot_user"},
    "postgres": {"pg_url"},
}


@dataclass
class _TierStats:
    ran: set[str] = field(default_factory=set)
    skipped: dict[str, str] = field(default_factory=dict)
    errors: set[str] = field(default_factory=set)


# Per-run bookkeeping. Module state is enough: one pytest run, one conftest.
_STATS: dict[str, _TierStats] = {}
_TIERS_OF: dict[str, frozenset[str]] = {}


def required_tiers() -> frozenset[str]:
    """Tiers named in FOLLOWUPD_REQUIRE_TIERS (unknown names are an error)."""
    raw = os.environ.get(REQUIRE_ENV, "")
    names = frozenset(part.strip() for part in raw.split(",") if part.strip())
    unknown = names - set(TIERS)
    if unknown:
        raise pytest.UsageError(
            f"{REQUIRE_ENV} names unknown tiers {sorted(unknown)}; known: {', '.join(TIERS)}"
        )
    return names


def tier_unavailable(tier: str, reason: str) -> NoReturn:
    """Skip the test, or fail it when CI requires the tier."""
    if tier in required_tiers():
        pytest.fail(
            f"tier {tier!r} is required by {REQUIRE_ENV} but unavailable: {reason}",
            pytrace=False,
        )
    pytest.skip(f"tier {tier}: {reason}")


def _tier_problem(tier: str) -> str | None:
    """Why a tier cannot run here, or None when its prerequisite is present."""
    if tier == "dovecot" and dovecot_binary() is None:
        return "dovecot is not installed (Debian package dovecot-imapd)"
    if tier == "postgres" and pg_admin_url() is None:
        return f"{PG_URL_ENV} is not set"
    return None


# -- collection and reporting ----------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    required_tiers()  # fail fast on a typo in the environment variable
    _STATS.clear()
    _STATS.update({tier: _TierStats() for tier in TIERS})
    _TIERS_OF.clear()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        for tier, names in _TIER_FIXTURES.items():
            if fixtures & names and item.get_closest_marker(tier) is None:
                item.add_marker(getattr(pytest.mark, tier))
        if any(name.startswith("pymap") for name in fixtures) and not item.get_closest_marker(
            "pymap"
        ):
            item.add_marker(pytest.mark.pymap)
        _TIERS_OF[item.nodeid] = frozenset(t for t in TIERS if item.get_closest_marker(t))


def pytest_runtest_setup(item: pytest.Item) -> None:
    # A marker alone (without the fixture) is enough to need the server.
    for tier in TIERS:
        if item.get_closest_marker(tier) is not None:
            problem = _tier_problem(tier)
            if problem is not None:
                tier_unavailable(tier, problem)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for tier in _TIERS_OF.get(report.nodeid, frozenset()):
        entry = _STATS[tier]
        if report.when == "call":
            entry.ran.add(report.nodeid)
        elif report.when == "setup" and report.skipped:
            reason = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else "skipped"
            entry.skipped[report.nodeid] = reason.removeprefix("Skipped: ").removeprefix(
                f"tier {tier}: "
            )
        elif report.when == "setup" and report.failed:
            entry.errors.add(report.nodeid)


def _missing_required() -> list[str]:
    return sorted(tier for tier in required_tiers() if not _STATS[tier].ran)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if session.config.option.collectonly or not _STATS:
        return
    if _missing_required() and session.exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    if config.option.collectonly or not _STATS:
        return
    terminalreporter.section("tiers")
    for tier, entry in _STATS.items():
        parts = [f"ran {len(entry.ran)} tests"]
        if entry.skipped:
            reasons = sorted(set(entry.skipped.values()))
            parts.append(f"skipped {len(entry.skipped)} ({'; '.join(reasons)})")
        if entry.errors:
            parts.append(f"{len(entry.errors)} failed in setup")
        if not entry.ran and entry.skipped and not entry.errors:
            parts = [f"skipped ({'; '.join(sorted(set(entry.skipped.values())))})"]
        terminalreporter.write_line(f"tier {tier}: {', '.join(parts)}")
    for tier in _missing_required():
        terminalreporter.write_line(
            f"FAILED: tier {tier} is required by {REQUIRE_ENV} but ran 0 tests", red=True
        )


# -- Dovecot ------------------------------------------------------------------


_DOVECOT_POOL_SIZE = 200
_DOVECOT_POOL: list[tuple[str, str]] = []


@pytest.fixture(scope="session")
def dovecot_server() -> Iterator[DovecotServer]:
    """One Dovecot for the whole session; give each test its own user."""
    problem = _tier_problem("dovecot")
    if problem is not None:
        tier_unavailable("dovecot", problem)
    # Not pytest's tmp_path: that is 0700 and the mail processes (uid 65534)
    # must be able to reach their home directories.
    base = Path(tempfile.mkdtemp(prefix="followupd-dovecot-"))
    base.chmod(0o755)
    server = DovecotServer(base)
    # Users added before start() are usable at once; later additions wait for
    # Dovecot's once-a-second passwd-file check. A stock of users made up
    # front keeps dovecot_user instant for the usual number of tests.
    _DOVECOT_POOL.clear()
    for _ in range(_DOVECOT_POOL_SIZE):
        user, password = _new_credentials()
        server.add_user(user, password)
        _DOVECOT_POOL.append((user, password))
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def dovecot_user(dovecot_server: DovecotServer) -> tuple[str, str]:
    """A fresh (user, password) on the session's Dovecot, so tests never share a mailbox."""
    if _DOVECOT_POOL:
        return _DOVECOT_POOL.pop()
    user, password = _new_credentials()
    dovecot_server.add_user(user, password)
    return user, password


def _new_credentials() -> tuple[str, str]:
    return f"rep{secrets.token_hex(6)}", secrets.token_urlsafe(12)


# -- PostgreSQL -------------------------------------------------------------


@pytest.fixture
def pg_url() -> Iterator[str]:
    """SQLAlchemy URL of a brand-new PostgreSQL database, dropped after the test."""
    admin = pg_admin_url()
    if admin is None:
        tier_unavailable("postgres", f"{PG_URL_ENV} is not set")
    try:
        url = run_sync(create_database(admin))
    except OSError as exc:
        tier_unavailable("postgres", f"cannot reach PostgreSQL at {PG_URL_ENV}: {exc}")
    try:
        yield url
    finally:
        run_sync(drop_database(url))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test against SQLite and PostgreSQL (the latter in the postgres tier)."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 't.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url
