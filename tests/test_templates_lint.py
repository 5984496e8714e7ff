"""``templates lint``: each rule finds its problem in a crafted template, at the right line."""

from __future__ import annotations

from pathlib import Path

import pytest

from followupd.templating.lint import Finding, html_problems, lint_dirs, used_variables

GOOD = """+++
id = "t1"
purpose = "Test template."
adds = "recap"
stages = "any"
requires = ["buyer.name", "rep.name", "thread.subject"]
language = "en"
+++
Subject: Re: {{ thread.subject }}

{% set doc = thread.document_ref or "offer" %}
Dear {{ buyer.name }},

Here is {{ doc }}.{{ " Until " ~ (thread.validity_date | date) if thread.validity_date else "" }}
{% for item in thread.products %}
- {{ item }}
{% endfor %}

{{ rep.name }}
"""


def write(root: Path, text: str, *, lang: str = "en", name: str = "t1") -> Path:
    path = root / lang / f"{name}.j2"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.replace('id = "t1"', f'id = "{name}"'), encoding="utf-8")
    return path


def lint_one(tmp_path: Path, text: str) -> tuple[Path, list[tuple[int, str]]]:
    path = write(tmp_path, text)
    return path, [(f.line, f.message) for f in lint_dirs([tmp_path]) if f.path == path]


def test_a_good_template_has_no_finding(tmp_path: Path) -> None:
    assert lint_one(tmp_path, GOOD)[1] == []


def test_findings_print_as_file_line_message(tmp_path: Path) -> None:
    assert str(Finding(tmp_path / "a.j2", 7, "bad")) == f"{tmp_path / 'a.j2'}:7: bad"


def test_missing_or_invalid_front_matter(tmp_path: Path) -> None:
    _, found = lint_one(tmp_path, GOOD.replace('purpose = "Test template."\n', ""))
    assert found == [(1, "front matter lacks purpose")]
    _, found = lint_one(tmp_path, GOOD.replace('language = "en"', 'language = "en"\ntone = "warm"'))
    assert len(found) == 1 and found[0][0] == 8 and "unknown key 'tone'" in found[0][1]


def test_an_email_that_adds_nothing_is_a_nag(tmp_path: Path) -> None:
    _, found = lint_one(tmp_path, GOOD.replace('adds = "recap"\n', ""))
    assert len(found) == 1
    line, message = found[0]
    assert line == 3 and message.startswith("an email needs adds = one of validity, ")
    assert "is a nag" in message
    task = GOOD.replace('adds = "recap"\n', "").replace(
        'language = "en"', 'language = "en"\nkind = "task"'
    )
    assert lint_one(tmp_path, task)[1] == []


def test_the_old_required_key_must_be_renamed(tmp_path: Path) -> None:
    _, found = lint_one(tmp_path, GOOD.replace("requires =", "required ="))
    assert found == [(6, "rename 'required' to 'requires'")]


def test_unknown_variables_are_named_at_their_line(tmp_path: Path) -> None:
    text = GOOD.replace("Here is {{ doc }}.", "Here is {{ doc }} for {{ buyer.nickname }}.")
    text = text.replace(
        "{{ rep.name }}\n", "{{ rep.name }}\n{{ fax }}\n{{ company.holidays[0] }}\n"
    )
    _, found = lint_one(tmp_path, text)
    messages = dict(found)
    assert messages[14].startswith("unknown variable buyer.nickname; buyer has name, email,")
    assert messages[20].startswith("unknown variable fax; the context has locale, buyer, thread")
    assert messages[21].startswith("unknown variable company.holidays; company has name,")
    # The rendering also fails on them; the variable check is what names the line.
    assert {line for line, _ in found} == {14, 20, 21}


def test_required_names_must_be_template_variables(tmp_path: Path) -> None:
    _, found = lint_one(
        tmp_path, GOOD.replace('"thread.subject"]', '"thread.subject", "po.number"]')
    )
    assert found[0][0] == 6
    assert found[0][1].startswith("requires po.number, which is not a template variable")


