"""Cadences: the ordered steps of a follow-up, defined as data in TOML.

The shipped defaults are ``cadences.toml`` next to this module; a user file of the same shape
adds cadences or replaces shipped ones by name. Every problem names the file, the cadence, the
step, the key, the bad value and what was expected, because the person reading it is editing
that file.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from followupd.approval.policy import parse_policy
from followupd.errors import CadenceError, TemplateError

if TYPE_CHECKING:
    from followupd.templating.library import TemplateLibrary

StepKind = Literal["email", "task"]
# Thread dates a step can be timed against (see the trade context of a thread).
Anchor = Literal["validity", "shipment", "paid"]
ANCHORS: tuple[str, ...] = ("validity", "shipment", "paid")
Channel = Literal["call", "whatsapp", "linkedin"]
DEFAULT_MAX_EMAILS = 5
DEFAULT_SLACK_DAYS = 2

_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_CADENCE_KEYS = frozenset(("description", "max_emails", "policy", "step"))
_STEP_KEYS = frozenset(
    (
        "after_days",
        "after_hours",
        "anchor",
        "offset_days",
        "kind",
        "template",
        "on_read",
        "channel",
        "slack_days",
    )
)


@dataclass(frozen=True, kw_only=True)
class Step:
    """One touch of a cadence: an email to the buyer or a task reminder to the rep.

    When it is due: ``after`` the previous touch, or ``offset`` from one of the thread's
    dates (``anchor``: 2 days before the validity ends, the day after it ended); with both,
    the anchor wins when the thread has that date and ``after`` is the fallback. What it
    says: the first of ``templates`` not yet sent on the thread; ``on_read`` replaces them
    when the buyer read the previous follow-up without answering.
    """

    number: int
    kind: StepKind
    templates: tuple[str, ...]
    after: timedelta | None = None
    anchor: Anchor | None = None
    offset: timedelta = timedelta(0)
    on_read: str | None = None
    channel: Channel | None = None
    slack: timedelta = timedelta(days=DEFAULT_SLACK_DAYS)

    def __post_init__(self) -> None:
        if self.number < 1:
            raise CadenceError(f"step {self.number} must be 1 or more")
        if self.kind not in ("email", "task"):
            raise CadenceError(f"step {self.number}: kind {self.kind!r} is not email or task")
        if self.after is None and self.anchor is None:
            raise CadenceError(f"step {self.number}: give after_days/after_hours or an anchor")
        if self.after is not None and self.after < timedelta(hours=1):
            raise CadenceError(f"step {self.number}: the gap must be at least one hour")
        if self.anchor is not None and self.anchor not in ANCHORS:
            raise CadenceError(
                f"step {self.number}: anchor {self.anchor!r} is not one of {ANCHORS}"
            )
        if self.slack < timedelta(0):
            raise CadenceError(f"step {self.number}: slack must not be negative")
        if not self.templates:
            raise CadenceError(f"step {self.number}: no template")
        for template in (*self.templates, *([self.on_read] if self.on_read else [])):
            if not _NAME_RE.match(template):
                raise CadenceError(f"step {self.number}: {template!r} is not a template id")
        if self.channel is not None and self.kind != "task":
            raise CadenceError(f"step {self.number}: only a task has a channel")

    @property
    def template(self) -> str:
        """The first choice of template."""
        return self.templates[0]

    @property
    def all_templates(self) -> tuple[str, ...]:
        return (*self.templates, *([self.on_read] if self.on_read else []))


@dataclass(frozen=True, kw_only=True)
class Cadence:
    """A named sequence of steps; at most ``max_emails`` of them are emails to the buyer."""

    name: str
    description: str
    steps: tuple[Step, ...]
    max_emails: int = DEFAULT_MAX_EMAILS
    # Who approves its drafts (followupd.approval.policy); None: the rep, unless the rep's
    # mailbox says otherwise.
    policy: str | None = None

    def __post_init__(self) -> None:
        # Cadence names appear in plus-addresses (rep+fu-<name>@...), so keep them address-safe.
        if not _NAME_RE.match(self.name):
            raise CadenceError(f"cadence name {self.name!r} must be lowercase letters, digits, -")
        if not self.steps:
            raise CadenceError(f"cadence {self.name}: has no steps")
        if self.max_emails < 1:
            raise CadenceError(f"cadence {self.name}: max_emails must be 1 or more")
        for index, step in enumerate(self.steps, start=1):
            if step.number != index:
                raise CadenceError(f"cadence {self.name}: step {index} is numbered {step.number}")
        if self.emails > self.max_emails:
            raise CadenceError(
                f"cadence {self.name}: has {self.emails} email steps, "
                f"more than max_emails = {self.max_emails}"
            )
        seen: set[str] = set()
        for step in self.steps:
            # SPEC: never the same template twice in a thread. A template may be a later
            # step's fallback candidate, but no step may lead with one an earlier step led with.
            if step.template in seen:
                raise CadenceError(
                    f"cadence {self.name}: step {step.number}: template {step.template!r} "
                    "is already used by an earlier step"
                )
            seen.add(step.template)

    @property
    def emails(self) -> int:
        """How many steps are emails to the buyer."""
        return sum(1 for step in self.steps if step.kind == "email")


def load_cadences(override: Path | None = None) -> dict[str, Cadence]:
    """The shipped cadences, with those of ``override`` added or replacing them by name."""
    shipped = resources.files("followupd.sequence").joinpath("cadences.toml")
    cadences = parse_cadences(shipped.read_text(encoding="utf-8"), source="cadences.toml")
    if override is not None:
        try:
            text = override.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CadenceError(f"{override}: cannot be read: {exc}") from exc
        cadences.update(parse_cadences(text, source=str(override)))
    return cadences


def parse_cadences(text: str, *, source: str) -> dict[str, Cadence]:
    """Parse a cadence TOML document; ``source`` names it in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CadenceError(f"{source}: not valid TOML: {exc}") from exc
    extra = sorted(set(data) - {"cadence"})
    if extra:
        raise CadenceError(f"{source}: unknown top-level key(s) {extra}; expected [cadence.<name>]")
    tables = data.get("cadence", {})
    if not isinstance(tables, dict):
        raise CadenceError(f"{source}: 'cadence' must be a table of [cadence.<name>] tables")
    result: dict[str, Cadence] = {}
    for name, table in tables.items():
        if not isinstance(table, dict):
            raise CadenceError(f"{source}: cadence {name}: expected a table")
        result[name] = _cadence(name, table, source)
    return result


