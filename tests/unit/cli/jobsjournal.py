"""A journal as a renew batch leaves it, and the CLI rendered at 80 columns (fixtures: see
conftest.py)."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import Result
from rich.console import Console
from typer.testing import CliRunner

from rpa.cli import app
from rpa.journal import Journal
from rpa.outcomes import Outcome

WIDTH = 80

# A step: (name, kind, status, seconds, children); a challenge or retry inside a step:
# ("?captcha", prompt) / ("↻", error). Shaped as renew runs (playbooks/renew.yaml).
Step = tuple

LOGIN: Step = ("Log in", "use", "ok", 20.3, [
    ("Open the portal", "goto", "ok", 4.6, []),
    ("Log in unless already logged in", "block", "ok", 15.7, [
        ("Log in", "block", "ok", 15.7, [
            ("Open the login page", "goto", "ok", 5.6, []),
            ("Sign in", "block", "ok", 10.0, [
                ("#2.1.2.1 fill", "fill", "ok", 0.04, []),
                ("#2.1.2.2 fill", "fill", "ok", 0.03, []),
                ("Answer the captcha", "captcha", "ok", 0.03, [
                    ("?captcha", "Type the captcha in captcha a4f4d31e511546d6906458ff47"),
                ]),
                ("#2.1.2.4 click", "click", "ok", 0.06, []),
                ("Wait for the portal's answer", "wait_for", "ok", 9.9, []),
            ]),
        ]),
        ("Give up after three wrong captchas", "fail", "skipped", 0.0, []),
        ("Stop at a locked account", "fail", "skipped", 0.0, []),
        ("Stop at a refused password", "fail", "skipped", 0.0, []),
        ("Close the announcement", "click", "skipped", 0.0, []),
    ]),
    ("Go to the dashboard", "goto", "skipped", 0.0, []),
    ("Check we are on the dashboard", "assert", "ok", 0.0, []),
])  # fmt: skip


def renew_steps(sign: Step, *, download: bool = True) -> list[Step]:
    """renew's steps, signing with ``sign`` (the step that signs and submits)."""
    signed = "failed" if sign[2] == "failed" else "changed"
    update = (
        "Annual update",
        "block",
        signed if signed == "failed" else "ok",
        52.5,
        [
            ("Re-verify the mobile and email", "block", "skipped", 0.0, []),
            ("Confirm that nothing changed", "click", "ok", 0.1, []),
            ("Enter the changes", "block", "skipped", 0.0, []),
            ("#1.6.5 wait_for", "wait_for", "ok", 5.4, []),
            ("Choose the DSC", "check", "ok", 0.04, []),
            (
                "Sign and submit",
                "block",
                signed,
                36.7,
                [
                    ("#1.6.9.1 click", "click", "ok", 0.04, []),
                    sign,
                    ("Sign with the Aadhaar OTP", "sign", "skipped", 0.0, []),
                ],
            ),
            *(
                []
                if signed == "failed"
                else [
                    (
                        "Read the acknowledgement",
                        "block",
                        "ok",
                        10.2,
                        [
                            ("#1.6.10.1 wait_for", "wait_for", "ok", 10.2, []),
                            ("#1.6.10.2 read", "read", "ok", 0.03, []),
                        ],
                    )
                ]
            ),
        ],
    )
    failed = "failed" if signed == "failed" else "ok"
    steps: list[Step] = [("Annual update", "use", failed, 83.3, [
        ("Update IEC", "block", failed, 83.3, [
            LOGIN,
            ("Open Update IEC", "click", "ok", 0.05, []),
            ("Start a fresh application", "click", "ok", 4.7, []),
            ("#1.4 wait_for", "wait_for", "ok", 5.7, []),
            ("Read the application this job submitted", "block", "skipped", 0.07, []),
            update,
        ]),
    ])]  # fmt: skip
    if download:
        steps.append(("Download the e-IEC", "use", "ok", 15.2, [
            ("Download the e-IEC", "block", "ok", 15.2, [
                ("Log in", "use", "ok", 9.9, [
                    ("Open the portal", "goto", "ok", 4.5, []),
                    ("Log in unless already logged in", "block", "skipped", 0.0, []),
                    ("Go to the dashboard", "goto", "ok", 5.4, []),
                ]),
                ("Print the e-IEC", "download", "ok", 5.3, []),
            ]),
        ]))  # fmt: skip
    return steps


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 5, 9, 19, 42, tzinfo=UTC)

    def tick(self, seconds: float = 0.5) -> str:
        self.now += timedelta(seconds=seconds)
        return self.now.isoformat(timespec="milliseconds")


def write_timeline(
    journal: Journal, job: str, steps: list[Step], error: str | None = None
) -> list[str]:
    """The timeline the journal listener writes for ``steps``; the names of every step."""
    clock = Clock()
    names: list[str] = []

    def walk(step: Step, parent: str) -> None:
        if step[0].startswith("?"):
            journal.add_timeline(
                job, "challenge-waiting", at=clock.tick(), kind=step[0][1:], detail=step[1]
            )
            return
        if step[0] == "↻":
            journal.add_timeline(
                job,
                "step-retried",
                at=clock.tick(),
                step=parent,
                status="transient",
                duration_s=2.0,
                detail=step[1],
            )
            return
        name, kind, status, seconds, children = step
        path = f"{parent}/{name}" if parent else name
        names.append(name)
        journal.add_timeline(job, "step-started", at=clock.tick(), step=path, kind=kind)
        if name == "Sign and submit":
            journal.add_timeline(job, "submit-intent", at=clock.tick(), step=path)
        for child in children:
            walk(child, path)
        if name == "Sign and submit" and status == "changed":
            journal.add_timeline(job, "submit-done", at=clock.tick(), step=path)
        journal.add_timeline(
            job,
            "step-finished",
            at=clock.tick(seconds),
            step=path,
            kind=kind,
            status=status,
            duration_s=seconds,
            detail=error if status == "failed" else None,
        )

    journal.add_timeline(job, "run-started", at=clock.tick(), detail="renew")
    for step in steps:
        walk(step, "")
    journal.add_timeline(job, "run-finished", at=clock.tick(), detail=error)
    return names