def test_names_the_template_sets_and_methods_of_values_are_not_context_variables() -> None:
    source = (
        "{% set doc = thread.document_ref.lower() %}{{ doc }}\n"
        "{% for p in thread.products %}{{ p.upper() }}{{ loop.index }}{% endfor %}\n"
        '{{ company.next_holiday.start | date }}{{ company["name"] }}\n'
    )
    assert used_variables(source) == [
        ("thread.document_ref.lower", 1),
        ("thread.products", 2),
        ("company.next_holiday.start", 3),
        ("company.name", 3),
    ]


def test_an_optional_value_printed_without_a_guard(tmp_path: Path) -> None:
    text = GOOD.replace("Here is {{ doc }}.", "Here is {{ doc }} for {{ buyer.company }}.")
    _, found = lint_one(tmp_path, text)
    assert len(found) == 1
    line, message = found[0]
    assert line == 14
    assert message.startswith("does not render with a thread where only the required values")
    assert "uses buyer.company, which is not known" in message


def test_a_subject_too_long_for_a_phone(tmp_path: Path) -> None:
    text = GOOD.replace(
        "Subject: Re: {{ thread.subject }}",
        "Subject: Re: {{ thread.subject }} - our best price for {{ buyer.name }}, valid now",
    )
    _, found = lint_one(tmp_path, text)
    assert [line for line, _ in found] == [9, 9]
    assert found[0][1].startswith("the subject is 83 characters with a thread where only")
    assert "(at most 78)" in found[0][1]


@pytest.mark.parametrize(
    ("html", "line", "problem"),
    [
        ("<p>Dear {{ buyer.name }}\n<p>Thanks</p>\n", 21, "<p> is never closed"),
        ("<div><p>Dear</p>\n</b></div>\n", 22, "</b> closes nothing"),
        ("<div><b>Dear</div>\n", 21, "<b> is not closed before </div>"),
        ('<p>Hi</p>\n<img src="https://t.example/p.gif">\n', 22, "<img> is not allowed"),
        ('<p style="background:url(x)">Hi</p>\n', 21, "the attribute style is not allowed"),
    ],
)
def test_broken_or_tracking_html_in_an_html_part(
    tmp_path: Path, html: str, line: int, problem: str
) -> None:
    _, found = lint_one(tmp_path, GOOD + "+++ html\n" + html)
    # The HTML part starts on line 21, after the "+++ html" line.
    assert any(ln == line and problem in msg for ln, msg in found), found


def test_html_problems_on_generated_markup() -> None:
    assert (
        html_problems(
            '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head>'
            "<body><p>a<br>b</p><ul><li>x</li></ul></body></html>"
        )
        == []
    )
    assert html_problems("<p><b>a</p>") == [(1, "<b> is not closed before </p>")]


def test_a_core_template_missing_a_language(tmp_path: Path) -> None:
    core = GOOD.replace('language = "en"', 'language = "en"\ncore = true')
    path = write(tmp_path, core)
    for lang in ("es", "fr", "de", "pt"):
        write(tmp_path, core.replace('language = "en"', f'language = "{lang}"'), lang=lang)
    found = lint_dirs([tmp_path])
    assert [str(f) for f in found] == [f"{path}:8: core template t1 has no ru version (ru/t1.j2)"]


def test_a_translation_must_promise_what_the_original_does(tmp_path: Path) -> None:
    write(tmp_path, GOOD)
    german = GOOD.replace('language = "en"', 'language = "de"').replace('"recap"', '"validity"')
    path = write(tmp_path, german, lang="de")
    found = [str(f) for f in lint_dirs([tmp_path])]
    assert found == [f"{path}:4: adds is [validity] but [recap] in the English original"]


def test_every_problem_of_a_directory_is_reported_sorted(tmp_path: Path) -> None:
    write(tmp_path, GOOD.replace("+++\nSubject", "Subject"), name="a")
    write(tmp_path, GOOD.replace('adds = "recap"\n', ""), name="b")
    write(tmp_path, GOOD, name="c")
    found = lint_dirs([tmp_path])
    assert [(f.path.name, f.line) for f in found] == [("a.j2", 1), ("b.j2", 3)]