def _cadence(name: str, table: Mapping[str, object], source: str) -> Cadence:
    where = f"{source}: cadence {name}"
    if not _NAME_RE.match(name):
        raise CadenceError(f"{source}: cadence name {name!r} must be lowercase letters, digits, -")
    _no_unknown_keys(table, _CADENCE_KEYS, where)
    description = table.get("description")
    if not isinstance(description, str) or not description.strip():
        raise CadenceError(f"{where}: 'description' is {description!r}, expected a sentence")
    max_emails = _int(table, "max_emails", DEFAULT_MAX_EMAILS, minimum=1, where=where)
    policy = table.get("policy")
    if policy is not None:
        if not isinstance(policy, str):
            raise CadenceError(f"{where}: 'policy' must be a string such as \"auto\"")
        try:
            policy = str(parse_policy(policy))
        except ValueError as exc:
            raise CadenceError(f"{where}: {exc}") from exc
    raw_steps = table.get("step")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise CadenceError(f"{where}: expected at least one [[cadence.{name}.step]]")
    steps: list[Step] = []
    for number, raw in enumerate(raw_steps, start=1):
        step_where = f"{where}, step {number}"
        if not isinstance(raw, dict):
            raise CadenceError(f"{step_where}: expected a table")
        steps.append(_step(number, raw, step_where))
    try:
        return Cadence(
            name=name,
            description=description.strip(),
            steps=tuple(steps),
            max_emails=max_emails,
            policy=policy,
        )
    except CadenceError as exc:
        raise CadenceError(f"{source}: {exc}") from exc


