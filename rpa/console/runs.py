"""Runs the console starts: a batch, a replay, a renewal of the due clients.

The console never runs the engine itself: it starts the CLI (``python -m rpa ...``) in a
process of its own, so a run started from a browser goes through exactly the path a run
started in a shell takes (``Agent.run_client``: the client's lease, the unconfirmed-
submission guard, the journal), and a console restart does not stop it. The child gets the
console's settings as ``RPA_*`` variables (and the secrets' environment, which the
console's own process has); its challenges go to the console's inbox (``RPA_CHALLENGES=
console``) unless the settings route them somewhere else than a terminal prompt. Its output
goes to ``<data>/console/runs/<name>.log``; nothing is read back from it: the journal is
where the console sees the run.

- ``start_batch``: the batch is planned here (``rpa.cli.batch.plan_new_batch``, the rows not
  run recorded), then ``rpa batch --resume ID`` runs it: the console knows its id at once.
- ``start_replay``: ``rpa replay JOB --clients FILE [--from-step S] --check|--no-check``;
  ``replay_file`` writes the corrected client (secret references only) for it.
- ``start_renewal``: ``rpa renew run --clients FILE`` (its run lock, its plan).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from loguru import logger
from pydantic import SecretStr

from rpa.clients.records import SECRET_FIELDS, ClientRecord
from rpa.clients.secrets import SecretRef
from rpa.config import Settings
from rpa.datadir import ENV_PREFIX
from rpa.journal import Journal
from rpa.journal.store import new_id

PROMPTING = "prompt"


@dataclass(frozen=True)
class Started:
    """A run the console started: its process id and where its output goes."""

    pid: int
    log: Path
    args: tuple[str, ...]


def runs_dir(settings: Settings) -> Path:
    path = settings.data_dir / "console" / "runs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def child_env(settings: Settings, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a run: this process's, with ``settings`` as ``RPA_*`` variables
    (so a console built from given settings starts runs with the same ones)."""
    env = dict(os.environ)
    for name, value in settings.model_dump().items():
        key = ENV_PREFIX + name.upper()
        if value is None:
            env.pop(key, None)
            continue
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        env[key] = str(value).lower() if isinstance(value, bool) else str(value)
    prompting = settings.otp_provider == PROMPTING or settings.captcha_provider == PROMPTING
    if settings.challenges is None and prompting:
        env[ENV_PREFIX + "CHALLENGES"] = "console"  # nobody sits at a run's terminal
    env.update(extra or {})
    return env


Spawner = Callable[[Sequence[str], dict[str, str], Path], int]


def _spawn(args: Sequence[str], env: dict[str, str], log: Path) -> int:
    with log.open("ab") as out:
        process = subprocess.Popen(  # our own CLI, its arguments as a list
            [sys.executable, "-m", "rpa", *args],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # a Ctrl-C of the console does not stop the run
        )
    threading.Thread(target=process.wait, name=f"reap-{process.pid}", daemon=True).start()
    return process.pid


def start(
    settings: Settings,
    args: Sequence[str],
    *,
    name: str,
    extra_env: Mapping[str, str] | None = None,
    spawner: Spawner | None = None,
) -> Started:
    """Start ``rpa <args>`` in a process of its own (``spawner``: tests; ``_spawn``)."""
    log = runs_dir(settings) / f"{name}.log"
    pid = (spawner or _spawn)(list(args), child_env(settings, extra_env), log)
    logger.info("console: started rpa {} (pid {}, output {})", " ".join(args), pid, log)
    return Started(pid, log, tuple(args))


# --- a batch ------------------------------------------------------------------------------


def start_batch(
    settings: Settings,
    journal: Journal,
    clients: Path,
    playbook: str,
    *,
    concurrency: int,
    check: bool,
    sheet: str | None = None,
) -> tuple[str, Started]:
    """Plan a batch of every good row of ``clients`` (the bad ones recorded as not run)
    and start ``rpa batch --resume`` on it. Returns the batch's id."""
    from rpa.cli.batch import not_run_rows, plan_new_batch
    from rpa.clients.file import load_clients

    loaded = load_clients(clients, sheet=sheet)
    plan = plan_new_batch(
        journal,
        playbook,
        loaded.records,
        source=str(clients),
        check=check,
        only=None,
        not_run=not_run_rows(loaded, None),
    )
    args = ["batch", "--resume", plan.batch_id, "--concurrency", str(concurrency)]
    args += ["--output", "quiet"]
    if sheet:
        args += ["--sheet", sheet]
    return plan.batch_id, start(settings, args, name=plan.batch_id)


