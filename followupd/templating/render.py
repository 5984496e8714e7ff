"""Rendering a template into the text and HTML parts of a mail.

The context is a mapping shaped like :data:`followupd.templating.schema.CONTEXT_SCHEMA`; a
value that is not known is simply absent. Its ``locale`` (e.g. ``"de_AT"``, default English)
decides how the ``date`` and ``money`` filters write dates and amounts::

    {{ thread.validity_date | date }}               15 Dec 2026 / 15. Dez. 2026
    {{ thread.amount | money(thread.currency) }}    US$12,345.50 / 12.345,50 $

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

from jinja2 import Undefined, UndefinedError, pass_context
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import missing

from followupd.errors import MissingData, TemplateError
from followupd.templating.locale import (
    FALLBACK_LANGUAGE,
    adapt_locale,
    format_day,
    format_money,
)

if TYPE_CHECKING:
    from followupd.templating.library import Template

_BLANK_RUN = re.compile(r"\n{3,}")
_BULLET = re.compile(r"^[-*•] +")
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


def _defined(value: object) -> object:
    # A filter gets an unknown value as an Undefined object; failing through it keeps the
    # message that names the variable.
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    return value


def _locale(ctx: Context) -> str:
    locale = ctx.resolve_or_missing("locale")
    return locale if isinstance(locale, str) and locale else FALLBACK_LANGUAGE


@pass_context
def _date_filter(ctx: Context, value: object, style: str = "medium") -> str:
    return format_day(_defined(value), _locale(ctx), style)


@pass_context
def _money_filter(ctx: Context, amount: object, currency: object) -> str:
    return format_money(_defined(amount), _defined(currency), _locale(ctx))


def new_environment(*, autoescape: bool = False) -> SandboxedEnvironment:
    """The Jinja2 environment every template is parsed and rendered with."""
    # Block tags on their own line leave no blank line behind, which keeps sources readable.
    env = SandboxedEnvironment(
        undefined=_Undefined,
        autoescape=autoescape,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["date"] = _date_filter
    env.filters["money"] = _money_filter
    return env


def render(template: Template, context: Mapping[str, object]) -> RenderedMail:
    """Render ``template`` with ``context``; a missing variable raises a TemplateError."""
    tid = template.meta.id
    absent = [name for name in template.meta.requires if not _is_known(context, name)]
    if absent:
        verb = "is" if len(absent) == 1 else "are"
        raise MissingData(
            f"template {tid} needs {' and '.join(absent)}, which {verb} not known for this thread",
            tuple(absent),
        )
    wrapped = {key: _wrap(key, value) for key, value in context.items()}
    locale = context.get("locale")
    env = new_environment()
    html_part: str | None = None
    try:
        # The words are the template's: a buyer's "de_AT" becomes "en_AT" for English.
        wrapped["locale"] = adapt_locale(
            locale if isinstance(locale, str) else None, template.meta.language
        )
        subject = env.from_string(template.subject_source).render(wrapped)
        text = env.from_string(template.body_source).render(wrapped)
        if template.html_source is not None:
            html_env = new_environment(autoescape=True)
            html_part = html_env.from_string(template.html_source).render(wrapped)
    except UndefinedError as exc:
        message = str(exc)
        if message.startswith(_MARK):
            name = message.removeprefix(_MARK)
            raise MissingData(
                f"template {tid} uses {name}, which is not known for this thread", (name,)
            ) from exc
        raise TemplateError(f"template {tid}: {message}") from exc
    except SecurityError as exc:
        raise TemplateError(f"template {tid} does something not allowed: {exc}") from exc
    except TemplateError as exc:
        # Raised by the filters, e.g. a date that is not a date.
        raise TemplateError(f"template {tid}: {exc}") from exc
    subject = " ".join(subject.split())
    text = normalize_text(text)
    if not subject:
        raise TemplateError(f"template {tid} rendered an empty subject")
    html_doc = text_to_html(text) if html_part is None else html_document(html_part)
    return RenderedMail(subject=subject, text=text, html=html_doc)


def normalize_text(text: str) -> str:
    """Strip trailing spaces, keep at most one blank line in a row, end with one newline."""
    lines = [line.rstrip() for line in text.splitlines()]
    joined = _BLANK_RUN.sub("\n\n", "\n".join(lines))
    return joined.strip("\n") + "\n"


def text_to_html(text: str) -> str:
    """A plain HTML version of ``text``: escaped, paragraphs at blank lines, nothing external.

    Lines that start with ``- `` become a list, which reads better on a phone than dashes.
    """
    # No images, links, styles or remote resources: a follow-up must not track the buyer and
    # must look like an ordinary personal mail.
    blocks: list[str] = []
    for paragraph in text.strip("\n").split("\n\n"):
        lines = [line for line in paragraph.split("\n") if line.strip()]
        run: list[str] = []
        for index, line in enumerate(lines):
            run.append(line)
            bullet = bool(_BULLET.match(line))
            last = index == len(lines) - 1
            if last or bool(_BULLET.match(lines[index + 1])) != bullet:
                blocks.append(_list_html(run) if bullet else _paragraph_html(run))
                run = []
    return html_document("\n".join(blocks))


def html_document(body: str) -> str:
    """``body`` inside the minimal document every HTML part uses."""
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head><body>\n'
        f"{body.strip()}\n</body></html>\n"
    )


def _paragraph_html(lines: list[str]) -> str:
    return "<p>" + "<br>\n".join(html.escape(line) for line in lines) + "</p>"


def _list_html(lines: list[str]) -> str:
    items = "".join(f"<li>{html.escape(_BULLET.sub('', line))}</li>\n" for line in lines)
    return f"<ul>\n{items}</ul>"


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
