"""A playbook may pass a secret only whole, to a fill value, a sign param or a use step's
secret input; `rpa validate` refuses any other use at the field's file:line:column."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from rpa.errors import LoadIssue
from rpa.playbook.model import Playbook

Write = Callable[..., Path]
Issues = Callable[[Path], list[LoadIssue]]
Load = Callable[[Path], Playbook]

HEADER = """\
inputs:
  password: {type: secret}
  user: {type: str, required: false}
steps:
"""

# the step (line 5), words its refusal must hold
REFUSED = {
    "a filter (urlencode)": (
        '  - fill: {label: P, value: "{{ secrets.dsc_pin | urlencode }}"}',
        "goes through the filter `urlencode`",
    ),
    "a filter (reverse)": (
        '  - fill: {label: P, value: "{{ inputs.password | reverse }}"}',
        "goes through the filter `reverse`",
    ),
    "a slice": (
        '  - fill: {label: P, value: "{{ secrets.dsc_pin[:2] }}"}',
        "is sliced or indexed",
    ),
    "a method": (
        '  - fill: {label: P, value: "{{ secrets.dsc_pin.upper() }}"}',
        "is read through `.upper`",
    ),
    "text around it": (
        '  - fill: {label: P, value: "PIN {{ secrets.dsc_pin }}"}',
        "is joined with other text",
    ),
    "concatenation": (
        "  - fill: {label: P, value: \"{{ 'x' ~ inputs.password }}\"}",
        "is joined with other text",
    ),
    "a goto URL": (
        '  - goto: "https://portal.example/login?pin={{ secrets.dsc_pin }}"',
        "not into goto: url",
    ),
    "a log message": ('  - log: "signed with {{ secrets.dsc_pin }}"', "not into log: message"),
    "a set value": ('  - set: {pin: "{{ inputs.password }}"}', "not into set: pin"),
    "a fail message": (
        '  - fail: {message: "refused {{ secrets.dsc_pin }}"}',
        "not into fail: message",
    ),
    "a locator": ('  - click: {css: "#{{ secrets.dsc_pin }}"}', "not into click: css"),
    "a condition": (
        "  - {when: {expr: \"secrets.dsc_pin == '2026'\"}, click: OK}",
        "not into when.expr",
    ),
    "a sign param joined with text": (
        '  - sign: {method: dsc, params: {pin: "PIN-{{ secrets.dsc_pin }}"}}',
        "is joined with other text",
    ),
    "the secrets mapping whole": (
        '  - fill: {label: P, value: "{{ secrets }}"}',
        "`secrets` may be read only by name",
    ),
    "a computed key": (
        '  - fill: {label: P, value: "{{ secrets[inputs.user] }}"}',
        "`secrets` may be read only by name",
    ),
    "inputs with a computed key": (
        '  - fill: {label: P, value: "{{ inputs[inputs.user] }}"}',
        "would reach the secret input(s) password",
    ),
}


def _field_column(step: str) -> int:
    """The 1-based column of the quoted field that uses the secret."""
    first = min(i for i in (step.find("{{"), step.find("secrets.")) if i >= 0)
    return step.rindex('"', 0, first) + 1


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_secret_used_other_than_whole_in_its_place_is_refused_at_its_line(
    case: str, write: Write, issues: Issues
) -> None:
    step, words = REFUSED[case]
    path = write(HEADER + step + "\n")
    found = issues(path)
    assert [(i.line, i.column) for i in found] == [(5, _field_column(step))], found
    assert words in found[0].message, found[0].message
    assert "secret" in found[0].message


def test_a_secret_in_outputs_or_vars_is_refused_at_its_line(write: Write, issues: Issues) -> None:
    path = write(
        HEADER
        + "  - log: done\n"
        + 'vars:\n  pin: "{{ secrets.dsc_pin }}"\n'
        + 'outputs:\n  password: "{{ inputs.password }}"\n'
    )
    found = {(i.line, i.message.rsplit("not into ", 1)[-1]) for i in issues(path)}
    assert found == {(7, "vars.pin"), (9, "outputs.password")}


def test_a_secret_passed_to_a_used_playbooks_plain_input_is_refused(
    write: Write, issues: Issues
) -> None:
    write(
        """
        inputs:
          username: {type: str}
          password: {type: secret}
        steps:
          - fill: {label: User, value: "{{ inputs.username }}"}
          - fill: {label: Password, value: "{{ inputs.password }}"}
        """,
        "login.yaml",
    )
    path = write(
        """
        steps:
          - use:
              playbook: login
              inputs:
                username: "{{ secrets.portal_password }}"
                password: "{{ secrets.portal_password }}"
        """
    )
    found = issues(path)
    assert [(i.line, i.column) for i in found] == [(5, 19)]
    assert "not `type: secret`" in found[0].message and "inputs.username" in found[0].message


def test_a_secret_input_inherited_by_a_used_playbooks_plain_input_is_refused(
    write: Write, issues: Issues
) -> None:
    write("inputs:\n  password: {type: str}\nsteps:\n  - log: x\n", "shows.yaml")
    path = write("inputs:\n  password: {type: secret}\nsteps:\n  - use: shows\n")
    found = issues(path)
    assert [(i.line, i.column) for i in found] == [(4, 10)]
    assert "would take the secret input 'password'" in found[0].message


def test_a_secret_passed_whole_to_a_fill_a_sign_or_a_secret_input_loads(
    write: Write, load: Load
) -> None:
    write(
        """
        inputs:
          password: {type: secret}
        steps:
          - fill: {label: Password, value: "{{ inputs.password }}"}
        """,
        "login.yaml",
    )
    path = write(
        """
        inputs:
          pin: {type: secret}
        steps:
          - use: {playbook: login, inputs: {password: " {{ secrets['portal_password'] }} "}}
          - fill: {label: PIN, value: "{{ inputs.pin }}", sequential: true}
          - sign:
              method: dsc
              params: {token: "{{ client.dsc_token }}", pin: "{{ secrets.dsc_pin }}"}
          - sign: {method: aadhaar, params: {aadhaar: "{{ secrets.aadhaar }}"}}
          - name: Only with a PIN
            when: {expr: client.has_dsc_pin}
            log: "signed for {{ client.iec }}"
        """
    )
    playbook = load(path)
    assert [step.kind for step in playbook.steps] == ["use", "fill", "sign", "sign", "log"]
