"""Questions at the terminal, from many jobs at once: one at a time, each labelled with its
client, each answer to the job that asked, the live display out of the way meanwhile."""

from __future__ import annotations

import asyncio
import io
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from rpa.challenges.base import CaptchaRequest, OtpRequest, Question
from rpa.challenges.providers import PromptCaptcha, PromptOtp, TerminalPrompt
from rpa.cli.challenges import ConsolePrompter
from rpa.cli.progress import LiveDisplay
from rpa.errors import NeedsInputError
from rpa.events import JobQueued

RunAsync = Callable[[Coroutine[Any, Any, Any]], Any]

ACME = "0123456789 (Acme Exports)"
BHARAT = "AABCB4821K (Bharat Exports)"
CHETAK = "0710034521 (Chetak Traders)"


def otp(job: str, client: str) -> OtpRequest:
    return OtpRequest(
        job_id=job,
        client=client,
        prompt="OTP sent to mobile ******1234",
        timeout_s=30,
        channel="mobile",
    )


def captcha(job: str, client: str) -> CaptchaRequest:
    return CaptchaRequest(
        job_id=job,
        client=client,
        prompt="Type the captcha",
        timeout_s=30,
        image=b"",
        image_path=Path("/data/captcha-1.png"),
    )


class Person:
    """Reads the terminal as a person would (the last label shown) and types that client's
    answer. Notes what each question looked like and whether anything else was on at once."""

    def __init__(self, screen: io.StringIO, answers: dict[str, str]) -> None:
        self.screen = screen
        self.answers = answers
        self.asked: list[dict[str, Any]] = []
        self.open = 0
        self.most_open = 0
        self.paused = 0  # how many pauses are in force
        self._lock = threading.Lock()

    @contextmanager
    def pause(self) -> Iterator[None]:
        self.paused += 1
        try:
            yield
        finally:
            self.paused -= 1

    def read(self, prompt: str, hidden: bool) -> str:
        with self._lock:
            self.open += 1
            self.most_open = max(self.most_open, self.open)
        try:
            shown = self.screen.getvalue()
            label = shown.rsplit("? ", 1)[-1].splitlines()[0]
            self.asked.append(
                {
                    "label": label,
                    "prompt": prompt,
                    "hidden": hidden,
                    "paused": self.paused > 0,
                    "screen": shown,
                }
            )
            time.sleep(0.05)  # a person takes a while: other jobs keep asking meanwhile
            return self.answers[label]
        finally:
            with self._lock:
                self.open -= 1


def terminal_for(person: Person, screen: io.StringIO) -> TerminalPrompt:
    console = Console(file=screen, width=120)
    prompter = ConsolePrompter(
        console, pause=person.pause, read=person.read, is_interactive=lambda: True
    )
    return TerminalPrompt(prompter)


def test_jobs_asking_at_once_are_asked_one_at_a_time_each_labelled_and_answered_in_turn(
    run_async: RunAsync,
) -> None:
    screen = io.StringIO()
    person = Person(screen, {ACME: "111111", BHARAT: "222222", CHETAK: "x7Kq2"})
    terminal = terminal_for(person, screen)

    async def three_jobs() -> list[str]:
        return await asyncio.gather(
            PromptOtp(terminal).get_otp(otp("j-acme", ACME)),
            PromptOtp(terminal).get_otp(otp("j-bharat", BHARAT)),
            PromptCaptcha(terminal).solve(captcha("j-chetak", CHETAK)),
        )

    assert run_async(three_jobs()) == ["111111", "222222", "x7Kq2"]
    assert person.most_open == 1  # never two questions at once
    assert sorted(q["label"] for q in person.asked) == sorted([ACME, BHARAT, CHETAK])
    by_label = {q["label"]: q for q in person.asked}
    assert by_label[ACME]["hidden"] and by_label[BHARAT]["hidden"]  # an OTP is not echoed
    assert not by_label[CHETAK]["hidden"]  # a captcha's text is no secret
    assert "OTP sent to mobile ******1234" in by_label[ACME]["prompt"]
    assert "/data/captcha-1.png" in by_label[CHETAK]["screen"]
    assert all(q["paused"] for q in person.asked)  # the CLI's pause hook held each time
    for answer in ("111111", "222222"):
        assert answer not in screen.getvalue()


