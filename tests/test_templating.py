"""Template files and rendering: front matter, errors at file:line, strictness, output form."""

from __future__ import annotations

import copy
import dataclasses
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from followupd.errors import TemplateError
from followupd.templating.library import (
    TemplateLibrary,
    default_template_dirs,
    load_library,
    parse_template_file,
)
from followupd.templating.meta import TemplateFileError
from followupd.templating.render import normalize_text, render, text_to_html
from followupd.templating.sample import sample_context

LIBRARY = load_library(default_template_dirs())
FULL: dict[str, Any] = sample_context("en")


def write_template(root: Path, text: str, *, lang: str = "en", name: str = "t1") -> Path:
    path = root / lang / f"{name}.j2"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """+++
id = "t1"
purpose = "Test template."
adds = "recap"
stages = "any"
requires = ["buyer.name"]
language = "en"
+++
Subject: Re: {{ thread.subject }}

Dear {{ buyer.name }},
Hello.
"""


def test_front_matter_is_read_into_the_metadata(tmp_path: Path) -> None:
    text = GOOD.replace('adds = "recap"', 'adds = ["test_report", "case_study"]\ncore = true')
    meta = parse_template_file(write_template(tmp_path, text)).meta
    assert meta.adds == ("test_report", "case_study")
    assert meta.core is True and meta.kind == "email" and meta.value == ""
    assert meta.requires == ("buyer.name",) == meta.required
    assert meta.stages == ("any",) and meta.fits("pi")


def test_the_old_required_key_is_still_read(tmp_path: Path) -> None:
    path = write_template(tmp_path, GOOD.replace("requires =", "required ="))
    template = parse_template_file(path)
    assert template.meta.requires == ("buyer.name",)
    assert template.key_line("required") == 6


def test_a_task_may_do_without_adds(tmp_path: Path) -> None:
    text = GOOD.replace('adds = "recap"\n', "").replace(
        'language = "en"', 'language = "en"\nkind = "task"'
    )
    assert parse_template_file(write_template(tmp_path, text)).meta.adds == ()


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        (lambda t: t.replace('purpose = "Test template."', "purpose = "), 3, "not valid TOML"),
        (lambda t: t.replace('purpose = "Test template."\n', ""), 1, "front matter lacks purpose"),
        (lambda t: t.replace('id = "t1"', 'id = "t9"'), 2, "does not match the file name"),
        (lambda t: t.replace('language = "en"', 'language = "fr"'), 7, "does not match the folder"),
        (lambda t: t.replace("stages", "stage"), 5, "unknown key 'stage'"),
        (lambda t: t.replace('"any"', "3"), 5, "stages is 3, expected a list of strings"),
        (lambda t: t.replace('language = "en"', 'language = "en"\ncolour = 1'), 8, "unknown key"),
        (lambda t: t.replace('language = "en"', 'language = "en"\nkind = "sms"'), 8, "kind is"),
        (lambda t: t.replace('language = "en"', 'language = "en"\ncore = 1'), 8, "core is 1"),
        (lambda t: t.replace('"recap"', '"nagging"'), 4, "adds ['nagging']"),
        (lambda t: t.replace('["buyer.name"]', '["Buyer Name"]'), 6, "requires ['Buyer Name']"),
        (lambda t: t.replace("requires =", "required = []\nrequires ="), 6, "not both"),
        (lambda t: t.replace("Subject:", "Subj:"), 9, "must start with 'Subject:'"),
        (lambda t: t.replace("}}\n\nDear", "}}\nDear"), 10, "after the subject must be blank"),
        (lambda t: t.replace("Hello.", "Hello {{ buyer.name"), 12, "Jinja2 syntax error"),
        (lambda t: t.replace("Hello.", "{% if x %}\nA\n{% endfor %}"), 14, "Jinja2 syntax"),
        (lambda t: t.replace("Hello.", "{{ x | shout }}"), 12, "No filter named 'shout'"),
        (lambda t: t.replace("Hello.", "Hi{% if x %} you{% endif %}"), 12, "ends with a block"),
        (lambda t: t.replace("+++\nid", "id"), 1, "must be exactly '+++'"),
        (lambda t: t.replace("+++\nSubject", "Subject"), 1, "not closed"),
        (lambda t: t + "+++ html\n\n", 13, "the HTML part is empty"),
    ],
)
def test_bad_template_files_are_reported_with_file_and_line(
    tmp_path: Path, change: Any, line: int, message: str
) -> None:
    path = write_template(tmp_path, change(GOOD))
    with pytest.raises(TemplateFileError) as info:
        load_library([tmp_path])
    assert (info.value.path, info.value.line) == (path, line), str(info.value)
    assert str(info.value).startswith(f"{path}:{line}: ")
    assert message in str(info.value)


