"""Answering waiting challenges from another terminal: ``rpa otp give``, ``rpa captcha give``,
``rpa challenges`` (what is waiting, and for whom)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from rpa.challenges.inbox import Inbox
from rpa.cli.app import app, console, fail, state
from rpa.cli.jobs import open_journal

otp_app = typer.Typer(help="Give an OTP to a job waiting for one.", no_args_is_help=True)
captcha_app = typer.Typer(help="Give a captcha answer to a waiting job.", no_args_is_help=True)
app.add_typer(otp_app, name="otp")
app.add_typer(captcha_app, name="captcha")


def _give(kind: str, job_id: str, answer: str | None) -> None:
    journal = open_journal()
    waiting = [c for c in journal.waiting_challenges() if c["job_id"] == job_id]
    if not any(c["kind"] == kind for c in waiting):
        raise fail(f"job {job_id} is not waiting for {'an OTP' if kind == 'otp' else 'a captcha'}")
    if answer is None or answer == "-":
        # From stdin: keeps the code out of shell history and the process list.
        answer = (
            sys.stdin.readline()
            if not sys.stdin.isatty()
            else typer.prompt(f"{kind.upper()} for {job_id}", hide_input=True)
        )
    answer = answer.strip()
    if not answer:
        raise fail("empty answer")
    Inbox(state.settings().data_dir / "inbox").post(job_id, kind, answer)
    console.print(f"given to job {job_id}", highlight=False)


@otp_app.command("give")
def give_otp(
    job_id: Annotated[str, typer.Argument(help="The waiting job's id (see: rpa challenges)")],
    code: Annotated[str | None, typer.Argument(help="The OTP; omit or '-' to read stdin")] = None,
) -> None:
    """Give the OTP a waiting job asked for."""
    _give("otp", job_id, code)


@captcha_app.command("give")
def give_captcha(
    job_id: Annotated[str, typer.Argument(help="The waiting job's id")],
    answer: Annotated[str | None, typer.Argument(help="The text in the image")] = None,
) -> None:
    """Give the text of the captcha image a waiting job saved."""
    _give("captcha", job_id, answer)


@app.command("challenges")
def list_challenges() -> None:
    """Challenges waiting for a person: which job, which client, whom to ask."""
    rows = open_journal().waiting_challenges()
    if not rows:
        console.print("nothing is waiting")
        return
    table = Table("job", "client", "kind", "ask", "since", "image")
    for row in rows:
        table.add_row(
            row["job_id"],
            row["client"] or "",
            row["kind"],
            row["prompt"],
            row["created_at"][11:19],
            row["artifact"] or "",
        )
    console.print(table)
