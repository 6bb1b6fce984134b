"""Answering challenges: at this terminal (``ConsolePrompter``, the ``Prompter`` the
``prompt`` providers ask through), or from another one: ``rpa otp give``, ``rpa captcha
give``, ``rpa challenges`` (what is waiting, for whom, and where it can be answered).

``give`` writes an answer only where a ``queue`` provider is waiting for that job and that
kind of challenge (its waiting record in the inbox says so, and its process is alive).
Otherwise it says what the job is waiting on instead, or that it waits on nothing, is not
running or does not exist, and exits 1.
"""

from __future__ import annotations

import atexit
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from rpa.challenges.base import Question
from rpa.challenges.inbox import Inbox, Waiting
from rpa.cli.app import EXIT_FAILED, app, console, fail, state
from rpa.cli.progress import live_paused
from rpa.errors import JournalError
from rpa.journal import Journal

otp_app = typer.Typer(help="Give an OTP to a job waiting for one.", no_args_is_help=True)
captcha_app = typer.Typer(help="Give a captcha answer to a waiting job.", no_args_is_help=True)
app.add_typer(otp_app, name="otp")
app.add_typer(captcha_app, name="captcha")

WHAT = {"otp": "an OTP", "captcha": "a captcha"}
WHERE = {
    "queue": "answer it with: rpa {kind} give {job}",
    "prompt": "answer it at the terminal where the job runs",
    "mock-outbox": "the mock portal's outbox answers it",
    "mock": "the mock portal answers it",
    "console": "answer it on the console's Challenges page (rpa serve)",
}


# -- asking at this terminal ---------------------------------------------------------------


def render_image(console: Console, png: bytes, *, width: int = 60) -> None:
    """Draw a small picture in the terminal with half-block characters (two pixels a cell)."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    height = max(2, round(image.height * width / image.width / 2) * 2)
    image = image.resize((width, height))
    data = image.tobytes()  # RGB, row by row

    def rgb(x: int, y: int) -> str:
        i = 3 * (y * width + x)
        return f"rgb({data[i]},{data[i + 1]},{data[i + 2]})"

    for y in range(0, height, 2):
        line = Text()
        for x in range(width):
            line.append("▀", style=f"{rgb(x, y)} on {rgb(x, y + 1)}")
        console.print(line)


@contextmanager
def _terminal_restored_at_exit() -> Iterator[None]:
    """Hidden input turns the terminal's echo off until it returns. The question's thread
    is a daemon, so a process that ends while it is open (Ctrl-C) would leave the echo off:
    the terminal's settings are put back at exit unless the read finished."""
    try:
        import termios
    except ImportError:  # not POSIX
        yield
        return
    try:
        fd = sys.stdin.fileno()
        saved = termios.tcgetattr(fd)
    except (termios.error, OSError, ValueError):  # stdin is not a terminal
        yield
        return

    def restore() -> None:
        with suppress(termios.error, OSError):
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)

    atexit.register(restore)
    try:
        yield
    finally:
        atexit.unregister(restore)


Read = Callable[[str, bool], str]  # (prompt, hidden) -> the answer as typed
Pause = Callable[[], AbstractContextManager[object]]


class ConsolePrompter:
    """The CLI's ``Prompter``: one question on ``console``'s terminal, headed by whose it
    is (the client's IEC and firm), with the live display paused (``pause``) while it is
    open. A captcha is drawn when the terminal can, its path shown, its text typed
    visibly; an OTP is typed hidden."""

    def __init__(
        self,
        console: Console,
        *,
        pause: Pause = live_paused,
        read: Read | None = None,
        is_interactive: Callable[[], bool] = lambda: sys.stdin.isatty(),
    ) -> None:
        self.console = console
        self._pause = pause
        self._read = read or self._read_console
        self._interactive = is_interactive

    def _read_console(self, prompt: str, hidden: bool) -> str:
        if not hidden:
            return self.console.input(prompt, markup=False)
        with _terminal_restored_at_exit():
            return self.console.input(prompt, markup=False, password=True)

    def interactive(self) -> bool:
        return self._interactive()

    def ask(self, question: Question) -> str:
        with self._pause():
            self.console.print(
                f"[bold yellow]?[/bold yellow] [bold]{escape(question.label)}[/bold]",
                highlight=False,
            )
            if question.image and self.console.is_terminal and self.console.color_system:
                with suppress(OSError, ValueError):  # not a picture PIL reads: the path will do
                    render_image(self.console, question.image)
            if question.image_path is not None:
                self.console.print(f"  image: {escape(str(question.image_path))}", highlight=False)
            return self._read(f"  {question.prompt}: ", question.hidden)

    def withdraw(self, question: Question) -> None:
        self.console.print(
            f"\n[yellow]no longer needed[/yellow] ({escape(question.label)} stopped waiting): "
            "press Enter; what was typed is dropped",
            highlight=False,
        )


