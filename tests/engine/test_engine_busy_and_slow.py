"""A busy or slow portal, read before the outcome is called: a busy page ends a wait and a
step's retries at once; a slow answer to an action is transient, not a changed portal; an
OTP is not asked for on a page without its field, and one nobody answers after a transient
failure is transient too."""

from __future__ import annotations

from pathlib import Path

from rpa.challenges.base import Providers
from rpa.challenges.testing import ScriptedChallenges
from rpa.events import StepRetried
from tests.engine.harness import Harness

BUSY = """
detect:
  busy: {visible: {css: "#faultPage"}}
"""


def test_a_wait_ends_when_the_portal_answers_with_its_busy_page(
    harness: Harness, tmp_path: Path
) -> None:
    run = harness.run(
        tmp_path,
        BUSY
        + """
steps:
  - goto: busy-click.html
  - click: Continue
  - wait_for: {any: [{visible: {css: "#done"}}, {text: "All done"}]}
    retry: {attempts: 1}
""",
        step_timeout_ms=30000,
    )
    failure = run.result.failure
    assert failure is not None and failure.kind == "transient"
    # the wait saw the busy page itself: not a timeout classified afterwards
    assert failure.message == "the portal answered busy while the step waited"


def test_a_step_is_not_tried_again_on_a_busy_page_the_portal_left_there(
    harness: Harness, tmp_path: Path
) -> None:
    run = harness.run(
        tmp_path,
        BUSY
        + """
steps:
  - goto: busy-click.html
  - click: Continue
  - wait_for: {visible: {css: "#faultPage"}}
  - fill: {label: Code, value: "42"}
""",
    )
    failure = run.result.failure
    assert failure is not None and failure.kind == "transient"
    retried = [r.error for r in run.of(StepRetried)]
    assert len(retried) == 2  # the playbook's default: three attempts
    assert retried[1] == "the portal still shows its busy page"
    assert failure.message == "the portal still shows its busy page"


def test_a_click_the_portal_took_but_answers_slowly_is_transient_not_a_changed_portal(
    harness: Harness, tmp_path: Path
) -> None:
    run = harness.run(
        tmp_path,
        """
steps:
  - goto: slow-form.html
  - click: {role: button, name: Send}
    retry: {attempts: 1}
""",
        step_timeout_ms=1000,
    )
    failure = run.result.failure
    assert failure is not None, "the slow page should outlast the step's timeout"
    assert failure.kind == "transient", failure.message
    assert "did not load" in failure.message
    assert len(harness.site.state.submissions) == 1


def test_an_otp_is_not_asked_for_on_a_page_without_its_field(
    harness: Harness, tmp_path: Path
) -> None:
    provider = ScriptedChallenges(otps=["482913"])
    run = harness.run(
        tmp_path,
        """
steps:
  - goto: form.html
  - otp: {into: {label: Enter OTP}}
    retry: {attempts: 1}
""",
        providers=Providers(otp=provider),
        step_timeout_ms=500,
    )
    assert run.outcome == "failed"
    assert provider.otp_requests == []


def test_an_otp_nobody_answers_after_a_transient_failure_is_transient(
    harness: Harness, tmp_path: Path
) -> None:
    playbook = """
detect:
  busy: {text: "Server is busy"}
steps:
  - goto: busy?key={{ job.id }}&times=1
  - goto: otp.html
  - otp: {into: {label: Enter OTP}}
"""
    run = harness.run(
        tmp_path, playbook, providers=Providers(otp=ScriptedChallenges()), challenge_timeout_s=0.3
    )
    failure = run.result.failure
    assert failure is not None and failure.code == "OTP_TIMEOUT"
    assert run.outcome == "failed" and failure.kind == "transient"

    quiet = playbook.replace("times=1", "times=0")
    run = harness.run(
        tmp_path, quiet, providers=Providers(otp=ScriptedChallenges()), challenge_timeout_s=0.3
    )
    assert run.outcome == "needs-input"


POPUP = """
detect:
  popup: {dialog: {css: ".bootbox.modal"}, dismiss: {role: button, name: OK}}
  errors:
    - {when: {text: "Please enter correct captcha"}, code: CAPTCHA_WRONG}
"""


def test_a_pop_up_ends_a_wait_and_the_detectors_name_it_then_close_it(
    harness: Harness, tmp_path: Path
) -> None:
    run = harness.run(
        tmp_path,
        POPUP
        + """
steps:
  - block:
      - goto: popup.html
      - click: Send
      - wait_for: {visible: {css: "#done"}}
        retry: {attempts: 1}
    rescue:
      - assert: {hidden: {css: ".bootbox"}, message: the pop-up is still open}
        timeout_ms: 500
      - set: {code: "{{ error.code }}", kind: "{{ error.kind }}"}
outputs:
  code: "{{ vars.code }}"
  kind: "{{ vars.kind }}"
""",
        step_timeout_ms=30000,
    )
    assert run.outcome == "ok", run.result.failure
    assert run.result.outputs == {"code": "CAPTCHA_WRONG", "kind": "business"}


def test_a_pop_up_no_detector_names_is_a_business_error_quoting_the_portal(
    harness: Harness, tmp_path: Path
) -> None:
    run = harness.run(
        tmp_path,
        POPUP
        + """
steps:
  - goto: popup.html
  - click: Other
  - wait_for: {visible: {css: "#done"}}
""",
        step_timeout_ms=30000,
    )
    failure = run.result.failure
    assert failure is not None and failure.kind == "business"
    assert failure.code == "PORTAL_MESSAGE"
    assert failure.message == "the portal said: Your request could not be processed today."
    assert run.of(StepRetried) == []  # not tried again: a person reads what the portal said
