"""Loading playbooks: shorthands normalised, every problem reported with its line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rpa.errors import LoadIssue
from rpa.playbook.args import ClickArgs, FillArgs, SetArgs, UseArgs, WaitForArgs
from rpa.playbook.model import Playbook

Load = Callable[[Path], Playbook]
Issues = Callable[[Path], list[LoadIssue]]


def at(found: list[LoadIssue], line: int) -> list[str]:
    return [i.message for i in found if i.line == line]


def test_a_click_on_a_name_becomes_a_button_link_or_text_locator(write, load: Load) -> None:
    playbook = load(write("steps:\n  - click: Validate\n"))
    args = playbook.steps[0].args
    assert isinstance(args, ClickArgs)
    assert [alt.role or "text" for alt in args.any_of or []] == ["button", "link", "text"]
    assert args.describe().startswith('role=button[name="Validate"]')


def test_a_fill_takes_its_locator_and_value_from_one_mapping(write, load: Load) -> None:
    playbook = load(write("steps:\n  - fill: {label: PAN, value: 123}\n"))
    args = playbook.steps[0].args
    assert isinstance(args, FillArgs)
    assert (args.label, args.value) == ("PAN", "123")


def test_shorthands_of_other_kinds_are_normalised(write, load: Load) -> None:
    write("steps:\n  - log: other\n", "other.yaml")
    playbook = load(
        write("""
        steps:
          - wait_for: Saved
          - set: {year: 2024}
          - use: other
          - goto: index.jsp
        """)
    )
    wait, set_, use, goto = (s.args for s in playbook.steps)
    assert isinstance(wait, WaitForArgs) and wait.visible is not None
    assert isinstance(set_, SetArgs) and set_.values == {"year": 2024}
    assert isinstance(use, UseArgs) and use.playbook == "other"
    assert playbook.steps[2].used is not None and playbook.steps[2].used.name == "other"
    assert goto is not None


def test_a_block_keeps_its_steps_rescue_and_always(write, load: Load) -> None:
    playbook = load(
        write("""
        steps:
          - name: Update
            block:
              - click: A
              - click: B
            rescue:
              - log: "{{ error.message }}"
            always:
              - screenshot: end
            retry: {attempts: 2}
            session: restart
        """)
    )
    block = playbook.steps[0]
    assert block.kind == "block" and block.session == "restart"
    assert [s.id for s in block.children()] == ["1.1", "1.2", "1.rescue.1", "1.always.1"]
    assert block.options.retry is not None and block.options.retry.attempts == 2


def test_an_unknown_kind_is_named_with_its_line_and_a_suggestion(write, issues: Issues) -> None:
    found = issues(write("steps:\n  - goto: x\n  - clik: Validate\n"))
    assert len(found) == 1
    assert (found[0].line, found[0].column) == (3, 5)
    assert "unknown step kind 'clik'" in found[0].message
    assert "did you mean 'click'" in found[0].message
    assert found[0].file.endswith("main.yaml")


def test_an_unknown_argument_is_reported_at_its_key(write, issues: Issues) -> None:
    found = issues(write("steps:\n  - click:\n      lable: PAN\n"))
    assert found[0].line == 3
    assert "unknown argument 'lable'" in found[0].message
    assert "did you mean 'label'" in found[0].message


def test_a_missing_argument_is_reported(write, issues: Issues) -> None:
    found = issues(write("steps:\n  - name: Enter PAN\n    fill: {label: PAN}\n"))
    assert at(found, 3) == ["fill: missing argument 'value'"]
    assert found[0].step == "Enter PAN"


def test_a_value_of_the_wrong_type_is_reported(write, issues: Issues) -> None:
    found = issues(write("steps:\n  - check: {label: Agree, checked: maybe}\n"))
    assert found[0].line == 2
    assert "checked" in found[0].message and "boolean" in found[0].message


def test_a_wrong_option_type_is_reported(write, issues: Issues) -> None:
    found = issues(write("steps:\n  - goto: x\n    timeout_ms: soon\n"))
    assert found[0].line == 3 and "timeout_ms" in found[0].message


def test_two_kinds_in_one_step_are_refused(write, issues: Issues) -> None:
    found = issues(write("steps:\n  - click: A\n    fill: {label: B, value: c}\n"))
    assert "exactly one kind" in found[0].message and found[0].line == 3


def test_a_step_with_no_kind_is_refused(write, issues: Issues) -> None:
    found = issues(write("steps:\n  - name: nothing\n"))
    assert "has no kind" in found[0].message and found[0].line == 2


def test_every_error_of_a_file_is_reported_in_order(write, issues: Issues) -> None:
    found = issues(
        write("""
        inputs:
          pan: {type: pan}
        steps:
          - clik: A
          - fill: {label: PAN}
          - log: "{{ inputs.pn }}"
          - log: "{{ vars.nothing }}"
          - wait_for: {visible: A, text: B}
        """)
    )
    assert [i.line for i in found] == [4, 5, 6, 7, 8]


def test_an_undefined_input_is_named_with_the_declared_ones(write, issues: Issues) -> None:
    found = issues(write("inputs:\n  pan: {type: pan}\nsteps:\n  - log: '{{ inputs.pn }}'\n"))
    assert found[0].line == 4
    assert "undefined variable inputs.pn" in found[0].message
    assert "declared inputs: pan" in found[0].message


def test_a_var_set_anywhere_in_the_playbook_may_be_used(write, load: Load) -> None:
    load(
        write("""
        vars: {a: 1}
        steps:
          - log: "{{ vars.a }} {{ vars.b }} {{ vars.c }} {{ vars.d.sha256 }} {{ vars.e }}"
          - set: {b: 2}
          - extract: {css: "#x", into: c}
          - download: {text: Get, save_as: x.pdf}
            register: d
          - read: {e: {css: "#e"}, f: {label: F, attribute: value}}
        """)
    )


def test_a_read_field_must_be_named_as_a_variable_and_locate_something(
    write, issues: Issues
) -> None:
    found = issues(
        write("""
        steps:
          - read: {"not a name": {css: "#x"}}
          - read: {a: {attribute: value}}
          - read: {}
        """)
    )
    assert [i.line for i in found] == [2, 3, 4]
    assert "variable names must be identifiers: not a name" in found[0].message


def test_an_unknown_root_name_is_refused(write, issues: Issues) -> None:
    found = issues(write("steps:\n  - log: '{{ foo }}'\n"))
    assert "undefined variable 'foo'" in found[0].message


def test_error_is_known_only_in_rescue_and_always(write, issues: Issues) -> None:
    found = issues(
        write("""
        steps:
          - log: "{{ error.message }}"
          - block:
              - log: x
            rescue:
              - log: "{{ error.message }}"
        """)
    )
    assert [i.line for i in found] == [2]


def test_a_template_syntax_error_is_reported(write, issues: Issues) -> None:
    found = issues(write("steps:\n  - log: '{{ inputs. }}'\n"))
    assert "invalid template" in found[0].message and found[0].line == 2


def test_an_expression_syntax_error_in_when_is_reported(write, issues: Issues) -> None:
    found = issues(write("steps:\n  - log: x\n    when: 'inputs.a =='\n"))
    assert found[0].line == 3 and "invalid template" in found[0].message


def test_a_template_reaching_for_python_internals_is_refused_at_load(write, issues: Issues) -> None:
    found = issues(write("steps:\n  - log: \"{{ ''.__class__ }}\"\n"))
    assert "unsafe" in found[0].message


def test_use_of_a_missing_playbook_is_reported(write, issues: Issues) -> None:
    found = issues(write("steps:\n  - use: logn\n"))
    assert found[0].line == 2 and "no playbook 'logn'" in found[0].message


def test_a_cycle_of_use_is_reported(write, issues: Issues) -> None:
    write("steps:\n  - use: b\n", "a.yaml")
    write("steps:\n  - log: x\n  - use: a\n", "b.yaml")
    found = issues(write("steps:\n  - use: a\n"))
    cycles = [i for i in found if "cycle" in i.message]
    assert cycles and cycles[0].file.endswith("b.yaml") and cycles[0].line == 3
    assert "a.yaml → b.yaml → a.yaml" in cycles[0].message


def test_use_checks_the_inputs_it_passes_and_needs(write, issues: Issues) -> None:
    write("inputs:\n  user: {}\n  password: {type: secret}\nsteps:\n  - log: x\n", "login.yaml")
    found = issues(
        write("""
        inputs:
          user: {}
        steps:
          - use: {playbook: login, inputs: {pasword: x}}
        """)
    )
    messages = " | ".join(i.message for i in found)
    assert "no input 'pasword'" in messages and "did you mean 'password'" in messages
    assert "needs input 'password'" in messages


def test_errors_in_a_used_playbook_name_its_own_file(write, issues: Issues) -> None:
    write("steps:\n  - clik: x\n", "login.yaml")
    found = issues(write("steps:\n  - use: login\n"))
    assert {i.file.rsplit("/", 1)[-1] for i in found} == {"main.yaml", "login.yaml"}


def test_a_guard_goes_only_on_a_submit_step_or_block(write, issues: Issues) -> None:
    found = issues(write("steps:\n  - click: Go\n    guard: {text: Done}\n"))
    assert "guard" in found[0].message and found[0].line == 3


def test_block_options_only_go_with_a_block(write, issues: Issues) -> None:
    found = issues(write("steps:\n  - click: Go\n    rescue: []\n"))
    assert "only goes with `block:`" in found[0].message


def test_a_restarting_block_must_guard_the_submits_inside_it(write, issues: Issues) -> None:
    found = issues(
        write("""
        steps:
          - name: Journey
            restart: {attempts: 2}
            block:
              - click: Open
              - name: Send
                click: Send
                submit: true
        """)
    )
    assert [(i.line, i.step) for i in found] == [(3, "Journey")]
    assert "submit step 'Send' has no guard inside the block" in found[0].message


def test_a_restarting_block_with_a_guarded_submit_loads(write, load: Load) -> None:
    playbook = load(
        write("""
        steps:
          - name: Journey
            restart: {attempts: 3, delay: 0}
            block:
              - click: Open
              - name: Send
                guard: {text: Sent}
                submit: true
                block:
                  - click: Send
        """)
    )
    restart = playbook.steps[0].restart
    assert restart is not None and (restart.attempts, restart.on) == (3, ["transient"])


def test_unknown_top_level_keys_are_reported(write, issues: Issues) -> None:
    found = issues(write("stepz: []\nsteps:\n  - log: x\n"))
    assert found[0].line == 1 and "did you mean 'steps'" in found[0].message


def test_a_bad_input_type_lists_the_known_ones(write, issues: Issues) -> None:
    found = issues(write("inputs:\n  pan: {type: pann}\nsteps:\n  - log: x\n"))
    assert found[0].line == 2 and "'iec'" in found[0].message


def test_an_enum_input_needs_choices(write, issues: Issues) -> None:
    found = issues(write("inputs:\n  mode: {type: enum}\nsteps:\n  - log: x\n"))
    assert "choices" in found[0].message


def test_a_locator_with_two_strategies_is_refused(write, issues: Issues) -> None:
    found = issues(write("steps:\n  - click: {label: A, css: '#a'}\n"))
    assert "one strategy" in found[0].message


def test_duplicate_keys_are_reported(write, issues: Issues) -> None:
    found = issues(write("steps:\n  - fill: {label: A, label: B, value: x}\n"))
    assert "duplicate key 'label'" in found[0].message


def test_invalid_yaml_is_reported_with_its_line(write, issues: Issues) -> None:
    found = issues(write("steps:\n  - click: [A\n  - log: x\n"))
    assert found[0].line is not None and "invalid YAML" in found[0].message


def test_a_file_that_is_not_a_mapping_is_refused(write, issues: Issues) -> None:
    assert "mapping" in issues(write("- click: A\n"))[0].message


def test_a_missing_steps_list_is_reported(write, issues: Issues) -> None:
    assert "missing `steps:`" in issues(write("name: x\n"))[0].message


def test_the_issue_reads_as_file_line_column_step_and_message(write, issues: Issues) -> None:
    text = str(issues(write("steps:\n  - name: Go\n    clik: x\n"))[0])
    assert text.startswith(str(Path("main.yaml"))) or ":3:5 (step 'Go'): unknown step kind" in text
    assert ":3:5 (step 'Go'): unknown step kind 'clik'" in text


def test_a_playbook_takes_the_detectors_and_relogin_of_the_one_it_extends(
    write, load: Load
) -> None:
    write(
        """
        detect:
          busy: {text: "server is busy"}
          errors: [{when: {text: "PAN does not match"}, code: PAN_MISMATCH}]
        on_session_expired:
          - log: logging in again
        steps: []
        """,
        "base.yaml",
    )
    playbook = load(
        write("""
        extends: base
        detect:
          busy: {text: "under maintenance"}
          errors: [{when: {text: "No IEC"}, code: NO_IEC}]
        steps:
          - log: x
        """)
    )
    assert playbook.detect.busy is not None and playbook.detect.busy.text == "under maintenance"
    assert [e.code for e in playbook.detect.errors] == ["NO_IEC", "PAN_MISMATCH"]
    assert [s.kind for s in playbook.on_session_expired] == ["log"]


def test_extending_a_missing_playbook_or_a_cycle_is_reported_at_its_line(
    write, issues: Issues
) -> None:
    found = issues(write("name: x\nextends: nowhere\nsteps: []\n"))
    assert any("extends: no playbook 'nowhere'" in m for m in at(found, 2)), found
    write("extends: b\nsteps: []\n", "a.yaml")
    found = issues(write("extends: a\nsteps: []\n", "b.yaml"))
    assert any("cycle" in i.message for i in found), found
