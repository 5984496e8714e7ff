"""Template files and their metadata.

A template is ``templates/<language>/<id>.j2``: TOML front matter between two lines that are
exactly ``+++``, then the Jinja2 body, whose first line is ``Subject: ...``, then one blank line
and the plain-text mail. A block tag after text must not end a line (see ``_check_line_ends``).
Loading checks all of it, so a broken template is reported at start-up, naming file and line.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from jinja2 import TemplateSyntaxError

import followupd
from followupd.errors import TemplateError
from followupd.templating.render import new_environment

TemplateKind = Literal["email", "task"]
FALLBACK_LANGUAGE = "en"

_FENCE = "+++"
_SUBJECT_PREFIX = "Subject:"
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
_VARIABLE_RE = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*$")
_STANDALONE_TAG = re.compile(r"^\s*\{%(?:(?!%\}).)*%\}\s*$")
_REQUIRED_KEYS = ("id", "purpose", "value", "stages", "required", "language")
_KNOWN_KEYS = frozenset((*_REQUIRED_KEYS, "kind"))
_TEXT_KEYS = ("id", "purpose", "value", "language")


@dataclass(frozen=True, kw_only=True)
class TemplateMeta:
    """What a template is for; read from its front matter."""

    id: str
    purpose: str
    value: str
    stages: tuple[str, ...]
    required: tuple[str, ...]
    language: str
    kind: TemplateKind = "email"

    def __post_init__(self) -> None:
        if not _ID_RE.match(self.id):
            raise TemplateError(f"id {self.id!r} must be lowercase letters, digits and '-'")
        if not self.value.strip() or not self.purpose.strip() or "\n" in self.purpose.strip():
            raise TemplateError("purpose must be one line and value a text; neither may be empty")
        if not self.stages or any(not _ID_RE.match(s) for s in self.stages):
            raise TemplateError(f"stages {list(self.stages)!r} must be cadence names or 'any'")
        if bad := [name for name in self.required if not _VARIABLE_RE.match(name)]:
            raise TemplateError(f"required variables {bad!r} must be dotted names like buyer.name")
        if not _LANGUAGE_RE.match(self.language):
            raise TemplateError(f"language {self.language!r} is not a language code like 'en'")
        if self.kind not in ("email", "task"):
            raise TemplateError(f"kind {self.kind!r} must be 'email' or 'task'")

    def fits(self, cadence: str) -> bool:
        """Whether the template is meant for ``cadence`` according to its stages."""
        return "any" in self.stages or cadence in self.stages


@dataclass(frozen=True, kw_only=True)
class Template:
    """One parsed template file: metadata plus the Jinja2 sources of subject and body."""

    meta: TemplateMeta
    subject_source: str
    body_source: str
    path: Path

    @property
    def id(self) -> str:
        """The template id (same as ``meta.id``)."""
        return self.meta.id


class TemplateLibrary:
    """All loaded templates, looked up by id and language."""

    def __init__(self, templates: Iterable[Template]) -> None:
        self._by_key: dict[tuple[str, str], Template] = {}
        for template in templates:
            self._by_key[(template.meta.id, template.meta.language)] = template

    def get(self, template_id: str, language: str = FALLBACK_LANGUAGE) -> Template:
        """The template in ``language``, or in English when that translation does not exist."""
        for lang in (language, FALLBACK_LANGUAGE):
            found = self._by_key.get((template_id, lang))
            if found is not None:
                return found
        if any(key[0] == template_id for key in self._by_key):
            raise TemplateError(
                f"template {template_id!r} exists in {', '.join(self.languages(template_id))} "
                f"but neither in {language!r} nor in {FALLBACK_LANGUAGE!r}"
            )
        known = ", ".join(self.ids()) or "(none)"
        raise TemplateError(f"unknown template {template_id!r}; known templates: {known}")

    def ids(self) -> list[str]:
        """Every template id, sorted."""
        return sorted({key[0] for key in self._by_key})

    def languages(self, template_id: str) -> list[str]:
        """The languages ``template_id`` is available in, sorted (empty if unknown)."""
        return sorted(lang for tid, lang in self._by_key if tid == template_id)

    def __len__(self) -> int:
        return len(self._by_key)


def default_template_dirs() -> list[Path]:
    """The shipped templates: the packaged copy when installed, else the source tree's."""
    package_dir = Path(followupd.__file__).parent
    packaged = package_dir / "_data" / "templates"
    if packaged.is_dir():
        return [packaged]
    return [package_dir.parent / "templates"]


def load_library(dirs: Sequence[Path]) -> TemplateLibrary:
    """Load every ``<dir>/<language>/<id>.j2``; later dirs override earlier ones per id+language."""
    found: dict[tuple[str, str], Template] = {}
    for directory in dirs:
        if not directory.is_dir():
            raise TemplateError(f"template directory {directory} does not exist")
        for path in sorted(directory.glob("*/*.j2")):
            template = parse_template_file(path)
            found[(template.meta.id, template.meta.language)] = template
    return TemplateLibrary(found.values())


