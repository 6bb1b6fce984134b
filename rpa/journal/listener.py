"""``JournalListener``: writes what the engine emits into the journal.

Add it to the bus as a *critical* listener (``bus.add(listener, critical=True)``): the
intent to submit must be on disk before the engine submits, and a job must stop when it
cannot be recorded.
"""

from __future__ import annotations

from rpa.events import (
    ArtifactSaved,
    ChallengeWaiting,
    Event,
    RunFinished,
    RunStarted,
    StepFinished,
    StepRetried,
    StepStarted,
    SubmitDone,
    SubmitIntent,
)
from rpa.journal.store import Journal
from rpa.outcomes import Outcome


class JournalListener:
    def __init__(self, journal: Journal) -> None:
        self.journal = journal

    def __call__(self, event: Event) -> None:
        j = self.journal
        at = event.at.isoformat(timespec="milliseconds")
        match event:
            case RunStarted():
                j.job_started(event.job_id)
                j.add_timeline(event.job_id, "run-started", at=at, detail=event.playbook)
            case StepStarted():
                j.step_started(event.job_id, event.step, kind=event.kind, at=at)
            case StepRetried():
                j.add_timeline(
                    event.job_id,
                    "step-retried",
                    at=at,
                    step=event.step,
                    status=event.error_kind,
                    duration_s=event.delay_s,
                    detail=f"attempt {event.attempt}: {event.error}",
                )
            case StepFinished():
                j.add_timeline(
                    event.job_id,
                    "step-finished",
                    at=at,
                    step=event.step,
                    kind=event.kind,
                    status=str(event.status),
                    duration_s=event.duration_s,
                    detail=event.error,
                )
            case ChallengeWaiting():
                j.add_challenge(event.job_id, event.challenge, event.prompt, event.artifact)
                j.add_timeline(
                    event.job_id,
                    "challenge-waiting",
                    at=at,
                    kind=event.challenge,
                    detail=event.prompt,
                )
            case SubmitIntent():
                j.submit_intent(event.job_id, event.step)
                j.add_timeline(event.job_id, "submit-intent", at=at, step=event.step)
            case SubmitDone():
                j.submit_done(event.job_id, event.step)
                j.add_timeline(event.job_id, "submit-done", at=at, step=event.step)
            case ArtifactSaved():
                j.add_artifact(event.job_id, event.kind, event.path)
            case RunFinished():
                # also the batch's own endings (interrupted outside the engine, a crashed
                # runner) and the agent's refusals (CLIENT_BUSY, UNCONFIRMED_SUBMISSION),
                # which come without a RunStarted
                unanswered = event.outcome in (Outcome.NEEDS_INPUT, Outcome.INTERRUPTED)
                j.close_challenges(event.job_id, "expired" if unanswered else "answered")
                j.job_finished(
                    event.job_id,
                    event.outcome,
                    duration_s=event.duration_s,
                    result=event.result,
                    error=event.error,
                    error_kind=event.error_kind,
                    error_code=event.error_code,
                    error_step=event.error_step,
                )
                if event.outcome in (Outcome.OK, Outcome.CHANGED):
                    job = j.job(event.job_id)
                    if job.client:  # the portal's state is now known: settle old intents
                        j.settle_submissions(job.client, job.playbook)
                j.add_timeline(
                    event.job_id,
                    "run-finished",
                    at=at,
                    status=str(event.outcome),
                    duration_s=event.duration_s,
                    detail=event.error,
                )
            case _:
                pass
