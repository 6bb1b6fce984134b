"""The engine's control flow, without a browser: retries, guards, check mode, blocks,
use, resume. Steps here never touch a page; ``scripted_log`` makes ``log`` steps fail on cue.
"""

from __future__ import annotations

from typing import Any

from rpa.challenges.base import Providers
from rpa.errors import BusinessError, PortalChangedError, TransientError
from rpa.events import RunFinished, StepRetried, SubmitDone, SubmitIntent
from tests.unit.engine.fakes import FakeRunner

Scripts = dict[str, list[Any]]


def calls(scripts: Scripts) -> list[str]:
    return list(scripts["__calls__"])


def test_a_transient_failure_is_retried_with_growing_delays(
    runner: FakeRunner, scripted_log: Scripts
) -> None:
    scripted_log["flaky"] = [TransientError("busy"), TransientError("busy again")]
    run = runner.run("steps:\n  - log: flaky\n")
    assert run.outcome == "ok"
    retried = run.of(StepRetried)
    assert [(e.attempt, e.error_kind) for e in retried] == [(1, "transient"), (2, "transient")]
    assert run.delays == [1.0, 2.0]
    assert calls(scripted_log) == ["flaky"] * 3


def test_retries_stop_after_the_last_attempt_with_the_last_error(
    runner: FakeRunner, scripted_log: Scripts
) -> None:
    scripted_log["flaky"] = [TransientError(f"busy {n}") for n in range(5)]
    run = runner.run("retry: {attempts: 2, delay: 0.5}\nsteps:\n  - log: flaky\n")
    assert run.outcome == "failed"
    failure = run.result.failure
    assert failure is not None and failure.kind == "transient" and failure.message == "busy 1"
    assert run.delays == [0.5]


def test_a_business_error_fails_at_once_without_retry(
    runner: FakeRunner, scripted_log: Scripts
) -> None:
    scripted_log["refused"] = [BusinessError("PAN mismatch", code="PAN_MISMATCH")]
    run = runner.run("steps:\n  - log: refused\n  - log: never\n")
    assert run.outcome == "failed"
    assert run.of(StepRetried) == []
    failure = run.result.failure
    assert failure is not None
    assert (failure.kind, failure.code, failure.step) == ("business", "PAN_MISMATCH", "#1 log")
    assert "never" not in calls(scripted_log)


def test_a_step_may_choose_which_failures_it_retries(
    runner: FakeRunner, scripted_log: Scripts
) -> None:
    scripted_log["changed"] = [PortalChangedError("gone")]
    run = runner.run("""
        steps:
          - log: changed
            retry: {attempts: 2, delay: 0, on: [portal-changed]}
        """)
    assert run.outcome == "ok" and run.delays == [0.0]


def test_until_retries_a_step_until_its_condition_holds(runner: FakeRunner) -> None:
    run = runner.run("""
        vars: {n: 0}
        steps:
          - set: {n: "{{ vars.n + 1 }}"}
            retry: {attempts: 5, delay: 0, until: "vars.n >= 3"}
        outputs: {n: "{{ vars.n }}"}
        """)
    assert run.outcome == "ok" and run.result.outputs == {"n": 3}
    assert len(run.of(StepRetried)) == 2


def test_until_that_never_holds_fails_the_step(runner: FakeRunner) -> None:
    run = runner.run("""
        steps:
          - log: x
            retry: {attempts: 2, delay: 0, until: "false"}
        """)
    assert run.outcome == "failed"
    assert run.result.failure is not None and "still false" in run.result.failure.message


def test_a_retrying_block_runs_again_from_its_first_step(
    runner: FakeRunner, scripted_log: Scripts
) -> None:
    scripted_log["second"] = [TransientError("busy")]
    run = runner.run("""
        steps:
          - name: Fill and send
            block:
              - log: first
              - log: second
            retry: {attempts: 3, delay: 2}
        """)
    assert run.outcome == "ok"
    assert calls(scripted_log) == ["first", "second", "first", "second"]
    assert [e.step for e in run.of(StepRetried)] == ["Fill and send"]
    assert run.delays == [2.0]


def test_steps_in_a_retrying_block_do_not_retry_on_their_own(
    runner: FakeRunner, scripted_log: Scripts
) -> None:
    scripted_log["second"] = [TransientError("busy"), TransientError("busy")]
    run = runner.run("""
        steps:
          - block:
              - log: first
              - log: second
            retry: {attempts: 2, delay: 0}
        """)
    assert run.outcome == "failed"
    assert calls(scripted_log) == ["first", "second", "first", "second"]


