"""The step log's lines (``rpa.artifacts.describe_event``)."""

from __future__ import annotations

from datetime import UTC, datetime

from rpa.artifacts import describe_event
from rpa.events import RunStarted, StepFinished
from rpa.outcomes import StepStatus


def test_a_step_log_line_has_the_time_the_event_and_its_set_fields() -> None:
    at = datetime(2026, 12, 1, 9, 30, 5, 123456, tzinfo=UTC)
    event = StepFinished(
        job_id="j1", at=at, step="login/#2 fill", kind="fill", status=StepStatus.OK, duration_s=0
    )
    assert describe_event(event) == (
        '09:30:05.123 StepFinished step="login/#2 fill" kind="fill" status="ok" duration_s=0'
    )


def test_a_step_log_line_leaves_out_empty_fields() -> None:
    at = datetime(2026, 12, 1, 9, 30, 5, tzinfo=UTC)
    event = RunStarted(job_id="j1", at=at, playbook="renew", client=None, check=False)
    assert describe_event(event) == '09:30:05.000 RunStarted playbook="renew" check=false'