def test_the_live_display_is_off_the_terminal_while_a_question_is_open(
    run_async: RunAsync,
) -> None:
    console = Console(file=io.StringIO(), force_terminal=True, width=100)
    seen: list[bool] = []
    with LiveDisplay(console) as display:
        display(JobQueued(job_id="j-acme", batch_id="b1", client=ACME, worker=0))

        def read(prompt: str, hidden: bool) -> str:
            seen.append(display.live.is_started)
            return "111111"

        prompter = ConsolePrompter(console, read=read, is_interactive=lambda: True)
        answer = run_async(PromptOtp(TerminalPrompt(prompter)).get_otp(otp("j-acme", ACME)))
        assert answer == "111111"
        assert seen == [False]  # stopped while asking
        assert display.live.is_started  # and back after
    assert not display.live.is_started


def test_a_job_that_gives_up_while_in_line_is_never_asked_and_the_next_gets_its_own_answer(
    run_async: RunAsync,
) -> None:
    screen = io.StringIO()
    person = Person(screen, {ACME: "111111", BHARAT: "222222", CHETAK: "333333"})
    release = threading.Event()
    reading = person.read

    def slow_read(prompt: str, hidden: bool) -> str:
        release.wait(5)
        return reading(prompt, hidden)

    person.read = slow_read  # type: ignore[method-assign]
    terminal = terminal_for(person, screen)

    async def scenario() -> tuple[str, str, str]:
        first = asyncio.ensure_future(PromptOtp(terminal).get_otp(otp("j-acme", ACME)))
        await asyncio.sleep(0.05)
        try:
            await asyncio.wait_for(PromptOtp(terminal).get_otp(otp("j-bharat", BHARAT)), 0.1)
            gave_up = "answered"
        except TimeoutError:
            gave_up = "gave up"
        third = asyncio.ensure_future(PromptOtp(terminal).get_otp(otp("j-chetak", CHETAK)))
        release.set()
        return gave_up, await first, await third

    assert run_async(scenario()) == ("gave up", "111111", "333333")
    assert [q["label"] for q in person.asked] == [ACME, CHETAK]


def test_a_question_withdrawn_while_open_says_so_and_what_is_typed_reaches_no_other_job(
    run_async: RunAsync,
) -> None:
    screen = io.StringIO()
    typed = threading.Event()
    withdrawn: list[str] = []
    answers = iter(["typed too late", "222222"])

    class SlowPerson(ConsolePrompter):
        def withdraw(self, question: Question) -> None:
            withdrawn.append(question.label)
            super().withdraw(question)
            typed.set()

    def read(prompt: str, hidden: bool) -> str:
        if not typed.is_set():
            typed.wait(5)
        return next(answers)

    prompter = SlowPerson(Console(file=screen, width=200), read=read, is_interactive=lambda: True)
    terminal = TerminalPrompt(prompter)

    async def scenario() -> tuple[str, str]:
        try:
            await asyncio.wait_for(PromptOtp(terminal).get_otp(otp("j-acme", ACME)), 0.2)
            first = "answered"
        except TimeoutError:
            first = "gave up"
        return first, await PromptOtp(terminal).get_otp(otp("j-bharat", BHARAT))

    assert run_async(scenario()) == ("gave up", "222222")
    assert withdrawn == [ACME]
    assert "no longer needed" in screen.getvalue()


@pytest.mark.parametrize("interactive", [False, None])
def test_with_nobody_at_a_terminal_the_job_needs_input(
    run_async: RunAsync, interactive: bool | None
) -> None:
    prompter = (
        None
        if interactive is None
        else ConsolePrompter(Console(file=io.StringIO()), is_interactive=lambda: False)
    )
    with pytest.raises(NeedsInputError) as caught:
        run_async(PromptOtp(TerminalPrompt(prompter)).get_otp(otp("j-acme", ACME)))
    assert caught.value.code == "OTP_NO_TERMINAL"
