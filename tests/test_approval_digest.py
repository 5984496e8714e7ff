"""The rep's answer to a digest mail: numbered decisions, read strictly."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from followupd.approval.digest import MAX_NUMBER, DigestChoice, parse_digest
from followupd.errors import CommandError

# The quoted digest shows examples of every command; none of them may ever count.
DIGEST = """followupd has 3 drafts waiting for your decision.

1  Jörg Müller: PI 2026-118 ball valves DN50
2  Carlos Mendes: Quotation Q-0931 gate valves DN80
3  Ahmet Yilmaz: Quotation Q-0954 check valves

Answer with a command and the numbers, one or more per line:
  approve 1 3, skip 2     snooze 2 3d     stop 3     approve all

Token: FD-5-klmnopqrst-abcdefghijklmnop"""


def quoted() -> str:
    return "\n".join(f"> {line}".rstrip() for line in DIGEST.splitlines())


def reply(answer: str) -> str:
    attribution = "On Tue, Nov 24, 2026 at 6:00 PM followupd <z@factory.example> wrote:"
    return f"{answer}\n\n{attribution}\n{quoted()}\n"


def row(choice: DigestChoice) -> tuple[object, ...]:
    # The common case stays short, so the tables below are easy to read.
    if choice.all or choice.delay or choice.until:
        return (choice.verb, choice.numbers, choice.all, choice.delay, choice.until)
    return (choice.verb, choice.numbers)


def summary(text: str) -> list[tuple[object, ...]]:
    return [row(choice) for choice in parse_digest(text)]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("approve 1 3, skip 2", [("approve", (1, 3)), ("skip", (2,))]),
        ("approve 1 3\nskip 2", [("approve", (1, 3)), ("skip", (2,))]),
        ("Approve 1, 3; Skip 2.", [("approve", (1, 3)), ("skip", (2,))]),
        ("approve 1 and 3\n\nskip 2", [("approve", (1, 3)), ("skip", (2,))]),
        ("approve #1 #3", [("approve", (1, 3))]),
        ("ok 1-3", [("approve", (1, 2, 3))]),
        ("approve 1, 3 skip 2", [("approve", (1, 3)), ("skip", (2,))]),
        ("stop 5", [("stop", (5,))]),
        ("now 2", [("now", (2,))]),
        ("send now 2", [("now", (2,))]),
        ("won 7, lost 8, paid 9", [("won", (7,)), ("lost", (8,)), ("paid", (9,))]),
        ("同意 1 3，跳过 2", [("approve", (1, 3)), ("skip", (2,))]),
        ("同意1、3；跳过2。", [("approve", (1, 3)), ("skip", (2,))]),
        ("1、3同意，2跳过", [("approve", (1, 3)), ("skip", (2,))]),
        ("同意第1封和第3封", [("approve", (1, 3))]),
        ("立即 4", [("now", (4,))]),
        ("approve 1 3, skip 2, thanks", [("approve", (1, 3)), ("skip", (2,))]),
        ("ａｐｐｒｏｖｅ １ ３", [("approve", (1, 3))]),
        ("approve 99", [("approve", (99,))]),
    ],
)
def test_answers(answer: str, expected: list[tuple[object, ...]]) -> None:
    assert summary(reply(answer)) == expected


def test_snooze_and_pause_carry_their_time_and_day() -> None:
    text = reply("snooze 4 3d\npause 6 until 2026-12-01\n推迟 5 2周\n暂停 7 到 2026年12月1日")
    assert summary(text) == [
        ("snooze", (4,), False, timedelta(days=3), None),
        ("pause", (6,), False, None, date(2026, 12, 1)),
        ("snooze", (5,), False, timedelta(weeks=2), None),
        ("pause", (7,), False, None, date(2026, 12, 1)),
    ]


def test_snooze_with_a_spelled_out_time() -> None:
    assert parse_digest("snooze 4 3 days")[0].delay == timedelta(days=3)
    assert parse_digest("snooze 4 5 for 2 weeks")[0].numbers == (4, 5)
    assert parse_digest("pause 6 until Dec 1, 2026")[0].until == date(2026, 12, 1)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("approve all", [("approve", (), True, None, None)]),
        ("全部同意", [("approve", (), True, None, None)]),
        ("同意全部", [("approve", (), True, None, None)]),
        ("approve all, skip 2", [("skip", (2,)), ("approve", (), True, None, None)]),
        ("skip 2, approve the rest", [("skip", (2,)), ("approve", (), True, None, None)]),
        ("同意 1，其余都跳过", [("approve", (1,)), ("skip", (), True, None, None)]),
        ("全部跳过\n同意 2", [("approve", (2,)), ("skip", (), True, None, None)]),
        ("snooze all 1d", [("snooze", (), True, timedelta(days=1), None)]),
    ],
)
def test_all_means_every_draft_not_named_otherwise(
    answer: str, expected: list[tuple[object, ...]]
) -> None:
    assert summary(reply(answer)) == expected


def test_choices_for_all_come_after_the_numbered_ones() -> None:
    # Whoever applies the choices in order must reach the named drafts before "all".
    choices = parse_digest("approve all\nskip 2\nsnooze 3 1d")
    assert [c.verb for c in choices] == ["skip", "snooze", "approve"]
    assert choices[-1].all


def test_evidence_is_the_line_of_the_command() -> None:
    choices = parse_digest(reply("approve 1\nskip 2, 3"))
    assert [c.evidence for c in choices] == ["approve 1", "skip 2, 3"]
    assert choices[1].numbers == (2, 3)


def test_the_answer_ends_at_the_first_line_that_is_no_command() -> None:
    text = reply("approve 1 3\n\nThanks,\nZhang Wei\n+86 574 8888 0000\nSkype: zhang")
    assert summary(text) == [("approve", (1, 3))]
    # A signature right below the answer, with a phone number, is not part of it either.
    assert summary("approve 1 3\n+86 574 8888 8888") == [("approve", (1, 3))]
    assert summary("approve 1 3\n138-0000-0000") == [("approve", (1, 3))]
    # Nor is a tagline further down that happens to start with a command word.
    text = "approve 1 3\n\nZhang Wei\nStop by our booth 11.2 C45 at the fair!"
    assert summary(text) == [("approve", (1, 3))]


def test_a_later_line_that_starts_with_numbers_and_a_command_is_read() -> None:
    assert summary("approve 1\n3 跳过") == [("approve", (1,)), ("skip", (3,))]


def test_bottom_posted_answer_is_read_below_the_quote() -> None:
    text = f"On Tue, Nov 24, 2026 at 6:00 PM followupd wrote:\n{quoted()}\n\nskip 1 2\n\n-- \nZhang"
    assert summary(text) == [("skip", (1, 2))]


def test_same_answer_twice_for_a_number_is_no_conflict() -> None:
    assert summary("approve 1 2\napprove 2") == [("approve", (1, 2)), ("approve", (2,))]


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("approve 1 3, skip 3", "draft 3 is given two different answers"),
        ("approve 2\nstop 2", "draft 2 is given two different answers"),
        ("snooze 4 3d, snooze 4 1w", "draft 4 is given two different answers"),
        ("approve all, skip all", "'all' is given two different answers"),
        ("set 1 validity 2026-12-20", "answer the thread's own notice"),
        ("设置 1 validity 2026-12-20", "answer the thread's own notice"),
        ("approve 1 3 maybe", "could not understand 'maybe'"),
        ("Hi Zhang, approve 1", "could not understand 'Hi'"),
        ("approve 1 3?", "could not understand '\\?'"),
        ("好像 1 3", "could not understand '像'"),
        ("approve 0", "there is no draft 0"),
        (f"approve {MAX_NUMBER + 1}", f"there is no draft {MAX_NUMBER + 1}"),
        ("approve 3-1", "not a range of drafts"),
        ("approve 1-150", "not a range of drafts"),
        ("approve", "needs the numbers of the drafts"),
        ("approve, skip 2", "needs the numbers of the drafts"),
        ("1 3", "start with a command word"),
        ("approve all 2", "numbers or 'all', not both"),
        ("snooze 4", "'snooze' needs a time"),
        ("snooze 4 3d 1w", "more than one time or day"),
        ("snooze 4 100d", "between 1 hour and 90 days"),
        ("approve 1 3d", "only snooze takes a time"),
        ("pause 6", "'pause' needs a day"),
        ("approve 6 2026-12-01", "only pause takes a day"),
        ("pause 6 until 2026-02-30", "not a day in the calendar"),
        ("全部", "no answer|start with a command word"),
        ("", "no answer"),
        (f"\n\n{quoted()}", "no answer"),
    ],
)
def test_errors(answer: str, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        parse_digest(answer)


def test_conflict_names_both_lines() -> None:
    with pytest.raises(CommandError) as error:
        parse_digest("approve 1 2\nskip 2")
    assert "'approve 1 2' and 'skip 2'" in str(error.value)


def test_a_choice_checks_itself_when_built() -> None:
    choice = DigestChoice(verb="now", numbers=(2,), evidence="now 2")
    assert (choice.all, choice.delay, choice.until) == (False, None, None)
    with pytest.raises(CommandError, match="answer the thread's own notice"):
        DigestChoice(verb="set", numbers=(1,), evidence="set 1")
    with pytest.raises(CommandError, match="there is no draft 100"):
        DigestChoice(verb="skip", numbers=(100,), evidence="skip 100")
    with pytest.raises(CommandError, match="from 1 hour to 90 days"):
        DigestChoice(verb="snooze", numbers=(1,), evidence="x", delay=timedelta(minutes=5))
    with pytest.raises(CommandError, match="'pause' needs a day"):
        DigestChoice(verb="pause", all=True, numbers=(), evidence="pause all")
