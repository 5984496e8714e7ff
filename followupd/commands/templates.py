"""``followupd templates lint|preview``: check the template library, and show a rendered mail.

``lint`` prints one ``file:line: problem`` per finding and exits 1 when there is any.
``preview`` renders one template for the sample thread of its language, or for a real thread
of the database named by ``--config``, and prints the subject, the text and the HTML part.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from followupd.clock import SystemClock
from followupd.config import LoadedConfig, load_config
from followupd.errors import FollowupdError
from followupd.templating.context import company_from_settings, draft_context
from followupd.templating.library import (
    TemplateLibrary,
    default_template_dirs,
    load_library,
    template_files,
)
from followupd.templating.lint import lint_dirs
from followupd.templating.locale import choose_language
from followupd.templating.render import RenderedMail, render
from followupd.templating.sample import sample_context


def template_dirs(dirs: Sequence[Path], config: Path | None) -> list[Path]:
    """The dirs named, else the shipped templates plus those the config adds."""
    if dirs:
        return list(dirs)
    extra = load_config(config).settings.daemon.template_dirs if config else ()
    return [*default_template_dirs(), *extra]


def lint(dirs: Sequence[Path], config: Path | None) -> int:
    """Print every finding; 0 when there is none, else 1."""
    chosen = template_dirs(dirs, config)
    findings = lint_dirs(chosen)
    for finding in findings:
        print(finding)
    files = len(template_files(chosen))
    if findings:
        print(f"{len(findings)} problem(s) in {files} template file(s)", file=sys.stderr)
        return 1
    library = load_library(chosen)
    languages = sorted({t.meta.language for t in library.templates()})
    print(
        f"templates OK: {files} files, {len(library.ids())} templates, "
        f"languages {', '.join(languages)}"
    )
    return 0


@dataclass(frozen=True, kw_only=True)
class PreviewRequest:
    """What ``templates preview`` was asked to show."""

    template_id: str
    language: str | None = None
    thread_id: int | None = None
    config: Path | None = None
    dirs: Sequence[Path] = ()


async def preview(request: PreviewRequest) -> int:
    """Print the rendered subject, text and HTML of one template."""
    if request.thread_id is not None:
        if request.config is None:
            raise FollowupdError("--thread needs --config, to find the database and profile")
        cfg = load_config(request.config)
        library = load_library(template_dirs(request.dirs, request.config))
        language, context = await _thread_context(cfg, library, request)
    else:
        library = load_library(template_dirs(request.dirs, request.config))
        language = request.language or "en"
        context = sample_context(language)
    template = library.get(request.template_id, language)
    if template.meta.language != language:
        print(
            f"followupd: {request.template_id} has no {language} version; showing "
            f"{template.meta.language}",
            file=sys.stderr,
        )
    _show(template.meta.id, template.meta.language, template.path, render(template, context))
    return 0


async def _thread_context(
    cfg: LoadedConfig, library: TemplateLibrary, request: PreviewRequest
) -> tuple[str, dict[str, object]]:
    """The language and context the daemon would use to draft the thread's next step."""
    from followupd.db.engine import Database
    from followupd.model import Contact, Mailbox, Thread
    from followupd.sequence.cadence import load_cadences

    db = Database(cfg.settings.daemon.database_url)
    try:
        async with db.transaction() as session:
            thread = await session.get(Thread, request.thread_id)
            contact = await session.get(Contact, thread.contact_id) if thread else None
            mailbox = await session.get(Mailbox, thread.mailbox_id) if thread else None
    finally:
        await db.close()
    if thread is None or contact is None or mailbox is None:
        raise FollowupdError(f"there is no thread {request.thread_id} in the database")
    settings = next((m for m in cfg.settings.mailbox if m.name == mailbox.name), None)
    if settings is None:
        raise FollowupdError(
            f"thread {thread.id} belongs to mailbox {mailbox.name!r}, "
            "which the config does not define"
        )
    cadences = load_cadences(cfg.settings.daemon.cadence_file)
    cadence = cadences.get(thread.cadence)
    language = request.language or choose_language(
        contact.country or contact.zone_country,
        library.languages(request.template_id),
        previous=contact.language,
        fallback=settings.language,
    )
    context = draft_context(
        thread=thread,
        contact=contact,
        language=language,
        rep={
            "name": settings.rep_name,
            "email": settings.rep_address,
            "phone": settings.rep_phone,
        },
        company=company_from_settings(cfg.settings.company, today=SystemClock().now().date()),
        step_number=thread.steps_done + 1,
        step_total=len(cadence.steps) if cadence else thread.steps_done + 1,
    )
    return language, context


def _show(template_id: str, language: str, path: Path, mail: RenderedMail) -> None:
    print(f"Template: {template_id} ({language}) from {path}")
    print(f"Subject: {mail.subject}")
    print("\n--- text ---")
    print(mail.text, end="")
    print("\n--- html ---")
    print(mail.html, end="")
