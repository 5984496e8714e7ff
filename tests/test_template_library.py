"""The shipped template library: coverage, translations, and every template rendering well."""

from __future__ import annotations

import re
from typing import Any

import pytest

from followupd.sequence.cadence import load_cadences, validate_templates
from followupd.templating.library import Template, default_template_dirs, load_library
from followupd.templating.lint import lint_dirs
from followupd.templating.meta import ADDS, CORE_LANGUAGES
from followupd.templating.render import render
from followupd.templating.sample import sample_context, sparse_context

LIBRARY = load_library(default_template_dirs())
ALL = LIBRARY.templates()
ENGLISH = [t for t in ALL if t.meta.language == "en"]
EMAILS = [t for t in ALL if t.meta.kind == "email"]

# How each language opens and closes a mail, and words that must never appear in it.
GREETING = {
    "en": "Dear {name},",
    "de": "Guten Tag {name},",
    "fr": "Bonjour {name},",
    "es": "Hola, {name}:",
    "pt": "Olá, {name},",
    "ru": "Здравствуйте, {name}!",
}
CLOSING = {
    "en": "Best regards,",
    "de": "Mit freundlichen Grüßen",
    "fr": "Bien cordialement,",
    "es": "Saludos cordiales,",
    "pt": "Atenciosamente,",
    "ru": "С уважением,",
}
# A follow-up brings something; these are the openings of a nag.
NAGS = ("just checking in", "did you receive", "any update", "just following up", "bump")


def ident(template: Template) -> str:
    return f"{template.meta.language}/{template.meta.id}"


def test_lint_passes_on_the_shipped_library() -> None:
    assert [str(f) for f in lint_dirs(default_template_dirs())] == []


def test_at_least_eighteen_english_templates_covering_every_value() -> None:
    assert len(ENGLISH) >= 18
    covered = {tag for t in ENGLISH for tag in t.meta.adds}
    assert covered == set(ADDS)
    assert all(t.meta.adds for t in EMAILS)
    assert LIBRARY.get("call-task").meta.kind == "task"


def test_the_eight_core_templates_exist_in_every_core_language() -> None:
    core = sorted(t.meta.id for t in ENGLISH if t.meta.core)
    assert core == [
        "flexible-terms",
        "market-update",
        "pi-check-in",
        "pi-value-add",
        "production-slot",
        "quiet-check",
        "sample-feedback",
        "validity-reminder",
    ]
    for tid in core:
        assert LIBRARY.languages(tid) == sorted(("en", *CORE_LANGUAGES))


def test_every_shipped_cadence_finds_its_templates() -> None:
    assert validate_templates(load_cadences(), LIBRARY) == []


@pytest.mark.parametrize("template", ALL, ids=ident)
@pytest.mark.parametrize("sparse", [False, True], ids=["full", "sparse"])
def test_every_template_renders_in_its_language(template: Template, sparse: bool) -> None:
    lang = template.meta.language
    context: dict[str, Any] = (
        sparse_context(lang, keep=template.meta.requires) if sparse else sample_context(lang)
    )
    mail = render(template, context)
    assert mail.subject and "{" not in mail.subject
    for bad in ("{{", "{%", " ,", "None", "Undefined", "  \n", "\n\n\n", "..", "[", "]"):
        assert bad not in mail.text, bad
    assert mail.text.endswith("\n") and not mail.text.endswith("\n\n")
    assert context["rep"]["name"] in mail.text
    # Short enough to read on a phone, long enough to bring something.
    assert 45 <= len(mail.text.split()) <= 135, len(mail.text.split())
    if template.meta.kind == "email":
        buyer = context["buyer"]["name"]
        assert mail.subject == f"Re: {context['thread']['subject']}"
        assert mail.text.startswith(GREETING[lang].format(name=buyer) + "\n\n")
        assert f"\n\n{CLOSING[lang]}\n" in mail.text
        assert "Example Bearing Co., Ltd." in mail.text
    lowered = mail.text.lower()
    assert not any(nag in lowered for nag in NAGS)
    assert "http://" not in lowered and "<img" not in mail.html


@pytest.mark.parametrize("template", [t for t in ALL if t.meta.language != "en"], ids=ident)
def test_translations_print_no_english_sentences(template: Template) -> None:
    # Product names and the rep's own free text aside, a translated mail is in its language.
    text = render(template, sample_context(template.meta.language)).text
    english_words = re.findall(r"\b(the|and|your|please|with|our)\b", text, flags=re.I)
    assert english_words == []


def test_translations_say_the_document_in_their_own_words() -> None:
    context = sample_context("de")
    for tid, phrase in [
        ("pi-check-in", "unsere Proforma-Rechnung PI-2026-118"),
        (
            "validity-reminder",
            "in unserer Proforma-Rechnung PI-2026-118 gelten bis zum 31. März 2026",
        ),
        ("market-update", "Die Kalkulation unserer Proforma-Rechnung PI-2026-118"),
    ]:
        assert phrase in render(LIBRARY.get(tid, "de"), context).text
    quote: dict[str, Any] = sample_context("ru")
    quote["thread"] |= {"document_type": "quotation", "document_ref": "Q-55"}
    text = render(LIBRARY.get("flexible-terms", "ru"), quote).text
    assert "условия нашего коммерческого предложения Q-55" in text


def test_optional_facts_appear_only_when_known() -> None:
    full = render(LIBRARY.get("pi-check-in"), sample_context("en")).text
    assert "- total: 18.450,00\xa0US$, FOB Ningbo\n" in full  # the Italian buyer's format
    assert "- prices valid until 31 Mar 2026\n" in full
    sparse = render(LIBRARY.get("pi-check-in"), sparse_context("en")).text
    assert "total" not in sparse and "valid until" not in sparse


def test_holiday_notice_names_the_closure_and_the_last_order_date() -> None:
    text = render(LIBRARY.get("holiday-notice"), sample_context("en")).text
    assert "closed for Spring Festival from 4 Feb 2027 to 14 Feb 2027" in text
    assert "Orders confirmed by 8 Jan 2027" in text


def test_the_company_signature_replaces_name_and_website() -> None:
    context = sample_context("fr")
    text = render(LIBRARY.get("quiet-check", "fr"), context).text
    assert text.endswith(
        "Li Wei\nExample Bearing Co., Ltd.\nNo. 8 Industrial Road, Ningbo, China\n"
        "www.bearing.example\nTél. / WhatsApp\xa0: +86 138 0000 0000\n"
    )