DSC_ERROR = (
    "the token 'ePass 2003' holds 2 certificates and none of them carries the client's PAN"
    " or names the client: 'CN=RAMESH KUMAR GUPTA, O=PERSONAL' (serial 4F2A91), 'CN=SURESH"
    " PATEL, O=ACME EXPORTS PRIVATE LIMITED' (serial 77B1C0); name the one to use in the"
    " dsc_cert column"
)
BUSY_ERROR = (
    "the portal answered 'Server is busy, please try after some time' three times in a row"
    " while opening Update IEC (last at 10:02:41); the batch ran it 3 times"
)
OTP_ERROR = "nobody answered the otp in 600s: OTP sent to mobile ******3210"
SIGN_PATH = "Annual update/Update IEC/Annual update/Sign and submit/Sign with the DSC token"


@dataclass
class Jobs:
    data: Path
    batch: str
    changed: str
    dsc_failed: str
    busy: str
    otp: str
    interrupted: str
    steps: dict[str, list[str]] = field(default_factory=dict)  # every step name, by job

    @property
    def ids(self) -> list[str]:
        return [self.changed, self.dsc_failed, self.busy, self.otp, self.interrupted]


@pytest.fixture
def jobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Jobs]:
    """A renew batch of 5 jobs: changed, failed on the DSC, failed on a busy portal after
    retries, waiting for an OTP nobody gave, interrupted; in the working directory."""
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "data"
    journal = Journal(data / "journal.sqlite3")
    batch = journal.create_batch("renew", source="clients.xlsx")
    clients = ["0395012847", "AAACA7000A", "AAACA7001B", "1198002743", "AABCB4821K"]
    added = [
        journal.add_job("renew", client=iec, batch_id=batch, row=row)
        for row, iec in enumerate(clients, start=2)
    ]
    found = Jobs(data, batch, *added)

    signed = ("Sign with the DSC token", "sign", "ok", 36.6, [])
    found.steps[found.changed] = write_timeline(journal, found.changed, renew_steps(signed))
    journal.job_finished(
        found.changed,
        Outcome.CHANGED,
        duration_s=98.7,
        result={
            "ack_number": "IEC/UPD/2026/000001",
            "already_done": False,
            "application_status": "Approved",
            "certificate_path": str(data / "certificates/0395012847/e-IEC-2026-12-05.pdf"),
            "certificate_sha256": "f7d0389540" * 6 + "a6fc",
            "submitted_on": None,
        },
    )

    refused = ("Sign with the DSC token", "sign", "failed", 3.1, [])
    steps = renew_steps(refused, download=False)
    found.steps[found.dsc_failed] = write_timeline(journal, found.dsc_failed, steps, DSC_ERROR)
    journal.job_finished(
        found.dsc_failed,
        Outcome.FAILED,
        duration_s=61.2,
        error=DSC_ERROR,
        error_kind="business",
        error_code="DSC_CERT_AMBIGUOUS",
        error_step=SIGN_PATH,
    )
    journal.add_artifact(found.dsc_failed, "screenshot", str(data / "artifacts/x/failure.png"))
    journal.add_artifact(found.dsc_failed, "trace", str(data / "artifacts/x/trace.zip"))

    busy = [
        ("Annual update", "use", "failed", 40.2, [
            ("Update IEC", "block", "failed", 40.2, [
                ("Open Update IEC", "click", "failed", 12.0, [
                    ("↻", "attempt 1: the portal is busy (Server is busy)"),
                    ("↻", "attempt 2: the portal is busy (Server is busy)"),
                ]),
            ]),
        ]),
    ]  # fmt: skip
    write_timeline(journal, found.busy, busy, BUSY_ERROR)
    journal.job_finished(
        found.busy,
        Outcome.FAILED,
        duration_s=40.2,
        error=BUSY_ERROR,
        error_kind="transient",
        error_code="PORTAL_BUSY",
        error_step="Annual update/Update IEC/Open Update IEC",
    )
    journal.job_finished(found.otp, Outcome.NEEDS_INPUT, duration_s=612.0, error=OTP_ERROR)
    journal.job_finished(
        found.interrupted, Outcome.INTERRUPTED, duration_s=3.0, error="interrupted"
    )
    journal.close()
    yield found


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """The CLI as an 80-column terminal shows it."""
    monkeypatch.setenv("COLUMNS", str(WIDTH))
    consoles = {"console": Console(width=WIDTH), "err_console": Console(width=WIDTH, stderr=True)}
    module = importlib.import_module("rpa.cli.app")  # rpa.cli.app is also the Typer app
    monkeypatch.setattr(module, "_consoles", consoles, raising=False)
    return CliRunner()


def invoke(cli: CliRunner, data: Path, *args: str) -> Result:
    return cli.invoke(app, ["--data-dir", str(data), *args], env={"COLUMNS": str(WIDTH)})
