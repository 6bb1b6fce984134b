"""Templates: values rendered, undefined names refused, sandbox escapes refused."""

from __future__ import annotations

from datetime import date

import pytest

from rpa.errors import TemplateError
from rpa.playbook.template import evaluate, parse, references, render, render_deep, render_value

CONTEXT = {
    "inputs": {"pan": "ABCPD1234E", "dob": date(1990, 1, 31), "n": 3},
    "vars": {"ack": "ACK-1", "cert": {"sha256": "ab" * 32}},
    "client": {"iec": "0123456789"},
    "secrets": {"password": "s3cret"},
}


def test_text_with_expressions_renders_to_text() -> None:
    assert render("PAN {{ inputs.pan }} ack {{ vars.ack }}", CONTEXT) == "PAN ABCPD1234E ack ACK-1"


def test_a_lone_expression_keeps_its_type() -> None:
    assert render_value("{{ inputs.n + 1 }}", CONTEXT) == 4
    assert render_value("{{ vars.cert }}", CONTEXT) == {"sha256": "ab" * 32}


def test_text_without_template_markers_is_returned_as_is() -> None:
    assert render_value("plain {text}", CONTEXT) == "plain {text}"


def test_render_deep_renders_inside_dicts_and_lists() -> None:
    value = render_deep({"a": ["{{ inputs.n }}", "x{{ inputs.n }}"], "b": 1}, CONTEXT)
    assert value == {"a": [3, "x3"], "b": 1}


def test_dates_format_with_the_date_format_filter() -> None:
    assert render("{{ inputs.dob | date_format }}", CONTEXT) == "31/01/1990"


def test_regex_search_filter_extracts_a_group() -> None:
    assert render("{{ vars.ack | regex_search('ACK-(\\\\d+)', 1) }}", CONTEXT) == "1"


def test_an_expression_evaluates_with_or_without_braces() -> None:
    assert evaluate("inputs.n > 2", CONTEXT) is True
    assert evaluate("{{ inputs.n > 5 }}", CONTEXT) is False


@pytest.mark.parametrize("source", ["{{ nothing }}", "{{ inputs.nothing }}", "x {{ vars.a.b }}"])
def test_an_undefined_name_is_an_error_not_an_empty_string(source: str) -> None:
    with pytest.raises(TemplateError, match="undefined"):
        render(source, CONTEXT)


def test_an_undefined_name_in_an_expression_is_an_error() -> None:
    with pytest.raises(TemplateError, match="undefined"):
        evaluate("vars.missing == 1", CONTEXT)


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__ }}",
        "{{ joiner.__init__.__globals__ }}",
        "{{ lipsum.__globals__ }}",
        "{{ inputs.__class__ }}",
        "{{ render.__globals__ }}",
        "{{ [].append(1) }}",
        "{{ vars.update({'x': 1}) }}",
        "{{ self.__init__ }}",
        "{{ namespace() }}",
        "{{ range(10**9) | list }}",
        "{{ 'a' * 10**8 }}",
        "{{ 2 ** 100000 }}",
    ],
)
def test_sandbox_escapes_are_refused(source: str) -> None:
    with pytest.raises(TemplateError):
        render(source, CONTEXT)


def test_no_file_or_import_is_reachable() -> None:
    for source in ("{% include '/etc/passwd' %}", "{% import 'os' as os %}"):
        with pytest.raises(TemplateError):
            render(source, CONTEXT)


def test_a_syntax_error_is_a_template_error() -> None:
    with pytest.raises(TemplateError, match="invalid template"):
        render("{{ inputs. }}", CONTEXT)


def test_references_name_roots_and_members() -> None:
    tree = parse("{{ inputs.pan }} {{ vars['ack'] }} {% for x in client.list %}{{ x }}{% endfor %}")
    assert set(references(tree)) == {("inputs", "pan"), ("vars", "ack"), ("client", "list")}


def test_references_of_an_expression() -> None:
    tree = parse("inputs.mode == 'update' and secrets", expression=True)
    assert set(references(tree)) == {("inputs", "mode"), ("secrets", None)}


@pytest.mark.parametrize(
    ("day", "start"),
    [("2026-05-21", "2026-04-01"), ("01/04/2026", "2026-04-01"), ("2027-03-31", "2026-04-01")],
)
def test_fy_start_is_the_first_of_april_of_the_financial_year(day: str, start: str) -> None:
    assert render_value("{{ day | fy_start }}", {"day": day}) == start