def test_rescue_handles_a_failure_and_sees_the_error(
    runner: FakeRunner, scripted_log: Scripts
) -> None:
    scripted_log["boom"] = [BusinessError("refused", code="NOPE")]
    run = runner.run("""
        steps:
          - block:
              - log: boom
              - log: skipped
            rescue:
              - set: {why: "{{ error.code }}: {{ error.message }}"}
            always:
              - log: cleanup
          - log: after
        outputs: {why: "{{ vars.why }}"}
        """)
    assert run.outcome == "ok"
    assert run.result.outputs == {"why": "NOPE: refused"}
    assert calls(scripted_log) == ["boom", "cleanup", "after"]


def test_always_runs_after_a_failure_that_is_not_rescued(
    runner: FakeRunner, scripted_log: Scripts
) -> None:
    scripted_log["boom"] = [BusinessError("refused", code="NOPE")]
    run = runner.run("""
        steps:
          - block:
              - log: boom
            always:
              - log: cleanup
          - log: after
        """)
    assert run.outcome == "failed"
    assert calls(scripted_log) == ["boom", "cleanup"]
    assert run.result.failure is not None and run.result.failure.code == "NOPE"


def test_a_failure_in_rescue_fails_the_block(runner: FakeRunner) -> None:
    run = runner.run("""
        steps:
          - block:
              - fail: {code: FIRST, message: first}
            rescue:
              - fail: {code: SECOND, message: "after {{ error.code }}"}
        """)
    assert run.result.failure is not None
    assert (run.result.failure.code, run.result.failure.message) == ("SECOND", "after FIRST")


def test_a_step_whose_when_is_false_is_skipped(runner: FakeRunner, scripted_log: Scripts) -> None:
    run = runner.run("""
        inputs:
          mode: {type: enum, choices: [update, link], default: link}
        steps:
          - log: update only
            when: "inputs.mode == 'update'"
          - log: always
        """)
    assert calls(scripted_log) == ["always"]
    assert run.steps("skipped") == ["#1 log"]


def test_a_guard_that_holds_ends_the_job_ok_without_submitting(
    runner: FakeRunner, scripted_log: Scripts
) -> None:
    run = runner.run("""
        inputs:
          done: {type: bool, default: true}
        steps:
          - log: prepare
          - log: submit
            submit: true
            guard: "inputs.done"
          - log: after
        """)
    assert run.outcome == "ok"
    assert run.result.stopped_at == "#2 log"
    assert run.of(SubmitIntent) == []
    assert calls(scripted_log) == ["prepare"]


def test_a_guard_in_a_used_playbook_ends_that_playbook_and_the_caller_goes_on(
    runner: FakeRunner, scripted_log: Scripts
) -> None:
    runner.write(
        """
        outputs:
          done: "{{ vars.sent is not defined }}"
        steps:
          - log: open the form
          - name: Send
            log: submit
            submit: true
            guard: "true"
          - set: {sent: true}
        """,
        "update.yaml",
    )
    run = runner.run("""
        steps:
          - use: update
            register: updated
          - log: "download, done={{ vars.updated.done }}"
        """)
    assert run.outcome == "ok", run.result.failure
    assert calls(scripted_log) == ["open the form", "download, done=True"]
    assert run.of(SubmitIntent) == [] and run.result.stopped_at is None


def test_a_guard_that_finds_a_change_an_earlier_run_of_the_job_attempted_means_changed(
    runner: FakeRunner, scripted_log: Scripts
) -> None:
    text = """
        steps:
          - log: submit
            submit: true
            guard: "true"
        """
    assert runner.run(text).outcome == "ok"
    assert runner.run(text, prior_intent=True).outcome == "changed"
    assert calls(scripted_log) == []


def test_a_submit_step_is_changed_and_announced_before_and_after(runner: FakeRunner) -> None:
    run = runner.run("""
        steps:
          - name: Send
            log: submit
            submit: true
            guard: "false"
        """)
    assert run.outcome == "changed"
    assert [e.step for e in run.of(SubmitIntent)] == ["Send"]
    assert [e.step for e in run.of(SubmitDone)] == ["Send"]
    assert run.result.submitted == ("Send",)


