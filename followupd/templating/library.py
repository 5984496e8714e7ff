"""Template files and the library of them.

A template is ``templates/<language>/<id>.j2``: front matter between two lines that are exactly
``+++`` (see :mod:`followupd.templating.meta`), then the Jinja2 body, whose first line is
``Subject: ...``, then one blank line and the plain-text mail. An optional HTML part follows a
line that is exactly ``+++ html``; without one, the HTML part is made from the text. A block
tag after text must not end a line (see ``_check_line_ends``). Loading checks all of it, so a
broken template is reported at start-up as ``file:line: problem``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from jinja2 import TemplateSyntaxError

import followupd
from followupd.errors import TemplateError
from followupd.templating.locale import FALLBACK_LANGUAGE
from followupd.templating.meta import (
    TemplateFileError,
    TemplateKind,
    TemplateMeta,
    parse_front_matter,
)
from followupd.templating.render import new_environment

__all__ = [
    "FALLBACK_LANGUAGE",
    "Template",
    "TemplateKind",
    "TemplateLibrary",
    "TemplateMeta",
    "default_template_dirs",
    "load_library",
    "parse_template_file",
    "template_files",
]

_FENCE = "+++"
HTML_FENCE = "+++ html"
_SUBJECT_PREFIX = "Subject:"
_STANDALONE_TAG = re.compile(r"^\s*\{%(?:(?!%\}).)*%\}\s*$")


@dataclass(frozen=True, kw_only=True)
class Template:
    """One parsed template file: metadata plus the Jinja2 sources of its parts.

    The ``*_line`` fields are the file lines where each source starts, so that problems
    found later (by ``templates lint``) can point into the file.
    """

    meta: TemplateMeta
    subject_source: str
    body_source: str
    path: Path
    html_source: str | None = None
    subject_line: int = 1
    body_line: int = 1
    html_line: int = 0
    key_lines: tuple[tuple[str, int], ...] = ()

    @property
    def id(self) -> str:
        """The template id (same as ``meta.id``)."""
        return self.meta.id

    def key_line(self, key: str) -> int:
        """The file line of front matter ``key``, or 1 when it is not written."""
        return dict(self.key_lines).get(key, 1)


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

    def templates(self) -> list[Template]:
        """Every template in every language, sorted by id then language."""
        return [self._by_key[key] for key in sorted(self._by_key)]

    def __len__(self) -> int:
        return len(self._by_key)


def default_template_dirs() -> list[Path]:
    """The shipped templates: the packaged copy when installed, else the source tree's."""
    package_dir = Path(followupd.__file__).parent
    packaged = package_dir / "_data" / "templates"
    if packaged.is_dir():
        return [packaged]
    return [package_dir.parent / "templates"]


def template_files(dirs: Sequence[Path]) -> list[Path]:
    """Every ``<dir>/<language>/<id>.j2`` in load order (a later file overrides an earlier one)."""
    files: list[Path] = []
    for directory in dirs:
        if not directory.is_dir():
            raise TemplateError(f"template directory {directory} does not exist")
        files.extend(sorted(directory.glob("*/*.j2")))
    return files


def load_library(dirs: Sequence[Path]) -> TemplateLibrary:
    """Load every ``<dir>/<language>/<id>.j2``; later dirs override earlier ones per id+language."""
    found: dict[tuple[str, str], Template] = {}
    for path in template_files(dirs):
        template = parse_template_file(path)
        found[(template.meta.id, template.meta.language)] = template
    return TemplateLibrary(found.values())


def parse_template_file(path: Path) -> Template:
    """Parse and check one template file; a problem raises TemplateFileError (file:line)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateFileError(path, 1, f"cannot be read: {exc}") from exc
    return _parse(text, path)


def _parse(text: str, path: Path) -> Template:
    lines = text.splitlines()
    if not lines or lines[0] != _FENCE:
        raise TemplateFileError(path, 1, f"the first line must be exactly {_FENCE!r}")
    try:
        close = lines.index(_FENCE, 1)
    except ValueError:
        raise TemplateFileError(
            path, 1, f"the front matter is not closed by a line {_FENCE!r}"
        ) from None
    front = parse_front_matter(lines[1:close], first_line=2, path=path)

    # Line numbers below are 1-based positions in the file, for messages the author can follow.
    subject_line = close + 2
    rest = lines[close + 1 :]
    if not rest or not rest[0].startswith(_SUBJECT_PREFIX):
        raise TemplateFileError(path, subject_line, f"the line must start with {_SUBJECT_PREFIX!r}")
    if len(rest) < 2 or rest[1].strip():
        raise TemplateFileError(path, subject_line + 1, "the line after the subject must be blank")
    subject_source = rest[0][len(_SUBJECT_PREFIX) :].strip()
    if not subject_source:
        raise TemplateFileError(path, subject_line, "the subject is empty")
    body_line = subject_line + 2
    body_lines = rest[2:]
    html_source: str | None = None
    html_line = 0
    if HTML_FENCE in body_lines:
        split = body_lines.index(HTML_FENCE)
        html_line = body_line + split + 1
        html_source = "\n".join(body_lines[split + 1 :]) + "\n"
        body_lines = body_lines[:split]
        if not html_source.strip():
            raise TemplateFileError(path, html_line - 1, "the HTML part is empty")
    body_source = "\n".join(body_lines) + "\n"
    if not body_source.strip():
        raise TemplateFileError(path, body_line, "the mail body is empty")

    _check_syntax(subject_source, path=path, first_line=subject_line)
    _check_syntax(body_source, path=path, first_line=body_line)
    _check_line_ends(body_lines, path=path, first_line=body_line)
    if html_source is not None:
        _check_syntax(html_source, path=path, first_line=html_line)
    return Template(
        meta=front.meta,
        subject_source=subject_source,
        body_source=body_source,
        html_source=html_source,
        path=path,
        subject_line=subject_line,
        body_line=body_line,
        html_line=html_line,
        key_lines=tuple(front.key_lines.items()),
    )


def _check_syntax(source: str, *, path: Path, first_line: int) -> None:
    try:
        # Compiling, not only parsing, also catches filters and tests that do not exist.
        new_environment().compile(source)
    except TemplateSyntaxError as exc:
        lineno = first_line + (exc.lineno or 1) - 1
        raise TemplateFileError(path, lineno, f"Jinja2 syntax error: {exc.message}") from exc


def _check_line_ends(body: list[str], *, path: Path, first_line: int) -> None:
    # Block tags swallow the line break after them (so that a tag on its own line leaves no
    # blank line). After text, that silently glues two lines or paragraphs together.
    for offset, line in enumerate(body):
        stripped = line.rstrip()
        if stripped.endswith("%}") and not _STANDALONE_TAG.match(stripped):
            raise TemplateFileError(
                path,
                first_line + offset,
                "the line ends with a block tag after text, which would join it with the next "
                "line; put the tag on a line of its own",
            )