def _step(number: int, raw: Mapping[str, object], where: str) -> Step:
    _no_unknown_keys(raw, _STEP_KEYS, where)
    if "after_days" in raw and "after_hours" in raw:
        raise CadenceError(f"{where}: give after_days or after_hours, not both")
    after: timedelta | None = None
    if "after_hours" in raw:
        after = timedelta(hours=_int(raw, "after_hours", None, minimum=1, where=where))
    elif "after_days" in raw:
        after = timedelta(days=_int(raw, "after_days", None, minimum=1, where=where))
    anchor = raw.get("anchor")
    if anchor is not None and anchor not in ANCHORS:
        raise CadenceError(f"{where}: 'anchor' is {anchor!r}, expected one of {list(ANCHORS)}")
    offset = raw.get("offset_days", 0)
    if not isinstance(offset, int) or isinstance(offset, bool):
        raise CadenceError(f"{where}: 'offset_days' is {offset!r}, expected an integer")
    if anchor is None and "offset_days" in raw:
        raise CadenceError(f"{where}: 'offset_days' needs an 'anchor'")
    if after is None and anchor is None:
        raise CadenceError(f"{where}: expected after_days, after_hours or an anchor")
    slack = _int(raw, "slack_days", DEFAULT_SLACK_DAYS, minimum=0, where=where)
    kind = raw.get("kind")
    if kind != "email" and kind != "task":
        raise CadenceError(f'{where}: \'kind\' is {kind!r}, expected "email" or "task"')
    template = raw.get("template")
    templates = [template] if isinstance(template, str) else template
    if (
        not isinstance(templates, list)
        or not templates
        or not all(isinstance(t, str) and _NAME_RE.match(t) for t in templates)
    ):
        raise CadenceError(
            f"{where}: 'template' is {template!r}, expected a template id or a list of them"
        )
    on_read = raw.get("on_read")
    if on_read is not None and (not isinstance(on_read, str) or not _NAME_RE.match(on_read)):
        raise CadenceError(f"{where}: 'on_read' is {on_read!r}, expected a template id")
    channel = raw.get("channel")
    if channel is not None and channel not in ("call", "whatsapp", "linkedin"):
        raise CadenceError(
            f"{where}: 'channel' is {channel!r}, expected call, whatsapp or linkedin"
        )
    try:
        return Step(
            number=number,
            kind=kind,
            templates=tuple(str(t) for t in templates),
            after=after,
            anchor=anchor,  # type: ignore[arg-type]
            offset=timedelta(days=offset),
            on_read=on_read,
            channel=channel,
            slack=timedelta(days=slack),
        )
    except CadenceError as exc:
        raise CadenceError(f"{where}: {exc}") from exc


def _int(
    table: Mapping[str, object], key: str, default: int | None, *, minimum: int, where: str
) -> int:
    value = table.get(key, default)
    # bool is an int in Python, but "after_days = true" is certainly a mistake.
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise CadenceError(f"{where}: {key!r} is {value!r}, expected an integer ≥ {minimum}")
    return value


def _no_unknown_keys(table: Mapping[str, object], allowed: frozenset[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise CadenceError(
            f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
        )


def validate_templates(cadences: Mapping[str, Cadence], library: TemplateLibrary) -> list[str]:
    """Problems between cadences and templates: unknown ids, email/task kind mismatches."""
    problems: list[str] = []
    known = set(library.ids())

    def adds(template: str) -> tuple[str, ...]:
        return library.get(template).meta.adds

    for cadence in cadences.values():
        first_email = next((s.number for s in cadence.steps if s.kind == "email"), 0)
        for step in cadence.steps:
            where = f"cadence {cadence.name}, step {step.number}"
            for template in step.all_templates:
                if template not in known:
                    problems.append(f"{where}: unknown template {template!r}")
                    continue
                try:
                    kind = library.get(template).meta.kind
                except TemplateError as exc:
                    problems.append(f"{where}: {exc}")
                    continue
                if kind != step.kind:
                    problems.append(
                        f"{where}: the step is of kind {step.kind} but template "
                        f"{template!r} is of kind {kind}"
                    )
                elif kind == "email" and step.number > first_email and not adds(template):
                    # SPEC: follow up, don't push. A mail that brings nothing new is a nag.
                    problems.append(
                        f"{where}: template {template!r} has no value tag (adds); every "
                        "follow-up after the first must bring the buyer something new"
                    )
    return problems
