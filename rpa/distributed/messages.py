"""What travels through Temporal: a job's input and its result, as plain dataclasses.

The workflow sandbox passes this module through (it imports nothing of Temporal's and
nothing that touches the outside world). Both are converted to JSON by Temporal's default
converter; bytes (a certificate, a screenshot) travel base64-encoded in ``str`` fields so a
payload is plain JSON, readable in Temporal's UI and CLI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: The largest certificate carried back to the office (bytes); a bigger file stays on the
#: worker and the result says so.
MAX_CERTIFICATE_BYTES = 1_000_000
#: The largest failure screenshot carried back (bytes).
MAX_SCREENSHOT_BYTES = 1_000_000


@dataclass
class JobInput:
    """One client × one playbook, as the office planned it."""

    office_job_id: str  # the job in the office journal the result is filed under
    batch_id: str | None
    playbook: str  # a name the worker's loader knows (renew, update_iec, ...)
    client: str  # the IEC
    record: dict[str, Any]  # the client record as its file gave it (secret references only)
    check: bool
    task_queue: str  # where the activity runs (routing.task_queue_for)
    heartbeat_timeout_s: float = 60.0
    job_timeout_s: float = 3600.0  # one attempt's limit (start to close)
    attempts: int = 3  # runs in all, for transient failures


@dataclass
class FileBlob:
    """A file carried back to the office: its name and its bytes, base64."""

    name: str
    data_b64: str
    sha256: str


@dataclass
class JobOutput:
    """How a remote job ended: what the office journal files for it."""

    outcome: str  # an rpa.events.Outcome value
    duration_s: float
    worker: str  # the worker's name (host:pid) and its own job id, for its trace
    worker_job_id: str
    attempt: int  # Temporal's attempt number of the activity that ended it
    result: dict[str, Any] = field(default_factory=dict)  # ack, application status, ...
    error: str | None = None
    error_kind: str | None = None
    error_code: str | None = None
    error_step: str | None = None
    certificate: FileBlob | None = None
    screenshot: FileBlob | None = None
    artifacts: list[str] = field(default_factory=list)  # paths on the worker (traces, ...)
    note: str | None = None  # e.g. "certificate of 1.4 MB kept on the worker"
    worker_queue: str = ""  # the worker's own queue, where its files are fetched from


#: the largest piece of a file one fetch brings (Temporal payloads stay under 2 MB)
CHUNK_BYTES = 1_000_000


@dataclass
class ChunkRequest:
    """A piece of a file on a worker: ``path`` (under its data folder) from ``offset``."""

    queue: str  # the worker's own queue
    path: str
    offset: int = 0


@dataclass
class FileChunk:
    data_b64: str
    total: int  # the file's size in bytes