def test_text_after_the_body_is_just_body_text(tmp_path: Path) -> None:
    path = write_template(tmp_path, GOOD + 'colour = "red"\n')
    assert 'colour = "red"' in parse_template_file(path).body_source


def test_source_lines_are_remembered_for_later_messages(tmp_path: Path) -> None:
    template = parse_template_file(write_template(tmp_path, GOOD + "+++ html\n<p>Hi</p>\n"))
    assert (template.subject_line, template.body_line, template.html_line) == (9, 11, 14)
    assert template.key_line("adds") == 4 and template.key_line("core") == 1
    assert template.body_source == "Dear {{ buyer.name }},\nHello.\n"


def test_a_missing_buyer_name_is_a_clear_error_not_a_bad_mail() -> None:
    for missing in (None, "", "   ", ...):
        ctx = copy.deepcopy(FULL)
        if missing is ...:
            del ctx["buyer"]["name"]
        else:
            ctx["buyer"]["name"] = missing
        with pytest.raises(TemplateError) as info:
            render(LIBRARY.get("pi-check-in"), ctx)
        assert str(info.value) == (
            "template pi-check-in needs buyer.name, which is not known for this thread"
        )


def test_several_missing_variables_are_all_named() -> None:
    ctx = copy.deepcopy(FULL)
    del ctx["buyer"]["email"]
    del ctx["thread"]
    with pytest.raises(TemplateError, match=r"needs buyer\.email and thread\.subject and"):
        render(LIBRARY.get("call-task"), ctx)


def test_an_unlisted_undefined_variable_raises_naming_it() -> None:
    base = LIBRARY.get("pi-check-in")
    template = dataclasses.replace(base, body_source="Dear {{ buyer.name }}, {{ rep.fax }}\n")
    with pytest.raises(TemplateError, match=r"template pi-check-in uses rep\.fax, which is not"):
        render(template, FULL)
    looped = dataclasses.replace(
        base, body_source="{% for p in thread.colours %}{{ p }}{% endfor %}"
    )
    with pytest.raises(TemplateError, match=r"thread\.colours"):
        render(looped, FULL)


def test_unknown_values_are_false_in_if_but_never_printed() -> None:
    base = LIBRARY.get("pi-check-in")
    body = "Hi {{ buyer.name }}.\n{% if rep.fax %}\nFax {{ rep.fax }}\n{% endif %}\nBye\n"
    mail = render(dataclasses.replace(base, body_source=body), FULL)
    assert mail.text == "Hi Ms. Rossi.\nBye\n"


def test_the_sandbox_refuses_python_internals() -> None:
    base = LIBRARY.get("pi-check-in")
    template = dataclasses.replace(base, body_source="{{ ''.__class__.__mro__ }}\n")
    with pytest.raises(TemplateError, match=r"unsafe|not allowed"):
        render(template, FULL)


def test_text_is_normalized_and_html_is_plain_and_escaped() -> None:
    assert normalize_text("\n\nA  \n\n\n\nB\t\nC\n\n\n") == "A\n\nB\nC\n"
    ctx = copy.deepcopy(FULL)
    ctx["buyer"]["name"] = "Tom <b>&</b>"
    mail = render(LIBRARY.get("pi-check-in"), ctx)
    assert "<p>Dear Tom &lt;b&gt;&amp;&lt;/b&gt;,</p>" in mail.html
    assert "<br>\n" in mail.html
    assert not re.search(r"<(img|a|link|script|style)\b|src=|url\(", mail.html)
    assert text_to_html("a\nb\n\nc\n").count("<p>") == 2


