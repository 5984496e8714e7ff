"""Template library and rendering: shipped templates, loading errors, strictness, output form."""

from __future__ import annotations

import copy
import dataclasses
import re
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
from followupd.templating.render import normalize_text, render, text_to_html

LIBRARY = load_library(default_template_dirs())
SHIPPED = LIBRARY.ids()

FULL: dict[str, Any] = {
    "buyer": {
        "name": "Ms. Rossi",
        "email": "g.rossi@rossi-srl.example",
        "company": "Rossi Srl",
        "country": "Italy",
    },
    "thread": {
        "subject": "PI-2026-118 deep groove ball bearings",
        "document_type": "PI",
        "document_ref": "PI-2026-118",
        "enrolled_on": "2026-03-02",
        "products": ["6204-2RS bearings", "6305 ZZ bearings"],
        "validity_date": "2026-03-31",
    },
    "rep": {"name": "Li Wei", "email": "li.wei@bearing.example", "phone": "+86 138 0000 0000"},
    "company": {
        "name": "Example Bearing Co.",
        "website": "www.bearing.example",
        "products": ["tapered roller bearings", "pillow block units"],
        "certifications": ["ISO 9001", "IATF 16949"],
    },
    "step": {"number": 2, "total": 6},
}


def sparse_context() -> dict[str, Any]:
    """Only what every thread has: optional values absent, product lists empty."""
    ctx = copy.deepcopy(FULL)
    for section, key in [
        ("buyer", "company"),
        ("buyer", "country"),
        ("thread", "document_ref"),
        ("thread", "validity_date"),
        ("rep", "phone"),
        ("company", "website"),
    ]:
        del ctx[section][key]
    ctx["thread"]["products"] = []
    ctx["company"]["products"] = []
    ctx["company"]["certifications"] = []
    return ctx


def write_template(root: Path, text: str, *, lang: str = "en", name: str = "t1") -> Path:
    path = root / lang / f"{name}.j2"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


GOOD = """+++
id = "t1"
purpose = "Test template."
value = "Nothing."
stages = "any"
required = ["buyer.name"]
language = "en"
+++
Subject: Re: {{ thread.subject }}

Dear {{ buyer.name }},
Hello.
"""


def test_at_least_ten_shipped_english_templates() -> None:
    assert len(SHIPPED) >= 10
    assert all(d.is_dir() for d in default_template_dirs())
    assert LIBRARY.get("call-task").meta.kind == "task"


@pytest.mark.parametrize("template_id", SHIPPED)
@pytest.mark.parametrize("context", [FULL, sparse_context()], ids=["full", "sparse"])
def test_every_shipped_template_renders(template_id: str, context: dict[str, Any]) -> None:
    template = LIBRARY.get(template_id)
    mail = render(template, context)
    assert mail.subject and "{" not in mail.subject
    for bad in ("{{", "{%", "Dear ,", "None", "Undefined", "  \n", "\n\n\n"):
        assert bad not in mail.text
    assert mail.text.endswith("\n") and not mail.text.endswith("\n\n")
    assert context["rep"]["name"] in mail.text
    if template.meta.kind == "email":
        assert mail.subject == f"Re: {context['thread']['subject']}"
        assert f"Dear {context['buyer']['name']}," in mail.text
        assert context["company"]["name"] in mail.text
        assert 60 <= len(mail.text.split()) <= 140, len(mail.text.split())


@pytest.mark.parametrize("template_id", SHIPPED)
def test_shipped_templates_follow_up_without_pushing(template_id: str) -> None:
    template = LIBRARY.get(template_id)
    assert "buyer.name" in template.meta.required
    text = render(template, FULL).text.lower()
    assert "did you receive" not in text
    assert "http://" not in text and "<img" not in text


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
    body = "Hi {{ buyer.name }}.\n{% if rep.fax %}Fax {{ rep.fax }}{% endif %}\nBye\n"
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


def test_library_lookup_and_language_fallback(tmp_path: Path) -> None:
    write_template(tmp_path, GOOD)
    write_template(tmp_path, GOOD.replace('language = "en"', 'language = "de"'), lang="de")
    library = load_library([tmp_path])
    assert library.ids() == ["t1"]
    assert library.languages("t1") == ["de", "en"]
    assert library.get("t1", "de").meta.language == "de"
    assert library.get("t1", "fr").meta.language == "en"
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


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace('purpose = "Test template."', "purpose = "), "not valid TOML"),
        (lambda t: t.replace('value = "Nothing."\n', ""), "front matter lacks value"),
        (lambda t: t.replace('id = "t1"', 'id = "t9"'), "does not match the file name"),
        (lambda t: t.replace('language = "en"', 'language = "fr"'), "does not match the folder"),
        (lambda t: t.replace("stages", "stage"), "lacks stages"),
        (lambda t: t.replace('"any"', "3"), "stages is 3, expected a list of strings"),
        (lambda t: t + 'colour = "red"\n', ""),
        (lambda t: t.replace('language = "en"', 'language = "en"\ncolour = 1'), "unknown key"),
        (lambda t: t.replace('language = "en"', 'language = "en"\nkind = "sms"'), "kind is"),
        (lambda t: t.replace("Subject:", "Subj:"), "line 9 must start with 'Subject:'"),
        (lambda t: t.replace("}}\n\nDear", "}}\nDear"), "line 10 must be blank"),
        (lambda t: t.replace("Hello.", "Hello {{ buyer.name"), "line 12: Jinja2 syntax error"),
        (lambda t: t.replace("Hello.", "{% if x %}\nA\n{% endfor %}"), "line 14: Jinja2 syntax"),
        (lambda t: t.replace("Hello.", "Hi{% if x %} you{% endif %}"), "line 12 ends with a block"),
        (lambda t: t.replace("+++\nid", "id"), "line 1 must be exactly '+++'"),
        (lambda t: t.replace("+++\nSubject", "Subject"), "not closed"),
    ],
)
def test_bad_template_files_are_reported_with_file_and_problem(
    tmp_path: Path, change: Any, message: str
) -> None:
    path = write_template(tmp_path, change(GOOD))
    if not message:
        # Text after the body is just body text; only the front matter is checked for keys.
        assert parse_template_file(path).meta.id == "t1"
        return
    with pytest.raises(TemplateError) as info:
        load_library([tmp_path])
    assert str(info.value).startswith(f"{path}: ")
    assert message in str(info.value)


def test_a_missing_template_dir_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(TemplateError, match="does not exist"):
        load_library([tmp_path / "nowhere"])