def test_the_guard_is_probed_again_before_a_retry_of_a_submit(
    runner: FakeRunner, scripted_log: Scripts
) -> None:
    # the first attempt reached the portal, then timed out: the retry must not resubmit
    def submitted_then_timed_out(ctx: Any) -> None:
        ctx.set_var("on_portal", True)
        raise TransientError("timed out waiting for the answer")

    scripted_log["submit"] = [submitted_then_timed_out]
    run = runner.run("""
        vars: {on_portal: false}
        steps:
          - log: submit
            submit: true
            guard: "vars.on_portal"
        """)
    assert calls(scripted_log) == ["submit"]
    assert run.outcome == "changed"  # this job's first attempt made the change
    assert len(run.of(SubmitIntent)) == 1 and run.of(SubmitDone) == []


def test_a_submit_step_without_a_guard_is_not_retried(
    runner: FakeRunner, scripted_log: Scripts
) -> None:
    scripted_log["submit"] = [TransientError("timed out")]
    run = runner.run("steps:\n  - log: submit\n    submit: true\n")
    assert run.outcome == "failed" and calls(scripted_log) == ["submit"]


def test_check_mode_stops_before_the_first_submit_with_a_screenshot(
    runner: FakeRunner, scripted_log: Scripts
) -> None:
    run = runner.run(
        """
        steps:
          - log: fill the form
          - log: submit
            submit: true
            guard: "false"
          - log: after
        """,
        check=True,
    )
    assert run.outcome == "would-change"
    assert calls(scripted_log) == ["fill the form"]
    assert run.result.stopped_at == "#2 log"
    shots = run.browser.contexts[0].pages[0].screenshots
    assert [p.name for p in shots] == ["check-mode.png"]


def test_check_mode_ends_ok_when_the_guard_says_it_is_done(runner: FakeRunner) -> None:
    run = runner.run(
        """
        steps:
          - log: submit
            submit: true
            guard: "true"
        """,
        check=True,
    )
    assert run.outcome == "ok"


def test_a_guard_on_a_block_ends_the_job_before_the_block(
    runner: FakeRunner, scripted_log: Scripts
) -> None:
    run = runner.run("""
        steps:
          - block:
              - log: inside
            guard: "true"
        """)
    assert run.outcome == "ok" and calls(scripted_log) == []


def test_use_runs_another_playbook_with_inherited_inputs_and_returns_outputs(
    runner: FakeRunner,
) -> None:
    runner.write(
        """
        inputs:
          iec: {type: iec}
          greeting: {default: hello}
        steps:
          - set: {who: "{{ inputs.greeting }} {{ inputs.iec }}"}
        outputs:
          who: "{{ vars.who }}"
        """,
        "greet.yaml",
    )
    run = runner.run(
        """
        inputs:
          iec: {type: iec}
        steps:
          - use: greet
            register: greeted
        outputs:
          said: "{{ vars.greeted.who }}"
        """,
        {"iec": "0123456789"},
    )
    assert run.outcome == "ok"
    assert run.result.outputs == {"said": "hello 0123456789"}
    assert "greet/#1 set" in run.steps("ok")


def test_a_job_can_start_from_a_named_step(runner: FakeRunner, scripted_log: Scripts) -> None:
    runner.write("steps:\n  - log: logging in\n", "login.yaml")
    run = runner.run(
        """
        steps:
          - use: login
          - log: one
          - set: {x: 1}
          - name: Two
            block:
              - log: two-a
              - name: Two b
                log: two-b
          - log: three
        """,
        from_step="Two/Two b",
    )
    assert calls(scripted_log) == ["logging in", "two-b", "three"]
    assert run.outcome == "ok"


def test_invalid_inputs_fail_the_job_without_opening_a_browser(runner: FakeRunner) -> None:
    run = runner.run("inputs:\n  pan: {type: pan}\nsteps:\n  - log: x\n", {"pan": "nope"})
    assert run.outcome == "failed"
    assert run.result.failure is not None and run.result.failure.code == "INVALID_INPUT"
    assert run.browser.contexts == []
    assert isinstance(run.events[-1], RunFinished)


def test_a_fail_step_ends_the_job_with_its_code_and_a_failure_screenshot(
    runner: FakeRunner,
) -> None:
    run = runner.run("steps:\n  - fail: {code: IEC_CANCELLED, message: The IEC is cancelled}\n")
    failure = run.result.failure
    assert failure is not None and failure.code == "IEC_CANCELLED"
    assert failure.screenshot is not None and failure.screenshot.endswith("failure.png")
    finished = run.of(RunFinished)[0]
    assert (finished.error_code, finished.error_kind) == ("IEC_CANCELLED", "business")


