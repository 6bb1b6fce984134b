"""Failures in real Chromium: what is retried, what re-logs in, what fails at once."""

from __future__ import annotations

from pathlib import Path

from rpa.events import StepRetried, StepStarted
from tests.engine.harness import Harness

LOGIN = """
inputs:
  password: {type: secret}
steps:
  - goto: login.html
  - fill: {label: Username, value: consultant}
  - fill: {label: Password, value: "{{ inputs.password }}"}
  - click: Log in
  - wait_for: {url: /home}
"""


def test_a_5xx_answer_is_retried_until_the_page_comes(harness: Harness, tmp_path: Path) -> None:
    run = harness.run(
        tmp_path,
        """
        steps:
          - goto: flaky?key=f1&fails=2
          - assert: {text: Flaky page OK}
        """,
    )
    assert run.outcome == "ok", run.result.failure
    retried = run.of(StepRetried)
    assert [(r.attempt, r.error_kind) for r in retried] == [(1, "transient"), (2, "transient")]
    assert "HTTP 503" in retried[0].error
    assert run.delays == [1.0, 2.0]


def test_a_5xx_that_persists_fails_the_job_as_transient(harness: Harness, tmp_path: Path) -> None:
    run = harness.run(tmp_path, "steps:\n  - goto: flaky?key=f2&fails=9\n")
    failure = run.result.failure
    assert failure is not None and failure.kind == "transient" and "503" in failure.message
    assert harness.site.state.hits["/flaky:f2"] == 3


def test_a_server_busy_page_is_recognised_and_retried(harness: Harness, tmp_path: Path) -> None:
    run = harness.run(
        tmp_path,
        """
        detect:
          busy: {text: "Server is busy"}
        steps:
          - goto: busy?key=b1&times=2
          - assert: {text: Welcome back}
        """,
    )
    assert run.outcome == "ok", run.result.failure
    assert [r.error for r in run.of(StepRetried)] == ["the portal says it is busy"] * 2


def test_a_retrying_block_recovers_a_whole_sequence(harness: Harness, tmp_path: Path) -> None:
    run = harness.run(
        tmp_path,
        """
        detect:
          busy: {text: "Server is busy"}
        steps:
          - name: Open and check
            block:
              - goto: form.html
              - goto: busy?key=b2&times=1
              - assert: {text: Welcome back}
            retry: {attempts: 3, delay: 5}
        """,
    )
    assert run.outcome == "ok", run.result.failure
    assert [r.step for r in run.of(StepRetried)] == ["Open and check"]
    starts = [e.step for e in run.of(StepStarted)]
    assert starts.count("Open and check/#1.1 goto") == 2
    assert run.delays == [5.0]


def test_rescue_and_always_run_in_the_browser(harness: Harness, tmp_path: Path) -> None:
    run = harness.run(
        tmp_path,
        """
        steps:
          - block:
              - goto: form.html
              - click: {css: "#not-there"}
                timeout_ms: 200
            rescue:
              - set: {recovered: "{{ error.kind }}"}
            always:
              - screenshot: after-block
        outputs: {recovered: "{{ vars.recovered }}"}
        """,
    )
    assert run.outcome == "ok"
    assert run.result.outputs == {"recovered": "portal-changed"}
    assert (run.result.artifacts_dir / "after-block.png").is_file()


def test_an_expired_session_logs_in_again_and_resumes_the_step(
    harness: Harness, tmp_path: Path
) -> None:
    harness.write(tmp_path, "login.yaml", LOGIN)
    run = harness.run(
        tmp_path,
        """
        inputs:
          password: {type: secret}
        detect:
          session_expired: {url: "expired=1"}
        on_session_expired:
          - use: login
        steps:
          - use: login
          - goto: members?key=s1
          - assert: {text: Members area}
        """,
        {"password": "s3cret-Pa55"},
    )
    assert run.outcome == "ok", run.result.failure
    starts = [e.step for e in run.of(StepStarted)]
    assert "on_session_expired/login" in starts
    assert [(r.step, r.error_kind) for r in run.of(StepRetried)] == [("#2 goto", "session")]
    assert harness.site.state.hits["/members:s1"] == 2


def test_session_expiry_without_a_relogin_fails_as_session(
    harness: Harness, tmp_path: Path
) -> None:
    harness.write(tmp_path, "login.yaml", LOGIN)
    run = harness.run(
        tmp_path,
        """
        inputs:
          password: {type: secret}
        detect:
          session_expired: {text: "Your session has expired"}
        steps:
          - use: login
          - goto: members?key=s2
        """,
        {"password": "s3cret-Pa55"},
    )
    failure = run.result.failure
    assert failure is not None and failure.kind == "session"
    assert "no on_session_expired" in failure.message