# -- answering from another terminal -------------------------------------------------------


def _journal() -> Journal | None:
    path = state.settings().journal_path
    return Journal(path) if path.exists() else None


def _where(record: Waiting) -> str:
    """Where the challenge ``record`` says a job waits for can be answered."""
    if not record.alive:
        return f"nowhere: its process ({record.holder}) has ended"
    hint = WHERE.get(record.provider, "its {provider} provider answers it")
    return hint.format(kind=record.kind, job=record.job_id, provider=record.provider)


def refusal(kind: str, job_id: str, status: str | None, records: list[Waiting]) -> str | None:
    """Why ``kind`` cannot be given to ``job_id`` (None: a queue provider waits for it).
    ``status``: the job's status in the journal, None when there is no such job."""
    what = WHAT[kind]
    if status is None:
        return f"there is no job {job_id}"
    mine = next((r for r in records if r.kind == kind), None)
    if status != "running":
        how = "has not started" if status == "pending" else f"ended {status}"
        return f"job {job_id} is not running (it {how}): it waits on nothing"
    if mine is not None and not mine.alive:
        return (
            f"job {job_id} is not running: the process that ran it ({mine.holder}) has ended "
            f"while it waited for {what}"
        )
    if mine is None:
        others = [r for r in records if r.alive]
        if others:
            other = others[0]
            return f"job {job_id} is waiting for {WHAT[other.kind]}, not {what} ({_where(other)})"
        return f"job {job_id} is not waiting for {what}: it waits on nothing"
    if mine.provider != "queue":
        return (
            f"job {job_id} is waiting for {what} from the {mine.provider} provider, not the "
            f"queue: {_where(mine)}"
        )
    return None


def _give(kind: str, job_id: str, answer: str | None) -> None:
    inbox = Inbox(state.settings().data_dir / "inbox")
    journal = _journal()
    try:
        job = journal.job(job_id) if journal is not None else None
    except JournalError:
        job = None
    finally:
        if journal is not None:
            journal.close()

    def check() -> None:
        try:
            records = inbox.waiting_for(job_id)
        except ValueError:  # a job id no job can have
            records = []
        why = refusal(kind, job_id, job.status if job else None, records)
        if why is not None:
            raise fail(why, EXIT_FAILED)

    check()
    if answer is None or answer == "-":
        # From stdin: keeps the code out of shell history and the process list.
        answer = (
            sys.stdin.readline()
            if not sys.stdin.isatty()
            else typer.prompt(f"{kind.upper()} for {job_id}", hide_input=kind == "otp")
        )
    answer = answer.strip()
    if not answer:
        raise fail("empty answer")
    check()  # it may have stopped waiting while the answer was typed
    inbox.post(job_id, kind, answer)
    who = f" ({job.client})" if job and job.client else ""
    console.print(f"given to job {job_id}{who}", highlight=False)


@otp_app.command("give")
def give_otp(
    job_id: Annotated[str, typer.Argument(help="The waiting job's id (see: rpa challenges)")],
    code: Annotated[str | None, typer.Argument(help="The OTP; omit or '-' to read stdin")] = None,
) -> None:
    """Give the OTP a job waiting on the queue provider asked for."""
    _give("otp", job_id, code)


@captcha_app.command("give")
def give_captcha(
    job_id: Annotated[str, typer.Argument(help="The waiting job's id")],
    answer: Annotated[str | None, typer.Argument(help="The text in the image")] = None,
) -> None:
    """Give the text of the captcha image a job waiting on the queue provider saved."""
    _give("captcha", job_id, answer)


@app.command("challenges")
def list_challenges() -> None:
    """Challenges waiting for a person: which job, which client, where to answer."""
    journal = _journal()
    rows = journal.waiting_challenges() if journal is not None else []
    records = {
        (r.job_id, r.kind): r for r in Inbox(state.settings().data_dir / "inbox").waiting_for()
    }
    if not rows:
        console.print("nothing is waiting")
        return
    table = Table("job", "client", "kind", "ask", "since", "image", "answer")
    for row in rows:
        record = records.get((row["job_id"], row["kind"]))
        table.add_row(
            row["job_id"],
            row["client"] or "",
            row["kind"],
            row["prompt"],
            row["created_at"][11:19],
            row["artifact"] or "",
            _where(record) if record is not None else "",
        )
    console.print(table)