def parse_template_file(path: Path) -> Template:
    """Parse and check one template file; any problem raises TemplateError naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(f"{path}: cannot be read: {exc}") from exc
    try:
        return _parse(text, path)
    except TemplateError as exc:
        if str(exc).startswith(str(path)):
            raise
        raise TemplateError(f"{path}: {exc}") from exc


def _parse(text: str, path: Path) -> Template:
    lines = text.splitlines()
    if not lines or lines[0] != _FENCE:
        raise TemplateError(f"line 1 must be exactly {_FENCE!r} (start of the front matter)")
    try:
        close = lines.index(_FENCE, 1)
    except ValueError:
        raise TemplateError(f"front matter is not closed by a line {_FENCE!r}") from None
    meta = _parse_meta("\n".join(lines[1:close]), path)

    # Line numbers below are 1-based positions in the file, for messages the author can follow.
    subject_lineno = close + 2
    rest = lines[close + 1 :]
    if not rest or not rest[0].startswith(_SUBJECT_PREFIX):
        raise TemplateError(f"line {subject_lineno} must start with {_SUBJECT_PREFIX!r}")
    if len(rest) < 2 or rest[1].strip():
        raise TemplateError(f"line {subject_lineno + 1} must be blank (after the Subject line)")
    subject_source = rest[0][len(_SUBJECT_PREFIX) :].strip()
    if not subject_source:
        raise TemplateError(f"line {subject_lineno}: the subject is empty")
    body_source = "\n".join(rest[2:]) + "\n"
    if not body_source.strip():
        raise TemplateError("the mail body is empty")

    _check_syntax(subject_source, first_line=subject_lineno)
    _check_syntax(body_source, first_line=subject_lineno + 2)
    _check_line_ends(rest[2:], first_line=subject_lineno + 2)
    return Template(meta=meta, subject_source=subject_source, body_source=body_source, path=path)


def _parse_meta(front: str, path: Path) -> TemplateMeta:
    try:
        data = tomllib.loads(front)
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(f"front matter is not valid TOML: {exc}") from exc
    missing = [key for key in _REQUIRED_KEYS if key not in data]
    if missing:
        raise TemplateError(f"front matter lacks {', '.join(missing)}")
    unknown = sorted(set(data) - _KNOWN_KEYS)
    if unknown:
        raise TemplateError(
            f"front matter has unknown key(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(sorted(_KNOWN_KEYS))}"
        )
    tid, purpose, value, language = (_expect_str(data, k) for k in _TEXT_KEYS)
    # A single "any" is the natural way to write "fits every cadence"; accept it as a string.
    stages = ["any"] if data["stages"] == "any" else _expect_str_list(data, "stages")
    kind = data.get("kind", "email")
    if kind not in ("email", "task"):
        raise TemplateError(f"kind is {kind!r}, expected 'email' or 'task'")
    if tid != path.stem:
        raise TemplateError(f"id {tid!r} does not match the file name {path.name!r}")
    if language != path.parent.name:
        raise TemplateError(f"language {language!r} does not match the folder {path.parent.name!r}")
    required = tuple(_expect_str_list(data, "required"))
    return TemplateMeta(
        id=tid,
        purpose=purpose.strip(),
        value=value.strip(),
        stages=tuple(stages),
        required=required,
        language=language,
        kind=kind,
    )


def _expect_str(data: Mapping[str, object], key: str) -> str:
    value = data[key]
    if not isinstance(value, str):
        raise TemplateError(f"{key} is {value!r}, expected a string")
    return value


def _expect_str_list(data: Mapping[str, object], key: str) -> list[str]:
    value = data[key]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise TemplateError(f"{key} is {value!r}, expected a list of strings")
    return list(value)


def _check_syntax(source: str, *, first_line: int) -> None:
    try:
        new_environment().parse(source)
    except TemplateSyntaxError as exc:
        lineno = first_line + (exc.lineno or 1) - 1
        raise TemplateError(f"line {lineno}: Jinja2 syntax error: {exc.message}") from exc


def _check_line_ends(body: list[str], *, first_line: int) -> None:
    # Block tags swallow the line break after them (so that a tag on its own line leaves no
    # blank line). After text, that silently glues two lines or paragraphs together.
    for offset, line in enumerate(body):
        stripped = line.rstrip()
        if stripped.endswith("%}") and not _STANDALONE_TAG.match(stripped):
            raise TemplateError(
                f"line {first_line + offset} ends with a block tag after text, which would join "
                "it with the next line; put the tag on a line of its own"
            )