def test_dash_lines_become_an_html_list() -> None:
    html = text_to_html("We can offer:\n- a <trial> order\n- split shipment\nThanks.\n")
    assert "<p>We can offer:</p>\n<ul>\n<li>a &lt;trial&gt; order</li>\n" in html
    assert "<li>split shipment</li>\n</ul>\n<p>Thanks.</p>" in html


def test_an_html_part_is_rendered_escaped_instead_of_the_generated_one(tmp_path: Path) -> None:
    text = GOOD + "+++ html\n<p>Dear <b>{{ buyer.name }}</b></p>\n"
    template = parse_template_file(write_template(tmp_path, text))
    ctx = copy.deepcopy(FULL)
    ctx["buyer"]["name"] = "A&B <x>"
    mail = render(template, ctx)
    assert mail.text == "Dear A&B <x>,\nHello.\n"
    assert "<p>Dear <b>A&amp;B &lt;x&gt;</b></p>" in mail.html
    assert mail.html.startswith("<!DOCTYPE html>") and mail.html.endswith("</body></html>\n")


def test_dates_and_amounts_follow_the_locale_of_the_template_language() -> None:
    base = LIBRARY.get("pi-check-in")
    body = "{{ thread.validity_date | date }} / {{ thread.amount | money(thread.currency) }}\n"
    template = dataclasses.replace(base, body_source=body)
    ctx = copy.deepcopy(FULL) | {"locale": "de_DE"}
    ctx["thread"] |= {"validity_date": date(2026, 12, 15), "amount": Decimal("12345.5")}
    # English words with the German buyer's number format; never German month names in English.
    # CLDR keeps amount and currency together with a no-break space.
    assert render(template, ctx).text == "15 Dec 2026 / 12.345,50\xa0US$\n"
    german = dataclasses.replace(template, meta=dataclasses.replace(base.meta, language="de"))
    assert render(german, ctx).text == "15. Dez. 2026 / 12.345,50\xa0$\n"
    assert render(template, {k: v for k, v in ctx.items() if k != "locale"}).text == (
        "Dec 15, 2026 / $12,345.50\n"
    )


def test_a_filter_on_an_unknown_value_names_it() -> None:
    base = LIBRARY.get("pi-check-in")
    ctx = copy.deepcopy(FULL)
    del ctx["thread"]["validity_date"]
    template = dataclasses.replace(base, body_source="{{ thread.validity_date | date }}\n")
    with pytest.raises(TemplateError, match=r"uses thread\.validity_date, which is not known"):
        render(template, ctx)
    bad = dataclasses.replace(base, body_source="{{ thread.subject | date }}\n")
    with pytest.raises(TemplateError, match=r"template pi-check-in: date needs a date"):
        render(bad, ctx)
    with pytest.raises(TemplateError, match=r"template pi-check-in: locale 'xx_YY' is not"):
        render(base, ctx | {"locale": "xx_YY"})


def test_library_lookup_and_language_fallback(tmp_path: Path) -> None:
    write_template(tmp_path, GOOD)
    write_template(tmp_path, GOOD.replace('language = "en"', 'language = "de"'), lang="de")
    library = load_library([tmp_path])
    assert library.ids() == ["t1"]
    assert library.languages("t1") == ["de", "en"]
    assert library.get("t1", "de").meta.language == "de"
    assert library.get("t1", "fr").meta.language == "en"
    assert [t.meta.language for t in library.templates()] == ["de", "en"]
    with pytest.raises(TemplateError, match=r"unknown template 'nope'; known templates: t1"):
        library.get("nope")
    assert len(TemplateLibrary([])) == 0


def test_later_dirs_override_earlier_ones(tmp_path: Path) -> None:
    shipped, local = tmp_path / "shipped", tmp_path / "local"
    write_template(shipped, GOOD)
    write_template(shipped, GOOD.replace('"t1"', '"t2"'), name="t2")
    write_template(local, GOOD.replace("Hello.", "Local hello."))
    library = load_library([shipped, local])
    assert library.ids() == ["t1", "t2"]
    assert "Local hello." in library.get("t1").body_source
    assert library.get("t1").path == local / "en" / "t1.j2"


def test_a_missing_template_dir_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="does not exist"):
        load_library([tmp_path / "nowhere"])
