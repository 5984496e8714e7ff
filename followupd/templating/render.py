"""Rendering a template into the text and HTML parts of a mail.

The context is a mapping with these keys; a value that is not known is simply absent:

- ``buyer``: ``name``, ``email``, ``company``, ``country``
- ``thread``: ``subject``, ``document_type`` (e.g. ``"PI"``, ``"quotation"``),
  ``document_ref`` (e.g. ``"PI-2026-118"``), ``enrolled_on`` (ISO date string),
  ``products`` (list of str, may be empty), and optionally ``validity_date``
- ``rep``: ``name``, ``email``, ``phone``
- ``company``: ``name``, ``website``, ``products`` (list of str),
  ``certifications`` (list of str)
- ``step``: ``number`` (1-based), ``total``

Templates run in Jinja2's sandbox with a strict undefined: printing, iterating or comparing a
value that is not known raises, so a mail saying "Dear ," cannot be produced. Only a truth test
(``{% if rep.phone %}``) treats an unknown value as false, which is how templates make a
sentence optional.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from jinja2 import Undefined, UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import missing

from followupd.errors import TemplateError

if TYPE_CHECKING:
    from followupd.templating.library import Template

_BLANK_RUN = re.compile(r"\n{3,}")
_MARK = "followupd-undefined:"


@dataclass(frozen=True, kw_only=True)
class RenderedMail:
    """A rendered mail: one-line subject, plain text, and the HTML made from that text."""

    subject: str
    text: str
    html: str

    def __post_init__(self) -> None:
        if not self.subject or "\n" in self.subject:
            raise TemplateError("a rendered subject must be one non-empty line")
        if not self.text.strip():
            raise TemplateError("a rendered mail must not be empty")


class _Namespace(dict[str, Any]):
    """A context dict that knows its dotted path, so errors can name ``rep.phone`` in full."""

    __slots__ = ("_fu_path",)

    def __init__(self, path: str, items: Mapping[str, Any]) -> None:
        super().__init__(items)
        self._fu_path = path


class _Undefined(Undefined):
    """Strict, except that a truth test is false, so ``{% if x %}`` guards optional data."""

    # Like jinja2's StrictUndefined, minus __bool__: printing, iterating, measuring, comparing
    # or hashing an unknown value raises; attribute access and arithmetic already do.
    __slots__ = ()
    __str__ = Undefined._fail_with_undefined_error
    __iter__ = Undefined._fail_with_undefined_error
    __len__ = Undefined._fail_with_undefined_error
    __eq__ = Undefined._fail_with_undefined_error
    __ne__ = Undefined._fail_with_undefined_error
    __hash__ = Undefined._fail_with_undefined_error
    __contains__ = Undefined._fail_with_undefined_error

    @property
    def _undefined_message(self) -> str:
        # The sandbox passes a hint when it refuses an attribute; that hint is the real story.
        if self._undefined_hint:
            return self._undefined_hint
        owner = self._undefined_obj
        prefix = "" if owner is missing else f"{getattr(owner, '_fu_path', '')}."
        return f"{_MARK}{prefix.lstrip('.')}{self._undefined_name}"


def new_environment() -> SandboxedEnvironment:
    """The Jinja2 environment every template is parsed and rendered with."""
    # Block tags on their own line leave no blank line behind, which keeps sources readable.
    return SandboxedEnvironment(
        undefined=_Undefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render(template: Template, context: Mapping[str, object]) -> RenderedMail:
    """Render ``template`` with ``context``; a missing variable raises a TemplateError."""
    tid = template.meta.id
    absent = [name for name in template.meta.required if not _is_known(context, name)]
    if absent:
        verb = "is" if len(absent) == 1 else "are"
        raise TemplateError(
            f"template {tid} needs {' and '.join(absent)}, which {verb} not known for this thread"
        )
    wrapped = {key: _wrap(key, value) for key, value in context.items()}
    env = new_environment()
    try:
        subject = env.from_string(template.subject_source).render(wrapped)
        text = env.from_string(template.body_source).render(wrapped)
    except UndefinedError as exc:
        message = str(exc)
        if message.startswith(_MARK):
            name = message.removeprefix(_MARK)
            raise TemplateError(
                f"template {tid} uses {name}, which is not known for this thread"
            ) from exc
        raise TemplateError(f"template {tid}: {message}") from exc
    except SecurityError as exc:
        raise TemplateError(f"template {tid} does something not allowed: {exc}") from exc
    subject = " ".join(subject.split())
    text = normalize_text(text)
    if not subject:
        raise TemplateError(f"template {tid} rendered an empty subject")
    return RenderedMail(subject=subject, text=text, html=text_to_html(text))


def normalize_text(text: str) -> str:
    """Strip trailing spaces, keep at most one blank line in a row, end with one newline."""
    lines = [line.rstrip() for line in text.splitlines()]
    joined = _BLANK_RUN.sub("\n\n", "\n".join(lines))
    return joined.strip("\n") + "\n"


def text_to_html(text: str) -> str:
    """A plain HTML version of ``text``: escaped, paragraphs at blank lines, nothing external."""
    # No images, links, styles or remote resources: a follow-up must not track the buyer and
    # must look like an ordinary personal mail.
    paragraphs = [p for p in text.strip("\n").split("\n\n") if p.strip()]
    body = "\n".join(
        "<p>" + "<br>\n".join(html.escape(line) for line in p.split("\n")) + "</p>"
        for p in paragraphs
    )
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n'
        f"{body}\n</body></html>\n"
    )


def _wrap(path: str, value: object) -> object:
    if isinstance(value, Mapping):
        return _Namespace(path, {str(k): _wrap(f"{path}.{k}", v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return [_wrap(f"{path}[{i}]", item) for i, item in enumerate(value)]
    return value


def _is_known(context: Mapping[str, object], dotted: str) -> bool:
    """Whether ``dotted`` leads to a value that is present and not None or empty."""
    value: object = context
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return False
        value = value[part]
    if value is None:
        return False
    if isinstance(value, str | list | tuple | dict | set | frozenset):
        return bool(value.strip() if isinstance(value, str) else value)
    return True
