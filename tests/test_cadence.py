"""Cadences as data, their validation against templates, and the planner."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from followupd.errors import CadenceError
from followupd.sequence.cadence import (
    Cadence,
    Step,
    load_cadences,
    parse_cadences,
    validate_templates,
)
from followupd.sequence.planner import (
    busy_days,
    deadline_at,
    due_at,
    next_step,
    plan_next,
    remaining_steps,
)
from followupd.templating.library import default_template_dirs, load_library

SHIPPED = load_cadences()
LIBRARY = load_library(default_template_dirs())
T0 = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)

ONE = """
[cadence.mine]
description = "Mine."

[[cadence.mine.step]]
after_days = 3
kind = "email"
template = "pi-check-in"
"""


def days(step: Step) -> int:
    return step.after.days


def test_shipped_cadences_are_there_and_valid_against_the_shipped_templates() -> None:
    assert {"pi", "halving", "quote", "sample"} <= set(SHIPPED)
    assert validate_templates(SHIPPED, LIBRARY) == []
    for cadence in SHIPPED.values():
        assert cadence.emails <= cadence.max_emails <= 5
        templates = [step.template for step in cadence.steps]
        assert len(templates) == len(set(templates))
        for step in cadence.steps:
            # Each template says which cadences it is written for; the shipped data agrees.
            assert LIBRARY.get(step.template).meta.fits(cadence.name), (cadence.name, step)


def test_pi_is_a_staircase_that_switches_channel_then_goes_monthly() -> None:
    pi = SHIPPED["pi"]
    assert [days(s) for s in pi.steps[:3]] == [4, 7, 12]
    assert [s.template for s in pi.steps[:3]] == ["pi-check-in", "pi-value-add", "call-task"]
    assert pi.steps[2].kind == "task"
    assert all(days(s) == 30 for s in pi.steps[3:])
    assert pi.steps[-1].template == "quiet-check"
    assert pi.emails == 5


def test_halving_halves_its_gaps_with_four_different_emails() -> None:
    halving = SHIPPED["halving"]
    assert [days(s) for s in halving.steps] == [12, 6, 3, 2]
    assert all(s.kind == "email" for s in halving.steps)
    assert len({s.template for s in halving.steps}) == 4


def test_override_replaces_by_name_and_adds(tmp_path: Path) -> None:
    path = tmp_path / "cadences.toml"
    path.write_text(ONE + ONE.replace("mine", "pi").replace("3", "5"), encoding="utf-8")
    merged = load_cadences(path)
    assert set(SHIPPED) | {"mine"} == set(merged)
    assert [days(s) for s in merged["pi"].steps] == [5]
    assert merged["halving"] == SHIPPED["halving"]
    assert merged["mine"].steps[0].slack == timedelta(days=2)
    assert merged["mine"].max_emails == 5


def test_a_missing_override_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CadenceError, match="cannot be read"):
        load_cadences(tmp_path / "missing.toml")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "after_days = 3",
            "after_days = 0",
            "cadence mine, step 1: 'after_days' is 0, expected an",
        ),
        ("after_days = 3", "after_days = true", "'after_days' is True, expected an integer ≥ 1"),
        ("after_days = 3", "after_days = 3\nslack_days = -1", "'slack_days' is -1, expected"),
        ("after_days = 3", "", "expected after_days, after_hours or an anchor"),
        (
            "after_days = 3",
            "after_days = 3\nafter_hours = 2",
            "after_days or after_hours, not both",
        ),
        ("after_days = 3", 'anchor = "deadline"', "'anchor' is 'deadline', expected one of"),
        ("after_days = 3", "after_days = 3\noffset_days = -2", "'offset_days' needs an 'anchor'"),
        ('template = "pi-check-in"', "template = []", "expected a template id or a list"),
        ('template = "pi-check-in"', 'template = "a"\non_read = 7', "'on_read' is 7"),
        ('template = "pi-check-in"', 'template = "a"\nchannel = "fax"', "'channel' is 'fax'"),
        (
            'template = "pi-check-in"',
            'template = "a"\nchannel = "call"',
            "only a task has a channel",
        ),
        ('kind = "email"', 'kind = "sms"', "step 1: 'kind' is 'sms', expected \"email\" or"),
        ('template = "pi-check-in"', 'template = "Bad Name"', "'template' is 'Bad Name'"),
        ('template = "pi-check-in"', 'template = "x"\ncolour = 1', "unknown key(s) colour"),
        ('description = "Mine."', "", "'description' is None"),
        ('description = "Mine."', 'description = "M."\nmax_emails = 0', "'max_emails' is 0"),
        ("[cadence.mine]", "[cadence.Mine]", "cadence name 'Mine' must be lowercase"),
        ("[cadence.mine]", "[cadences.mine]", "unknown top-level key(s)"),
        ("after_days = 3", "after_days = ", "not valid TOML"),
    ],
)
def test_bad_cadence_files_name_file_cadence_step_key_and_value(
    old: str, new: str, expected: str
) -> None:
    text = ONE.replace(old, new, 1)
    with pytest.raises(CadenceError) as info:
        parse_cadences(text, source="my.toml")
    assert str(info.value).startswith("my.toml: ")
    assert expected in str(info.value)


def test_a_template_twice_or_too_many_emails_is_refused() -> None:
    step = ONE[ONE.index("[[") :]
    with pytest.raises(CadenceError, match="step 2: template 'pi-check-in' is already used"):
        parse_cadences(ONE + step, source="my.toml")
    second = step.replace("pi-check-in", "pi-value-add")
    text = ONE.replace('"Mine."', '"Mine."\nmax_emails = 1') + second
    with pytest.raises(CadenceError, match="has 2 email steps, more than max_emails = 1"):
        parse_cadences(text, source="my.toml")


def test_validate_templates_reports_unknown_ids_and_kind_mismatches() -> None:
    steps = (
        Step(number=1, kind="email", after=timedelta(days=3), templates=("no-such-template",)),
        Step(number=2, kind="email", after=timedelta(days=3), templates=("call-task",)),
        Step(number=3, kind="task", after=timedelta(days=3), templates=("quiet-check",)),
    )
    bad = Cadence(name="bad", description="Bad.", steps=steps)
    assert validate_templates({"bad": bad}, LIBRARY) == [
        "cadence bad, step 1: unknown template 'no-such-template'",
        "cadence bad, step 2: the step is of kind email but template 'call-task' is of kind task",
        "cadence bad, step 3: the step is of kind task but template 'quiet-check' is of kind email",
    ]


def test_value_objects_validate_on_construction() -> None:
    with pytest.raises(CadenceError):
        Step(number=0, kind="email", after=timedelta(days=1), templates=("a",))
    with pytest.raises(CadenceError):
        Step(number=1, kind="email", after=timedelta(minutes=30), templates=("a",))
    with pytest.raises(CadenceError, match="give after_days/after_hours or an anchor"):
        Step(number=1, kind="email", templates=("a",))
    with pytest.raises(CadenceError, match="no template"):
        Step(number=1, kind="email", after=timedelta(days=1), templates=())
    with pytest.raises(CadenceError, match="step 1 is numbered 2"):
        step = Step(number=2, kind="email", after=timedelta(days=1), templates=("a",))
        Cadence(name="c", description="C.", steps=(step,))
    with pytest.raises(CadenceError, match="has no steps"):
        Cadence(name="c", description="C.", steps=())


def test_next_step_walks_the_cadence_and_ends_with_none() -> None:
    pi = SHIPPED["pi"]
    assert [next_step(pi, done) for done in range(len(pi.steps))] == list(pi.steps)
    assert next_step(pi, len(pi.steps)) is None
    assert next_step(pi, 99) is None
    assert remaining_steps(pi, 4) == pi.steps[4:]
    with pytest.raises(ValueError):
        next_step(pi, -1)


def test_due_and_deadline_count_from_the_last_touch() -> None:
    step = SHIPPED["pi"].steps[0]
    assert due_at(step, T0) == T0 + timedelta(days=4)
    assert deadline_at(step, T0) == T0 + timedelta(days=6)
    planned = plan_next(SHIPPED["pi"], 0, T0)
    assert planned is not None and planned.step == step
    assert (planned.due, planned.deadline) == (due_at(step, T0), deadline_at(step, T0))
    assert plan_next(SHIPPED["halving"], 4, T0) is None
    with pytest.raises(ValueError):
        due_at(step, datetime(2026, 3, 2, 8, 30))


def test_busy_days_are_the_buyers_local_dates() -> None:
    touches = [datetime(2026, 3, 2, 23, 30, tzinfo=UTC), datetime(2026, 3, 5, 3, 0, tzinfo=UTC)]
    assert busy_days(touches, ZoneInfo("Asia/Shanghai")) == {date(2026, 3, 3), date(2026, 3, 5)}
    assert busy_days(touches, ZoneInfo("America/Chicago")) == {date(2026, 3, 2), date(2026, 3, 4)}
