"""A remote job's result, filed into the office journal like a local job's.

The office's bus gets the events a local run would have given it: ``RunStarted`` when a
worker takes the job, ``StepStarted`` as its heartbeats name steps, the certificate and the
failure screenshot as ``ArtifactSaved``, and ``RunFinished`` with the outcome, codes and
result. The journal listener files them (so ``rpa report``, ``rpa jobs`` and the console
show remote jobs like local ones) and the live display shows them. The certificate lands
under the office's ``certificates/<IEC>/`` (checked against its SHA-256), the screenshot
under the office's ``artifacts/<job>/``; the result names the worker and its own job id,
where the trace stays.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

from loguru import logger

from rpa.distributed.messages import FileBlob, JobOutput
from rpa.events import ArtifactSaved, EventBus, RunFinished, RunStarted, StepStarted
from rpa.outcomes import Outcome


def output_from(details: Any) -> JobOutput | None:
    """A ``JobOutput`` from a failure's details (a dict, as Temporal gives it back)."""
    if isinstance(details, JobOutput):
        return details
    if not isinstance(details, dict) or "outcome" not in details:
        return None
    known = {k: v for k, v in details.items() if k in JobOutput.__dataclass_fields__}
    for name in ("certificate", "screenshot"):
        if isinstance(known.get(name), dict):
            known[name] = FileBlob(**known[name])
    return JobOutput(**known)


def _save(blob: FileBlob, folder: Path) -> Path | None:
    data = base64.b64decode(blob.data_b64)
    if hashlib.sha256(data).hexdigest() != blob.sha256:
        logger.warning("{} arrived damaged (SHA-256 differs); not filed", blob.name)
        return None
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / Path(blob.name).name  # a name, never a path from elsewhere
    path.write_bytes(data)
    return path


class OfficeFiling:
    """Files remote jobs of one office: its bus (journal listener first) and its folders."""

    def __init__(self, bus: EventBus, *, certificates_dir: Path, artifacts_dir: Path) -> None:
        self.bus = bus
        self.certificates_dir = certificates_dir
        self.artifacts_dir = artifacts_dir

    def started(self, job_id: str, playbook: str, client: str, check: bool) -> None:
        self.bus.emit(RunStarted(job_id=job_id, playbook=playbook, client=client, check=check))

    def step(self, job_id: str, step: str) -> None:
        self.bus.emit(StepStarted(job_id=job_id, step=step, kind="remote"))

    def finished(self, job_id: str, client: str, output: JobOutput) -> None:
        result = dict(output.result)
        if output.certificate is not None:
            saved = _save(output.certificate, self.certificates_dir / client)
            if saved is not None:
                result["certificate_path"] = str(saved)
                result["certificate_sha256"] = output.certificate.sha256
                self.bus.emit(ArtifactSaved(job_id=job_id, kind="download", path=str(saved)))
        if output.screenshot is not None:
            saved = _save(output.screenshot, self.artifacts_dir / job_id)
            if saved is not None:
                self.bus.emit(ArtifactSaved(job_id=job_id, kind="screenshot", path=str(saved)))
        result["worker"] = output.worker
        result["worker_job_id"] = output.worker_job_id
        if output.worker_queue:
            result["worker_queue"] = output.worker_queue
        if output.artifacts:
            result["worker_artifacts"] = list(output.artifacts)
        if output.note:
            result["note"] = output.note
        self.bus.emit(
            RunFinished(
                job_id=job_id,
                outcome=Outcome(output.outcome),
                duration_s=output.duration_s,
                result=result,
                error=output.error,
                error_kind=output.error_kind,
                error_code=output.error_code,
                error_step=output.error_step,
            )
        )

    def lost(self, job_id: str, message: str, *, outcome: Outcome = Outcome.FAILED) -> None:
        """A workflow that ended without a job's output (terminated, timed out, a bug)."""
        self.bus.emit(
            RunFinished(
                job_id=job_id,
                outcome=outcome,
                duration_s=0.0,
                error=message,
                error_kind="internal" if outcome is Outcome.FAILED else None,
            )
        )
