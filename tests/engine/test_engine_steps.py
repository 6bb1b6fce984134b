"""Every step kind, in real Chromium, against the local test pages."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from rpa.challenges.base import Providers, SignRequest
from rpa.challenges.testing import ScriptedChallenges, ScriptedSigner
from rpa.events import ArtifactSaved, ChallengeWaiting, StepRetried
from rpa.steps import conditions, locate
from rpa.steps.screen import Screen
from tests.engine.harness import Harness


def test_a_form_is_filled_with_every_kind_of_field_and_submitted(
    harness: Harness, tmp_path: Path
) -> None:
    document = tmp_path / "proof.pdf"
    document.write_bytes(b"%PDF-1.4 test")
    run = harness.run(
        tmp_path,
        """
        inputs:
          pan: {type: pan}
          proof: {type: path}
        steps:
          - goto: form.html?key=full
          - fill: {label: PAN, value: "{{ inputs.pan }}"}
          - fill: {placeholder: As per PAN, value: Acme Exports}
          - select: {label: State, option: Maharashtra}
          - check: {label: I agree}
          - upload: {label: Address proof, files: "{{ inputs.proof }}"}
          - fill: {test_id: remarks, value: "annual update", sequential: true}
          - click: Validate
          - assert: {text: "Validated ABCPD1234E", code: NOT_VALIDATED}
          - press: {role: textbox, name: Press here, key: Enter}
          - wait_for: {text: Enter pressed}
          - press: Tab
          - wait_for: {hidden: {css: "#no-such-thing"}}
          - name: Submit the application
            click: {role: button, name: Submit application}
            submit: true
          - wait_for: {url: "/submit"}
          - extract: {css: "#ack", regex: "(ACK-[0-9-]+)", into: ack}
          - set: {summary: "{{ vars.ack }} for {{ inputs.pan }}"}
          - log: "{{ vars.summary }}"
          - screenshot: acknowledgement
        outputs:
          ack: "{{ vars.ack }}"
          summary: "{{ vars.summary }}"
        """,
        {"pan": "ABCPD1234E", "proof": str(document)},
    )
    assert run.outcome == "changed", run.result.failure
    assert run.result.outputs == {"ack": "ACK-2024-0001", "summary": "ACK-2024-0001 for ABCPD1234E"}
    sent = harness.site.state.submissions[0]
    assert sent["pan"] == "ABCPD1234E" and sent["firm"] == "Acme Exports"
    assert sent["state"] == "MH" and sent["agree"] == "yes" and sent["doc"] == "proof.pdf"
    assert sent["remarks"] == "annual update"
    shots = [Path(e.path).name for e in run.of(ArtifactSaved) if e.kind == "screenshot"]
    assert shots == ["acknowledgement.png"]
    log = (run.result.artifacts_dir / "steps.log").read_text()
    assert "log info: ACK-2024-0001 for ABCPD1234E" in log


def test_any_of_takes_the_first_alternative_that_is_on_the_page(
    harness: Harness, tmp_path: Path
) -> None:
    run = harness.run(
        tmp_path,
        """
        steps:
          - goto: form.html
          - fill:
              any_of:
                - {label: Permanent Account Number}
                - {css: "#pan"}
                - {label: Firm name}
              value: AAAPA1234A
          - extract: {css: "#pan", attribute: value, into: pan}
          - extract: {css: "#firm", attribute: value, into: firm}
        outputs: {pan: "{{ vars.pan }}", firm: "{{ vars.firm }}"}
        """,
    )
    assert run.result.outputs == {"pan": "AAAPA1234A", "firm": ""}


def test_conditions_on_the_page_steer_when(harness: Harness, tmp_path: Path) -> None:
    run = harness.run(
        tmp_path,
        """
        steps:
          - goto: form.html
          - set: {seen: []}
          - set: {seen: "{{ vars.seen + ['visible'] }}"}
            when: {visible: {label: PAN}}
          - set: {seen: "{{ vars.seen + ['hidden'] }}"}
            when: {hidden: {css: "#nothing-here"}}
          - set: {seen: "{{ vars.seen + ['url'] }}"}
            when: {url: "*/form.html"}
          - set: {seen: "{{ vars.seen + ['not'] }}"}
            when: {not: {text: "Application submitted"}}
          - set: {seen: "{{ vars.seen + ['all'] }}"}
            when: {all: [{text: Update IEC}, "1 == 1"]}
          - set: {seen: "{{ vars.seen + ['never'] }}"}
            when: {any: [{text: "No such words"}, "false"]}
        outputs: {seen: "{{ vars.seen }}"}
        """,
    )
    assert run.result.outputs == {"seen": ["visible", "hidden", "url", "not", "all"]}


def test_steps_wait_for_the_progress_overlay_to_go(harness: Harness, tmp_path: Path) -> None:
    run = harness.run(
        tmp_path,
        """
        detect:
          overlay: {css: .progress-overlay}
        steps:
          - goto: overlay.html
          - click: Load details
          - set: {seen: true}
            when: {text: Details loaded}
          - extract: {css: "#result", into: result}
          - wait_for: {overlay_gone: true}
        outputs: {result: "{{ vars.result }}", seen: "{{ vars.seen | default(false) }}"}
        """,
    )
    assert run.result.outputs == {"result": "Details loaded", "seen": True}


def test_a_click_waits_for_the_progress_overlay_over_it_to_go(
    harness: Harness, tmp_path: Path
) -> None:
    run = harness.run(
        tmp_path,
        """
        detect:
          overlay: {css: .progress-overlay}
        steps:
          - goto: overlay.html
          - click: Load details
          - click: Next
          - extract: {css: "#after", into: after}
        outputs: {after: "{{ vars.after }}"}
        """,
    )
    assert run.result.outputs == {"after": "Next after: Details loaded"}


def test_a_click_under_an_overlay_that_stays_up_fails_as_transient(
    harness: Harness, tmp_path: Path
) -> None:
    run = harness.run(
        tmp_path,
        """
        detect:
          overlay: {css: .progress-overlay}
        steps:
          - goto: overlay.html
          - click: Load forever
          - click: Next
            timeout_ms: 1000
            retry: {attempts: 2, delay: 0.1}
        """,
    )
    assert run.outcome == "failed"
    failure = run.result.failure
    assert failure is not None and failure.kind == "transient"
    assert "overlay" in failure.message
    assert len(run.of(StepRetried)) == 1


def test_a_wait_for_ends_once_the_overlay_has_gone_too(harness: Harness, tmp_path: Path) -> None:
    run = harness.run(
        tmp_path,
        """
        detect:
          overlay: {css: .progress-overlay}
        steps:
          - goto: overlay.html
          - click: Load details
          - wait_for: {visible: {css: "#result"}}
          - extract: {css: "#overlay", attribute: style, into: overlay}
        outputs: {overlay: "{{ vars.overlay }}"}
        """,
    )
    assert run.result.outputs == {"overlay": "display: none;"}


def test_a_wait_for_under_an_overlay_that_stays_up_fails_as_transient(
    harness: Harness, tmp_path: Path
) -> None:
    # the buttons are visible all along: only the overlay keeps the wait from ending
    run = harness.run(
        tmp_path,
        """
        detect:
          overlay: {css: .progress-overlay}
        steps:
          - goto: overlay.html
          - click: Load forever
          - wait_for: {visible: {css: button}}
            timeout_ms: 800
        """,
    )
    failure = run.result.failure
    assert failure is not None and failure.kind == "transient"
    assert "overlay" in failure.message


def test_a_wait_for_css_agrees_with_playwright_in_shadow_roots_and_on_its_own_css(
    harness: Harness, tmp_path: Path
) -> None:
    # After a click (nothing has looked at the page since), a wait of plain CSS and the
    # overlay is one wait for the root element to match a selector saying both: it must
    # reach into open shadow roots and take Playwright's own CSS as Playwright does.
    def waits(condition: str) -> str:
        return f"""
        detect:
          overlay: {{css: "#no-overlay-here"}}
        steps:
          - goto: visibility.html
          - click: {{css: "#shown"}}
          - wait_for: {condition}
            timeout_ms: 800
        """

    for name in ("inside", "hidden", "has-text"):
        (tmp_path / name).mkdir()
    inside = harness.run(tmp_path / "inside", waits('{visible: {css: ".inside"}}'))
    assert inside.result.ok, inside.result.failure
    not_hidden = harness.run(tmp_path / "hidden", waits('{hidden: {css: ".inside"}}'))
    assert not_hidden.outcome == "failed"
    has_text = harness.run(
        tmp_path / "has-text", waits("{visible: {css: \"div:has-text('Shown')\"}}")
    )
    assert has_text.result.ok, has_text.result.failure


def test_a_failed_assert_fails_with_its_business_code(harness: Harness, tmp_path: Path) -> None:
    run = harness.run(
        tmp_path,
        """
        steps:
          - goto: form.html
          - assert: {text: "Application submitted", code: NOT_SUBMITTED,
                     message: "the portal did not confirm"}
            timeout_ms: 300
        """,
    )
    failure = run.result.failure
    assert failure is not None
    assert (failure.kind, failure.code, failure.message) == (
        "business",
        "NOT_SUBMITTED",
        "the portal did not confirm",
    )


def test_read_takes_several_values_off_the_page_at_once(harness: Harness, tmp_path: Path) -> None:
    # the first visible match, as extract reads it; a field not shown yet is waited for
    run = harness.run(
        tmp_path,
        """
        steps:
          - goto: read.html
          - read:
              ack: {css: "#ack", regex: "(IEC/[A-Z]+/\\\\d{4}/\\\\d+)"}
              filed: {css: "#filed", attribute: data-day}
              status: {css: ".status"}
              bank: {css: "#late"}
        outputs: {ack: "{{ vars.ack }}", filed: "{{ vars.filed }}", status: "{{ vars.status }}",
                  bank: "{{ vars.bank }}"}
        """,
    )
    assert run.result.ok, run.result.failure
    assert run.result.outputs == {
        "ack": "IEC/UPD/2026/123",
        "filed": "2026-12-01",
        "status": "In Progress",
        "bank": "Bank verified",
    }


def test_read_agrees_with_extract_on_a_page_with_a_shadow_root(
    harness: Harness, tmp_path: Path
) -> None:
    # Playwright's CSS reaches into shadow roots; one look with querySelectorAll does not
    run = harness.run(
        tmp_path,
        """
        steps:
          - goto: read.html
          - read:
              note: {css: ".note"}
              inside: {css: "host-note p"}
          - extract: {css: ".note", into: note_by_extract}
        outputs:
          note: "{{ vars.note }}"
          inside: "{{ vars.inside }}"
          extracted: "{{ vars.note_by_extract }}"
        """,
    )
    assert run.result.ok, run.result.failure
    outputs = run.result.outputs
    assert outputs["note"] == outputs["extracted"] and outputs["inside"] == "In the shadow"


def test_read_of_a_field_the_page_lacks_means_the_portal_changed(
    harness: Harness, tmp_path: Path
) -> None:
    run = harness.run(
        tmp_path,
        """
        steps:
          - goto: read.html
          - read:
              ack: {css: "#ack"}
              missing: {css: "#nowhere"}
            timeout_ms: 500
        """,
    )
    failure = run.result.failure
    assert failure is not None and failure.kind == "portal-changed"
    assert "#nowhere" in failure.message


def test_a_download_is_saved_hashed_and_checked(harness: Harness, tmp_path: Path) -> None:
    run = harness.run(
        tmp_path,
        """
        steps:
          - goto: download.html
          - download: {text: Download e-IEC, save_as: "certs/{{ job.id }}.pdf",
                       verify: {pdf_contains: ["IEC Number: 0123456789", "acme   exports"]}}
            register: cert
        outputs:
          sha256: "{{ vars.cert.sha256 }}"
          path: "{{ vars.cert.path }}"
        """,
        job_id="dl1",
    )
    assert run.outcome == "ok", run.result.failure
    path = Path(run.result.outputs["path"])
    assert path == run.result.artifacts_dir / "certs" / "dl1.pdf"
    assert run.result.outputs["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert [e.kind for e in run.of(ArtifactSaved)] == ["download"]


def test_a_download_without_the_expected_text_fails_and_is_not_filed(
    harness: Harness, tmp_path: Path
) -> None:
    filed = tmp_path / "certificates" / "cert.pdf"
    run = harness.run(
        tmp_path,
        f"""
        steps:
          - goto: download.html
          - download: {{text: Print e-IEC, save_as: "{filed}",
                       verify: {{pdf_contains: ["IEC Number: 9999999999"]}}}}
        """,
    )
    failure = run.result.failure
    assert failure is not None and failure.code == "DOWNLOAD_VERIFY_FAILED"
    assert not filed.exists()  # only a verified file is filed; the job keeps the other
    (kept,) = [e.path for e in run.of(ArtifactSaved) if e.kind == "download"]
    assert Path(kept).is_file() and Path(kept).is_relative_to(run.result.artifacts_dir)
    assert "9999999999" in failure.message


def test_an_otp_is_asked_for_and_entered(harness: Harness, tmp_path: Path) -> None:
    provider = ScriptedChallenges(otps=["482913"])
    run = harness.run(
        tmp_path,
        """
        steps:
          - goto: otp.html
          - otp: {into: {label: Enter OTP}, destination: "9876543210"}
          - click: Verify
          - wait_for: {text: OTP verified}
        """,
        providers=Providers(otp=provider),
        client={"iec": "0123456789"},
    )
    assert run.outcome == "ok", run.result.failure
    waiting = run.of(ChallengeWaiting)
    assert [w.challenge for w in waiting] == ["otp"]
    assert "******3210" in waiting[0].prompt and "9876543210" not in waiting[0].prompt
    assert provider.otp_requests[0].channel == "mobile"


def test_an_otp_nobody_answers_ends_the_job_needing_input(harness: Harness, tmp_path: Path) -> None:
    run = harness.run(
        tmp_path,
        """
        steps:
          - goto: otp.html
          - otp: {into: {label: Enter OTP}}
        """,
        providers=Providers(otp=ScriptedChallenges()),
        challenge_timeout_s=0.3,
    )
    assert run.outcome == "needs-input"
    assert run.result.failure is not None and run.result.failure.code == "OTP_TIMEOUT"


def test_a_captcha_image_is_handed_to_the_provider_and_the_answer_entered(
    harness: Harness, tmp_path: Path
) -> None:
    provider = ScriptedChallenges(captchas=["X7KQ2"])
    run = harness.run(
        tmp_path,
        """
        steps:
          - goto: captcha.html
          - captcha: {image: {css: "#captcha"}, into: {label: Type the characters}}
          - click: Check
          - wait_for: {text: Captcha accepted}
        """,
        providers=Providers(captcha=provider),
    )
    assert run.outcome == "ok", run.result.failure
    request = provider.captcha_requests[0]
    assert request.image.startswith(b"\x89PNG")
    assert request.image_path is not None and request.image_path.is_file()


def test_sign_delegates_to_the_registered_signer(harness: Harness, tmp_path: Path) -> None:
    async def sign_on_page(page: Any, request: SignRequest) -> None:
        await page.get_by_label("Token PIN").fill(request.params["pin"])
        await page.get_by_role("button", name="Sign").click()

    signer = ScriptedSigner({"signed": True, "serial": "42"}, sign_on_page)
    run = harness.run(
        tmp_path,
        """
        steps:
          - goto: sign.html
          - sign: {method: dsc, params: {pin: "{{ secrets.dsc_pin }}"}}
            register: signature
          - wait_for: {text: Signed}
        outputs: {serial: "{{ vars.signature.serial }}"}
        """,
        providers=Providers().with_signer("dsc", signer),
        secrets={"dsc_pin": "991122"},
    )
    assert run.outcome == "ok", run.result.failure
    assert run.result.outputs == {"serial": "42"}
    assert signer.requests[0].method == "dsc" and signer.requests[0].params == {"pin": "991122"}


def test_a_sign_method_with_no_signer_needs_input(harness: Harness, tmp_path: Path) -> None:
    run = harness.run(tmp_path, "steps:\n  - goto: sign.html\n  - sign: aadhaar\n")
    assert run.outcome == "needs-input"
    assert run.result.failure is not None and run.result.failure.code == "NO_SIGNER"


# Selector -> what Playwright's ``locator(css).filter(visible=True)`` says of the page.
VISIBILITY_CASES = {
    "#shown": True,
    "#gone": False,
    "#unseen": False,
    "#empty": False,
    "#contents": True,  # display: contents, visible by its child
    "#under-hidden": False,
    ".inside": True,  # inside an open shadow root: Playwright's CSS reaches in
    "#shown:has-text('Shown text')": True,  # Playwright's own CSS extension
    "#nothing-here": False,
}


def test_a_plain_css_condition_is_answered_as_playwright_would(
    harness: Harness, tmp_path: Path
) -> None:
    # Probes of plain CSS are answered by one look at the page, not a Playwright query each;
    # the look must agree with Playwright, and hand to it what it cannot see (shadow roots,
    # Playwright's own CSS).
    steps = "\n".join(
        f'          - set: {{seen: "{{{{ vars.seen + [{n}] }}}}"}}\n'
        f"            when: {{visible: {{css: {json.dumps(css)}}}}}"
        for n, css in enumerate(VISIBILITY_CASES)
    )
    run = harness.run(
        tmp_path,
        f"""
        detect:
          overlay: {{css: "#no-overlay-here"}}
        steps:
          - goto: visibility.html
          - set: {{seen: []}}
{steps}
        outputs: {{seen: "{{{{ vars.seen }}}}"}}
        """,
    )
    assert run.result.ok, run.result.failure
    seen = [list(VISIBILITY_CASES)[n] for n in run.result.outputs["seen"]]
    assert seen == [css for css, visible in VISIBILITY_CASES.items() if visible]


def _count_looks(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Every look at the page from now on (whether it took the page's text), and fail on
    any probe asked of Playwright instead."""
    looks: list[bool] = []
    take = Screen.take.__func__  # type: ignore[attr-defined]

    async def counted(cls: type[Screen], page: Any, selectors: Any, *, text: bool) -> Screen:
        looks.append(text)
        return await take(cls, page, selectors, text=text)

    async def not_asked(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a probe was asked of Playwright")

    monkeypatch.setattr(Screen, "take", classmethod(counted))
    monkeypatch.setattr(locate, "visible_now", not_asked)
    monkeypatch.setattr(conditions, "wait_until", not_asked)
    return looks


def test_the_probes_between_two_steps_share_one_look_at_the_page(
    harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    looks = _count_looks(monkeypatch)
    run = harness.run(
        tmp_path,
        """
        detect:
          overlay: {css: "#overlay"}
        steps:
          - goto: late.html
          - name: Probes
            when: {visible: {css: h1}}
            block:
              - name: Inner
                when: {not: {text: Arrived late}}
                block:
                  - wait_for: {all: [{visible: {css: h1}}, {hidden: {css: "#late"}}]}
                  - set: {waited: true}
                  - set: {probed: true}
                    when: {visible: {css: h1}}
        outputs: {probed: "{{ vars.probed | default(false) }}"}
        """,
    )
    assert run.result.ok, run.result.failure
    assert run.result.outputs == {"probed": True}
    # after the goto; it answers the whens, and the wait_for, which (like a set) does not
    # touch the page, so the last when may use it too
    assert looks == [True]


def test_a_look_at_the_page_is_not_used_after_a_step_has_run(
    harness: Harness, tmp_path: Path
) -> None:
    run = harness.run(
        tmp_path,
        """
        detect:
          overlay: {css: "#overlay"}
        steps:
          - goto: late.html
          - set: {before: true}
            when: {text: Clicked}
          - click: Say
          - set: {after: true}
            when: {text: Clicked}
        outputs:
          before: "{{ vars.before | default(false) }}"
          after: "{{ vars.after | default(false) }}"
        """,
    )
    assert run.result.outputs == {"before": False, "after": True}


def test_a_look_at_the_page_is_not_used_after_the_delay_before_a_retry(
    harness: Harness, tmp_path: Path
) -> None:
    # the page shows #late 300 ms after it loads; the retry's delay lets 500 ms pass
    run = harness.run(
        tmp_path,
        """
        detect:
          overlay: {css: "#overlay"}
        steps:
          - goto: late.html
          - name: Wait by retrying
            retry: {attempts: 2, delay: 1, until: {visible: {css: "#late"}}}
            block:
              - set: {never: true}
                when: "false"
        """,
        pause_s=0.5,
    )
    assert run.result.ok, run.result.failure
    assert run.delays == [1]


def test_a_page_a_wait_for_ends_on_after_a_navigation_is_examined_by_the_detectors(
    harness: Harness, tmp_path: Path
) -> None:
    # the click navigates 150 ms later, to a busy page; the wait's last look at the page
    # (which the detectors may reuse) is of that page
    run = harness.run(
        tmp_path,
        """
        detect:
          overlay: {css: "#overlay"}
          busy: {text: "Server is busy"}
        steps:
          - goto: late.html
          - click: Go later
          - wait_for: {any: [{url: "*busy*"}, {visible: {css: "#never"}}]}
            retry: {attempts: 1}
        """,
    )
    failure = run.result.failure
    assert failure is not None and failure.kind == "transient"
    assert failure.message == "the portal says it is busy"