def test_a_block_may_restart_from_its_start_after_a_relogin(
    harness: Harness, tmp_path: Path
) -> None:
    harness.write(tmp_path, "login.yaml", LOGIN)
    run = harness.run(
        tmp_path,
        """
        inputs:
          password: {type: secret}
        detect:
          session_expired: {url: "expired=1"}
        on_session_expired:
          - use: login
        steps:
          - use: login
          - name: Members
            session: restart
            block:
              - goto: home
              - goto: members?key=s3
              - assert: {text: Members area}
        """,
        {"password": "s3cret-Pa55"},
    )
    assert run.outcome == "ok", run.result.failure
    starts = [e.step for e in run.of(StepStarted)]
    assert starts.count("Members/#2.1 goto") == 2


def test_a_restarting_block_runs_again_from_its_start_when_a_step_gives_up(
    harness: Harness, tmp_path: Path
) -> None:
    run = harness.run(
        tmp_path,
        """
        steps:
          - name: Journey
            restart: {attempts: 2, delay: 4}
            block:
              - goto: form.html
              - goto: flaky?key=r1&fails=3
              - assert: {text: Flaky page OK}
        """,
    )
    assert run.outcome == "ok", run.result.failure
    starts = [e.step for e in run.of(StepStarted)]
    assert starts.count("Journey/#1.1 goto") == 2
    assert harness.site.state.hits["/flaky:r1"] == 4  # three tries, then one more run
    restarted = [r for r in run.of(StepRetried) if r.step == "Journey"]
    assert [(r.attempt, r.error_kind, r.delay_s) for r in restarted] == [(1, "transient", 4.0)]


def test_a_restarting_block_gives_up_after_its_runs(harness: Harness, tmp_path: Path) -> None:
    run = harness.run(
        tmp_path,
        """
        steps:
          - name: Journey
            restart: {attempts: 2, delay: 0}
            block:
              - goto: flaky?key=r2&fails=99
        """,
    )
    failure = run.result.failure
    assert failure is not None and failure.kind == "transient"
    assert harness.site.state.hits["/flaky:r2"] == 6  # two runs of three tries


def test_a_restarted_block_does_not_submit_again_when_its_guard_finds_the_change(
    harness: Harness, tmp_path: Path
) -> None:
    # the submission is made, then the submit step fails (as a 5xx while signing would):
    # the restart probes the guard, which finds it, and the job ends changed
    run = harness.run(
        tmp_path,
        """
        steps:
          - name: Journey
            restart: {attempts: 3, delay: 0}
            block:
              - goto: "status?key=r3"
              - name: Update
                guard: {text: Already submitted for this year}
                block:
                  - goto: "form.html?key=r3"
                  - fill: {label: PAN, value: AAACB1234F}
                  - name: Send
                    submit: true
                    block:
                      - click: Submit application
                      - wait_for: {text: Application submitted}
                      - goto: flaky?key=r3&fails=3
        """,
    )
    assert run.outcome == "changed", run.result.failure
    assert run.result.stopped_at == "Journey/Update"
    assert len(harness.site.state.submissions) == 1


def test_a_locator_that_matches_nothing_means_the_portal_changed(
    harness: Harness, tmp_path: Path
) -> None:
    run = harness.run(
        tmp_path,
        """
        steps:
          - goto: form.html
          - name: Enter the GSTIN
            fill: {label: GSTIN, value: 07AAACB1234F1Z5}
            timeout_ms: 300
        """,
    )
    failure = run.result.failure
    assert failure is not None
    assert failure.kind == "portal-changed" and failure.step == "Enter the GSTIN"
    assert 'the portal may have changed: nothing matches label="GSTIN"' in failure.message
    assert failure.screenshot is not None and Path(failure.screenshot).is_file()
    html = (run.result.artifacts_dir / "failure.html").read_text()
    assert "Update IEC" in html
    assert run.of(StepRetried) == []


def test_a_page_a_click_opened_is_read_for_errors_once_its_document_has_loaded(
    harness: Harness, tmp_path: Path
) -> None:
    run = harness.run(
        tmp_path,
        """
        detect:
          errors:
            - when: {text: "Refused: the PAN does not match"}
              code: PAN_MISMATCH
        steps:
          - goto: slow-link.html
          - click: Next
        """,
    )
    failure = run.result.failure
    assert failure is not None
    assert (failure.kind, failure.code) == ("business", "PAN_MISMATCH")


def test_a_portal_error_message_becomes_a_business_error_with_its_code(
    harness: Harness, tmp_path: Path
) -> None:
    run = harness.run(
        tmp_path,
        """
        detect:
          errors:
            - when: {visible: {css: .alert-danger}}
              code: PAN_MISMATCH
        steps:
          - goto: refused.html
          - click: Next
            timeout_ms: 300
        """,
    )
    failure = run.result.failure
    assert failure is not None
    assert (failure.kind, failure.code) == ("business", "PAN_MISMATCH")
    assert failure.message == "PAN does not match the name as per PAN"
    assert run.of(StepRetried) == []