def test_a_secret_never_appears_in_events_or_the_step_log(runner: FakeRunner) -> None:
    from rpa.challenges.testing import ScriptedSigner

    async def refuse(page: Any, request: Any) -> None:
        raise BusinessError(f"the token refused PIN {request.params['pin']}", code="DSC_WRONG_PIN")

    run = runner.run(
        """
        steps:
          - sign: {method: dsc, params: {pin: "{{ secrets.password }}"}}
        """,
        secrets={"password": "Hunter2-secret"},
        providers=Providers().with_signer("dsc", ScriptedSigner(action=refuse)),
    )
    assert run.result.failure is not None and run.result.failure.code == "DSC_WRONG_PIN"
    text = "\n".join(repr(e) for e in run.events)
    assert "Hunter2-secret" not in text and "********" in text
    log = (run.result.artifacts_dir / "steps.log").read_text()
    assert "Hunter2-secret" not in log and "RunFinished" in log


def test_an_otp_with_no_provider_ends_the_job_needing_input(runner: FakeRunner) -> None:
    run = runner.run("steps:\n  - otp: {into: {label: OTP}}\n", providers=Providers())
    assert run.outcome == "needs-input"
    assert run.result.failure is not None and run.result.failure.code == "NO_OTP_PROVIDER"


def test_the_browser_context_is_closed_after_the_job(runner: FakeRunner) -> None:
    run = runner.run("steps:\n  - log: x\n")
    assert run.browser.contexts[0].closed


def test_every_step_kind_has_a_handler_or_is_run_by_the_engine() -> None:
    from rpa.playbook.kinds import ENGINE_KINDS, KINDS
    from rpa.steps import HANDLERS

    assert set(KINDS) == set(HANDLERS) | ENGINE_KINDS
    assert not set(HANDLERS) & ENGINE_KINDS


def test_a_cancelled_job_is_recorded_interrupted(
    runner: FakeRunner, scripted_log: Scripts, run_async: Any
) -> None:
    import asyncio

    from rpa.steps.registry import HANDLERS

    forever = HANDLERS["log"]

    async def hang(ctx: Any, args: Any) -> None:
        await asyncio.Event().wait()

    HANDLERS["log"] = hang
    events: list[Any] = []
    try:
        playbook = runner.write("steps:\n  - log: waiting\n")

        async def go() -> str:
            from rpa.config import load_settings
            from rpa.engine import Engine
            from rpa.events import EventBus
            from rpa.playbook.loader import Loader
            from tests.unit.engine.fakes import FakeBrowser

            engine = Engine(
                load_settings({"data_dir": str(runner.folder / "d")}, env_file=None),
                EventBus([events.append]),
            )
            task = asyncio.ensure_future(
                engine.run_job("j1", Loader().load(playbook), {}, browser_session=FakeBrowser())
            )
            await asyncio.sleep(0.05)
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                return "cancelled"
            return "finished"

        assert run_async(go()) == "cancelled"
    finally:
        HANDLERS["log"] = forever
    finished = [e for e in events if isinstance(e, RunFinished)]
    assert [str(e.outcome) for e in finished] == ["interrupted"]


def test_detectors_declared_in_a_used_login_playbook_apply_to_the_job(runner: FakeRunner) -> None:
    from rpa.engine.job import effective_detect
    from rpa.playbook.loader import Loader

    runner.write(
        """
        detect:
          session_expired: {url: "login?expired"}
          busy: {text: "server is busy"}
          errors: [{when: {text: "PAN mismatch"}, code: PAN_MISMATCH}]
        steps:
          - log: logging in
        """,
        "login.yaml",
    )
    main = runner.write("""
        detect:
          busy: {text: "maintenance"}
          errors: [{when: {text: "IEC cancelled"}, code: IEC_CANCELLED}]
        steps:
          - use: login
        """)
    rules = effective_detect(Loader([runner.folder]).load(main))
    assert rules.session_expired is not None and rules.session_expired.url == "login?expired"
    assert rules.busy is not None and rules.busy.text == "maintenance"
    assert [e.code for e in rules.errors] == ["IEC_CANCELLED", "PAN_MISMATCH"]


def test_a_log_line_is_recorded_whole_beside_a_short_pin(runner: FakeRunner) -> None:
    from rpa.challenges.testing import ScriptedSigner

    run = runner.run(
        """
        steps:
          - sign: {method: dsc, params: {pin: "{{ secrets.pin }}"}}
          - log: "filed IEC/UPD/2026/000003"
        """,
        secrets={"pin": "2026"},
        providers=Providers().with_signer("dsc", ScriptedSigner()),
    )
    assert run.outcome == "ok", run.result.failure
    log = (run.result.artifacts_dir / "steps.log").read_text()
    assert "filed IEC/UPD/2026/000003" in log
