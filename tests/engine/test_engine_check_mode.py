"""Check mode and guards against a real page: nothing is submitted twice."""

from __future__ import annotations

from pathlib import Path

from rpa.events import ArtifactSaved, SubmitIntent
from tests.engine.harness import Harness

UPDATE = """
inputs:
  key: {}
steps:
  - goto: "form.html?key={{ inputs.key }}"
  - fill: {label: PAN, value: AAACB1234F}
  - name: Submit
    click: Submit application
    submit: true
    guard: {text: Already submitted for this year}
  - extract: {css: "#ack", into: ack}
outputs:
  ack: "{{ vars.ack }}"
"""

GUARDED = """
inputs:
  key: {}
steps:
  - goto: "status?key={{ inputs.key }}"
  - name: Update
    guard: {text: Already submitted for this year}
    submit: true
    block:
      - goto: "form.html?key={{ inputs.key }}"
      - fill: {label: PAN, value: AAACB1234F}
      - click: Submit application
      - wait_for: {text: Application submitted}
"""


def test_check_mode_fills_the_form_and_stops_before_submitting(
    harness: Harness, tmp_path: Path
) -> None:
    run = harness.run(tmp_path, UPDATE, {"key": "c1"}, check=True)
    assert run.outcome == "would-change", run.result.failure
    assert run.result.stopped_at == "Submit"
    assert harness.site.state.submissions == []
    assert run.of(SubmitIntent) == []
    shot = [e.path for e in run.of(ArtifactSaved) if e.kind == "screenshot"]
    assert [Path(p).name for p in shot] == ["check-mode.png"]
    assert Path(shot[0]).stat().st_size > 1000


def test_a_real_run_submits_once_and_a_rerun_finds_it_done(
    harness: Harness, tmp_path: Path
) -> None:
    first = harness.run(tmp_path, GUARDED, {"key": "c2"})
    assert first.outcome == "changed", first.result.failure
    again = harness.run(tmp_path, GUARDED, {"key": "c2"})
    assert again.outcome == "ok" and again.result.stopped_at == "Update"
    assert len(harness.site.state.submissions) == 1


def test_check_mode_says_ok_when_the_guard_finds_the_change_made(
    harness: Harness, tmp_path: Path
) -> None:
    harness.run(tmp_path, GUARDED, {"key": "c3"})
    run = harness.run(tmp_path, GUARDED, {"key": "c3"}, check=True)
    assert run.outcome == "ok"
    assert len(harness.site.state.submissions) == 1