# --- a replay -----------------------------------------------------------------------------


def _absolute(ref: SecretRef, base: Path | None) -> str:
    """A reference as text, a relative ``file:`` made absolute (the replay's file lives
    elsewhere than the client file it came from)."""
    if ref.kind.value == "file":
        path = ref.path if ref.path.is_absolute() or base is None else base / ref.path
        return f"file:{path}"
    return str(ref)


def replay_text(
    record: ClientRecord, secrets: Mapping[str, str | None], *, base_dir: Path | None
) -> str:
    """``record`` (its fields already corrected) with ``secrets`` (field → reference text,
    None: none) as a one-client YAML client file. Only references are written: the caller
    refuses a value given in clear."""
    data: dict[str, Any] = record.model_dump(mode="json", exclude_none=True)
    for field in SECRET_FIELDS:
        data.pop(field, None)
        text = secrets.get(field)
        if text:
            data[field] = _absolute(SecretRef.parse(text), base_dir)
    return "# written by the console for a replay: secret references only\n" + yaml.safe_dump(
        {"clients": [data]}, allow_unicode=True, sort_keys=False
    )


def replays_dir(settings: Settings) -> Path:
    return settings.data_dir / "console" / "replays"


def replay_file(
    settings: Settings,
    record: ClientRecord,
    secrets: Mapping[str, str | None],
    *,
    base_dir: Path | None,
    name: str,
) -> Path:
    """``replay_text`` written as ``<data>/console/replays/<name>.yaml`` (0600) for
    ``rpa replay --clients``."""
    folder = replays_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(replay_text(record, secrets, base_dir=base_dir), encoding="utf-8")
    path.chmod(0o600)
    return path


def start_replay(
    settings: Settings,
    job_id: str,
    clients: Path,
    *,
    from_step: str | None,
    check: bool,
    documents_dir: Path | None = None,
) -> Started:
    """``rpa replay JOB --clients FILE``: the new job is linked to ``job_id``."""
    args = ["replay", job_id, "--clients", str(clients), "--check" if check else "--no-check"]
    if from_step:
        args += ["--from-step", from_step]
    extra: dict[str, str] = {}
    if documents_dir is not None and settings.documents_dir is None:
        # the client's documents stay where its client file has them
        extra[ENV_PREFIX + "DOCUMENTS_DIR"] = str(documents_dir)
    return start(settings, args, name=f"replay-{job_id}-{new_id('r')}", extra_env=extra)


def wait_for_replay(
    journal: Journal, job_id: str, client: str | None, known: set[str], timeout_s: float = 10.0
) -> str | None:
    """The id of the replay of ``job_id`` that appeared after ``known`` (None: not yet)."""
    deadline = time.monotonic() + timeout_s
    while True:
        for job in journal.jobs(client=client):
            if job.replay_of == job_id and job.id not in known:
                return job.id
        if time.monotonic() > deadline:
            return None
        time.sleep(0.2)


# --- the renewal of the due clients ---------------------------------------------------------


def start_renewal(settings: Settings, clients: Path) -> Started:
    """``rpa renew run --clients FILE``: the due (and overdue) clients, its lock and plan."""
    return start(
        settings,
        ["renew", "run", "--clients", str(clients), "--output", "quiet"],
        name=f"renew-{new_id('r')}",
    )


def wait_for_batch(
    journal: Journal, playbook: str, source: str, known: set[str], timeout_s: float = 10.0
) -> str | None:
    """The id of a batch of ``playbook`` over ``source`` that appeared after ``known``."""
    deadline = time.monotonic() + timeout_s
    while True:
        for batch in journal.batches(limit=20):
            if batch.id not in known and batch.playbook == playbook and batch.source == source:
                return batch.id
        if time.monotonic() > deadline:
            return None
        time.sleep(0.2)
