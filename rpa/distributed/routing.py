"""Where a job runs and what its workflow is called.

- A job that signs with a DSC runs on the PC holding the client's token: task queue
  ``rpa-token-<token name>`` (the client file's ``dsc_token``), polled by the worker whose
  emBridge lists that token.
- Aadhaar eSign jobs and read-only ones (a playbook with no ``submit`` step, such as
  ``iec_status``) go to ``rpa-shared``, which every worker polls; workflows run there too.
- Each worker also polls its own queue, ``rpa-worker-<host>-<data folder hash>``, where the
  office fetches the traces a job left on it.
- A workflow is ``<playbook>:<IEC>:<FY>`` (FY by its starting year: ``renew:0312345678:2026``);
  check-mode runs add ``:check`` and read-only playbooks ``:<office job id>``, so neither
  stands in the way of the year's real run.
"""

from __future__ import annotations

from typing import Any

SHARED_QUEUE = "rpa-shared"
TOKEN_QUEUE_PREFIX = "rpa-token-"
WORKER_QUEUE_PREFIX = "rpa-worker-"


def worker_queue(worker_id: str) -> str:
    """A worker's own queue (its files: traces kept on it), ``rpa-worker-<host>-<folder>``."""
    return f"{WORKER_QUEUE_PREFIX}{worker_id}"


def token_queue(token: str) -> str:
    return f"{TOKEN_QUEUE_PREFIX}{token.strip()}"


def task_queue_for(record: Any, *, submits: bool) -> str:
    """The queue of a job for ``record`` (a ``ClientRecord``): its token's when it signs
    with a DSC in a playbook that submits, else the shared one."""
    token = getattr(record, "dsc_token", None)
    if submits and str(getattr(record, "sign_with", "")) == "dsc" and token:
        return token_queue(str(token))
    return SHARED_QUEUE


def workflow_id(
    playbook: str, iec: str, fy: int, *, check: bool, submits: bool, job_id: str
) -> str:
    base = f"{playbook}:{iec}:{fy}"
    if check:
        return f"{base}:check:{job_id}"
    if not submits:
        return f"{base}:{job_id}"
    return base


def submits(playbook: Any) -> bool:
    """Does ``playbook`` (a loaded ``Playbook``) have a ``submit: true`` step, its own or in
    a playbook it uses?"""

    def visit(step: Any) -> bool:
        if step.options.submit:
            return True
        if any(visit(child) for child in step.children()):
            return True
        return step.used is not None and any(visit(child) for child in step.used.steps)

    return any(visit(step) for step in playbook.steps)
