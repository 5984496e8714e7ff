"""``templates lint``: what makes a template unsafe or a poor follow-up, as file:line findings.

Loading already refuses what cannot work at all (front matter, the subject line, Jinja2
syntax). Lint adds what a template author must fix before the template goes out to buyers;
the checks run in this order, and each is one function:

1. ``_check_front_matter``: the old ``required`` key, and an email that adds nothing (a nag);
2. ``_check_variables``: names outside :data:`~followupd.templating.schema.CONTEXT_SCHEMA`;
3. ``_check_rendering``: renders with the sample thread, full and sparse; subject length;
4. ``_check_html``: balanced tags, and nothing that loads or runs (no tracking pixels);
5. ``_check_translations`` (over the library): core templates in every core language, and
   translations that promise the same as the English original.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from jinja2 import nodes

from followupd.errors import TemplateError
from followupd.templating.library import Template, parse_template_file, template_files
from followupd.templating.meta import ADDS, CORE_LANGUAGES, OLD_REQUIRES_KEY, TemplateFileError
from followupd.templating.render import new_environment, render
from followupd.templating.sample import sample_context, sparse_context
from followupd.templating.schema import CONTEXT_SCHEMA, lookup

# RFC 5322 recommends lines of at most 78 characters; a longer subject is also cut on phones.
MAX_SUBJECT = 78
_VOID_TAGS = frozenset(
    ("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr")
)
# Anything that fetches or runs something when the mail is opened could track the buyer.
_FORBIDDEN_TAGS = frozenset(
    (
        "img",
        "script",
        "style",
        "link",
        "iframe",
        "object",
        "embed",
        "form",
        "input",
        "video",
        "audio",
        "source",
        "picture",
        "svg",
        "base",
        "meta",
    )
)
_FORBIDDEN_ATTRS = frozenset(("src", "srcset", "background", "style", "poster", "action"))
_DOTTED_RE = re.compile(r"^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)+$")
# Names Jinja2 itself provides inside a template.
_JINJA_NAMES = frozenset(("loop", "range", "dict", "lipsum", "cycler", "joiner", "namespace"))


@dataclass(frozen=True, order=True)
class Finding:
    """One problem: where it is and what to do about it."""

    path: Path
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def lint_dirs(dirs: Sequence[Path]) -> list[Finding]:
    """Every finding in the templates of ``dirs`` (later dirs override earlier ones)."""
    findings: list[Finding] = []
    effective: dict[tuple[str, str], Template] = {}
    for path in template_files(dirs):
        try:
            template = parse_template_file(path)
        except TemplateFileError as exc:
            findings.append(Finding(exc.path, exc.line, exc.problem))
            continue
        findings.extend(lint_template(template))
        effective[(template.meta.id, template.meta.language)] = template
    findings.extend(_check_translations(effective))
    return sorted(set(findings))


def lint_template(template: Template) -> list[Finding]:
    """The findings of one parsed template."""
    found: list[Finding] = []
    unknown_names = False
    for check in _TEMPLATE_CHECKS:
        # A template with unknown variables cannot render; saying so again would only repeat
        # the findings that already name the lines.
        if check is _check_rendering and unknown_names:
            continue
        findings = list(check(template))
        unknown_names = unknown_names or (check is _check_variables and bool(findings))
        found.extend(findings)
    return found


def _check_front_matter(t: Template) -> Iterator[Finding]:
    if OLD_REQUIRES_KEY in dict(t.key_lines):
        yield Finding(t.path, t.key_line(OLD_REQUIRES_KEY), "rename 'required' to 'requires'")
    if t.meta.kind == "email" and not t.meta.adds:
        yield Finding(
            t.path,
            t.key_line("purpose"),
            "an email needs adds = one of " + ", ".join(ADDS) + ": a follow-up that brings the "
            "buyer nothing new is a nag",
        )


def _check_variables(t: Template) -> Iterator[Finding]:
    for name in t.meta.requires:
        if lookup(name) is None:
            yield Finding(
                t.path,
                t.key_line("requires"),
                f"requires {name}, which is not a template variable" + _known_hint(name),
            )
    for source, first in _sources(t):
        for name, line in used_variables(source):
            if not _known(name):
                yield Finding(
                    t.path, first + line - 1, f"unknown variable {name}" + _known_hint(name)
                )


def _check_rendering(t: Template) -> Iterator[Finding]:
    lang = t.meta.language
    contexts = [
        ("the sample thread", sample_context(lang)),
        (
            "a thread where only the required values are known",
            sparse_context(lang, keep=t.meta.requires),
        ),
    ]
    for label, context in contexts:
        try:
            mail = render(t, context)
        except TemplateError as exc:
            yield Finding(t.path, _line_of(t, str(exc)), f"does not render with {label}: {exc}")
            continue
        if len(mail.subject) > MAX_SUBJECT:
            yield Finding(
                t.path,
                t.subject_line,
                f"the subject is {len(mail.subject)} characters "
                f"with {label} (at most {MAX_SUBJECT}): {mail.subject!r}",
            )
        # An HTML part written by the author is checked line by line in _check_html.
        if t.html_source is None:
            for _, problem in html_problems(mail.html):
                yield Finding(t.path, t.body_line, f"the HTML made with {label}: {problem}")


def _check_html(t: Template) -> Iterator[Finding]:
    if t.html_source is None:
        return
    for line, problem in html_problems(t.html_source):
        yield Finding(t.path, t.html_line + line - 1, problem)


_TEMPLATE_CHECKS: tuple[Callable[[Template], Iterator[Finding]], ...] = (
    _check_front_matter,
    _check_variables,
    _check_html,
    _check_rendering,
)


def _check_translations(templates: dict[tuple[str, str], Template]) -> Iterator[Finding]:
    for (tid, lang), original in sorted(templates.items()):
        if lang != "en":
            continue
        if original.meta.core:
            for core_lang in CORE_LANGUAGES:
                if (tid, core_lang) not in templates:
                    yield Finding(
                        original.path,
                        original.key_line("core"),
                        f"core template {tid} has no {core_lang} version ({core_lang}/{tid}.j2)",
                    )
        for (other_id, other_lang), other in templates.items():
            if other_id != tid or other_lang == lang:
                continue
            for key in ("kind", "adds", "requires", "core"):
                mine, theirs = getattr(other.meta, key), getattr(original.meta, key)
                if mine != theirs:
                    yield Finding(
                        other.path,
                        other.key_line(key),
                        f"{key} is {_show(mine)} but {_show(theirs)} in the English original",
                    )


def used_variables(source: str) -> list[tuple[str, int]]:
    """The context variables ``source`` uses, as dotted names with the line of each use.

    Names the template sets itself (``{% set %}``, loop variables) are not context variables.
    After a value (``thread.document_ref.lower``) the rest is a method of that value, so the
    name reported is as long as it can be.
    """
    ast = new_environment().parse(source)
    local = {n.name for n in ast.find_all(nodes.Name) if n.ctx in ("store", "param")}
    found: list[tuple[str, int]] = []

    def visit(node: nodes.Node) -> None:
        chain = _chain(node)
        if chain is not None:
            root = chain[0]
            if root not in local and root not in _JINJA_NAMES:
                found.append((".".join(chain), node.lineno))
            if isinstance(node, nodes.Getitem):
                visit(node.arg)
            return
        for child in node.iter_child_nodes():
            visit(child)

    visit(ast)
    return found


def _chain(node: nodes.Node) -> list[str] | None:
    if isinstance(node, nodes.Name) and node.ctx == "load":
        return [node.name]
    if isinstance(node, nodes.Getattr):
        base = _chain(node.node)
        return None if base is None else [*base, node.attr]
    if isinstance(node, nodes.Getitem):
        base = _chain(node.node)
        if base is None:
            return None
        if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            return [*base, node.arg.value]
        return base
    return None


def _known(dotted: str) -> bool:
    """Whether the schema knows ``dotted`` up to a value, after which methods may follow."""
    node: object = CONTEXT_SCHEMA
    for part in dotted.split("."):
        if isinstance(node, str):
            return True
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def _known_hint(dotted: str) -> str:
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        node = lookup(".".join(parts[:cut]))
        if isinstance(node, dict):
            return f"; {'.'.join(parts[:cut])} has {', '.join(node)}"
    return f"; the context has {', '.join(CONTEXT_SCHEMA)}"


def html_problems(markup: str) -> list[tuple[int, str]]:
    """(line, problem) for unbalanced tags and for anything that loads or runs content."""
    checker = _HtmlChecker()
    checker.feed(markup)
    checker.close()
    return checker.problems


class _HtmlChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[tuple[str, int]] = []
        self.problems: list[tuple[int, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        self._forbidden(tag, attrs, line)
        if tag not in _VOID_TAGS:
            self.open.append((tag, line))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._forbidden(tag, attrs, self.getpos()[0])

    def handle_endtag(self, tag: str) -> None:
        line = self.getpos()[0]
        if tag in _VOID_TAGS:
            return
        if self.open and self.open[-1][0] == tag:
            self.open.pop()
        elif any(name == tag for name, _ in self.open):
            while self.open and self.open[-1][0] != tag:
                name, opened = self.open.pop()
                self.problems.append((opened, f"<{name}> is not closed before </{tag}>"))
            self.open.pop()
        else:
            self.problems.append((line, f"</{tag}> closes nothing"))

    def close(self) -> None:
        super().close()
        for name, opened in self.open:
            self.problems.append((opened, f"<{name}> is never closed"))
        self.open.clear()

    def _forbidden(self, tag: str, attrs: list[tuple[str, str | None]], line: int) -> None:
        # The document wrapper's own <meta charset> is the one harmless exception.
        if tag == "meta" and [name for name, _ in attrs] == ["charset"]:
            return
        if tag in _FORBIDDEN_TAGS:
            self.problems.append(
                (line, f"<{tag}> is not allowed: a follow-up loads, runs and tracks nothing")
            )
        for name, _ in attrs:
            if name in _FORBIDDEN_ATTRS or name.startswith("on"):
                self.problems.append(
                    (
                        line,
                        f"the attribute {name} is not allowed: a follow-up "
                        "loads, runs and tracks nothing",
                    )
                )


def _sources(t: Template) -> list[tuple[str, int]]:
    sources = [(t.subject_source, t.subject_line), (t.body_source, t.body_line)]
    if t.html_source is not None:
        sources.append((t.html_source, t.html_line))
    return sources


def _line_of(t: Template, message: str) -> int:
    """The first line that mentions the variable a render error names, else the subject's."""
    words = [w.strip(",.'\"") for w in message.split()]
    names = [w for w in words if "." in w and _DOTTED_RE.match(w)]
    for name in names:
        for source, first in _sources(t):
            for offset, text in enumerate(source.splitlines()):
                if name in text:
                    return first + offset
        if name in t.meta.requires:
            return t.key_line("requires")
    return t.subject_line


def _show(value: object) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(map(str, value)) + "]"
    return repr(value)
