"""A template's front matter: what it is for, what it brings the buyer, what it needs.

The front matter is TOML between two ``+++`` lines at the top of the file::

    id = "validity-reminder"         # the file name without .j2
    purpose = "Tells the buyer when the quoted prices stop being valid."
    adds = "validity"                # what the mail brings the buyer (see ADDS), or a list
    value = "A date to plan around."  # optional: the same in a sentence, for the rep
    stages = ["quote", "pi"]         # cadences it suits, or "any"
    requires = ["buyer.name"]        # variables without which it cannot be sent
    language = "en"                  # the folder name
    kind = "email"                   # or "task": a reminder mailed to the rep
    core = true                      # optional: must exist in every CORE_LANGUAGES too

Every problem is a :class:`TemplateFileError` naming the file and line.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from followupd.errors import TemplateError

TemplateKind = Literal["email", "task"]

# What a follow-up can bring the buyer. A mail that brings none of these is a nag.
ADDS = (
    "validity",
    "price_change",
    "freight_fx",
    "holiday_notice",
    "production_slot",
    "new_product",
    "case_study",
    "test_report",
    "comparison",
    "flexible_terms",
    "inquiry_check",
    "recap",
    "tracking",
    "feedback",
    "payment_confirmation",
    "thank_you",
)
# The languages a template marked ``core = true`` must also exist in.
CORE_LANGUAGES = ("es", "fr", "de", "ru", "pt")

# ``required`` was the name of ``requires`` before front matter carried ``adds``; it is still
# read so that a rep's own templates keep working, and ``templates lint`` asks to rename it.
OLD_REQUIRES_KEY = "required"
_MANDATORY_KEYS = ("id", "purpose", "stages", "requires", "language")
_KNOWN_KEYS = frozenset((*_MANDATORY_KEYS, "adds", "value", "kind", "core", OLD_REQUIRES_KEY))
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
_VARIABLE_RE = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$")
_TOML_LINE_RE = re.compile(r"at line (\d+)")


class TemplateFileError(TemplateError):
    """A problem in a template file, with where it is: ``path:line: problem``."""

    def __init__(self, path: Path, line: int, problem: str) -> None:
        self.path = path
        self.line = line
        self.problem = problem
        super().__init__(f"{path}:{line}: {problem}")


@dataclass(frozen=True, kw_only=True)
class TemplateMeta:
    """What a template is for; read from its front matter."""

    id: str
    purpose: str
    stages: tuple[str, ...]
    requires: tuple[str, ...]
    language: str
    adds: tuple[str, ...] = ()
    value: str = ""
    kind: TemplateKind = "email"
    core: bool = False

    def __post_init__(self) -> None:
        if not _ID_RE.match(self.id):
            raise TemplateError(f"id {self.id!r} must be lowercase letters, digits and '-'")
        if not self.purpose.strip() or "\n" in self.purpose.strip():
            raise TemplateError("purpose must be one non-empty line")
        if not self.stages or any(not _ID_RE.match(s) for s in self.stages):
            raise TemplateError(f"stages {list(self.stages)!r} must be cadence names or 'any'")
        if bad := [name for name in self.requires if not _VARIABLE_RE.match(name)]:
            raise TemplateError(f"requires {bad!r}: expected dotted names like buyer.name")
        if bad := [tag for tag in self.adds if tag not in ADDS]:
            raise TemplateError(f"adds {bad!r}: expected tags from {', '.join(ADDS)}")
        if not _LANGUAGE_RE.match(self.language):
            raise TemplateError(f"language {self.language!r} is not a language code like 'en'")
        if self.kind not in ("email", "task"):
            raise TemplateError(f"kind {self.kind!r} must be 'email' or 'task'")

    @property
    def required(self) -> tuple[str, ...]:
        """The old name of :attr:`requires`."""
        return self.requires

    def fits(self, cadence: str) -> bool:
        """Whether the template is meant for ``cadence`` according to its stages."""
        return "any" in self.stages or cadence in self.stages


@dataclass(frozen=True, kw_only=True)
class FrontMatter:
    """Parsed front matter plus where each key was written, for messages about it."""

    meta: TemplateMeta
    key_lines: Mapping[str, int]


def parse_front_matter(lines: Sequence[str], *, first_line: int, path: Path) -> FrontMatter:
    """Parse the lines between the fences; ``first_line`` is the file line of ``lines[0]``."""
    key_lines = _key_lines(lines, first_line)
    fence = first_line - 1

    def fail(problem: str, key: str | None = None) -> TemplateFileError:
        return TemplateFileError(path, key_lines.get(key, fence) if key else fence, problem)

    try:
        data = tomllib.loads("\n".join(lines))
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_LINE_RE.search(str(exc))
        line = first_line + int(found.group(1)) - 1 if found else fence
        raise TemplateFileError(path, line, f"front matter is not valid TOML: {exc}") from exc
    if unknown := sorted(set(data) - _KNOWN_KEYS):
        raise fail(
            f"front matter has unknown key {unknown[0]!r}; "
            f"allowed: {', '.join(sorted(_KNOWN_KEYS - {OLD_REQUIRES_KEY}))}",
            unknown[0],
        )
    if OLD_REQUIRES_KEY in data and "requires" in data:
        raise fail("give requires, not both requires and its old name required", OLD_REQUIRES_KEY)
    if OLD_REQUIRES_KEY in data:
        data["requires"] = data.pop(OLD_REQUIRES_KEY)
        key_lines["requires"] = key_lines[OLD_REQUIRES_KEY]
    if missing := [key for key in _MANDATORY_KEYS if key not in data]:
        raise fail(f"front matter lacks {', '.join(missing)}")

    def text(key: str, default: str | None = None) -> str:
        value = data.get(key, default)
        if not isinstance(value, str):
            raise fail(f"{key} is {value!r}, expected a string", key)
        return value.strip()

    def strings(key: str, *, single_ok: bool) -> tuple[str, ...]:
        value = data.get(key, [])
        # A single tag is the natural way to write most of these: accept it as a string.
        if single_ok and isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise fail(f"{key} is {value!r}, expected a list of strings", key)
        return tuple(value)

    tid, language = text("id"), text("language")
    if tid != path.stem:
        raise fail(f"id {tid!r} does not match the file name {path.name!r}", "id")
    if language != path.parent.name:
        raise fail(
            f"language {language!r} does not match the folder {path.parent.name!r}", "language"
        )
    kind = data.get("kind", "email")
    if kind not in ("email", "task"):
        raise fail(f"kind is {kind!r}, expected 'email' or 'task'", "kind")
    core = data.get("core", False)
    if not isinstance(core, bool):
        raise fail(f"core is {core!r}, expected true or false", "core")
    # "any" alone is the natural way to write "fits every cadence".
    stages = ("any",) if data["stages"] == "any" else strings("stages", single_ok=False)
    try:
        meta = TemplateMeta(
            id=tid,
            purpose=text("purpose"),
            stages=stages,
            requires=strings("requires", single_ok=False),
            adds=strings("adds", single_ok=True),
            value=text("value", ""),
            language=language,
            kind=kind,
            core=core,
        )
    except TemplateFileError:
        raise
    except TemplateError as exc:
        # Every check of TemplateMeta names its field first.
        raise fail(str(exc), str(exc).split()[0]) from exc
    return FrontMatter(meta=meta, key_lines=key_lines)


def _key_lines(lines: Sequence[str], first_line: int) -> dict[str, int]:
    """The file line where each top-level key is set."""
    found: dict[str, int] = {}
    for offset, line in enumerate(lines):
        match = re.match(r"\s*([A-Za-z0-9_-]+)\s*=", line)
        if match and not line[: match.start(1)].strip():
            found.setdefault(match.group(1), first_line + offset)
    return found
