"""The Challenges page in real Chromium over a real console: each waiting challenge is an
article named by its client's IEC, with the field, the image, where the OTP went and the
time left; an operator's answer reaches the job's inbox slot (never the journal) and is
audited without the answer; a viewer sees the page and is refused an answer (403); a POST
without the CSRF token is refused; the list refreshes by itself."""

from __future__ import annotations

import re
import sqlite3

from challengekit import seed_challenge
from consolekit import ConsoleServer
from playwright.sync_api import Page, expect

from rpa.challenges.inbox import Inbox


def _inbox(console: ConsoleServer) -> Inbox:
    return Inbox(console.settings.data_dir / "inbox")


def test_an_operator_answers_a_captcha_and_an_otp_in_the_browser(
    page: Page, console: ConsoleServer, signed_in: object
) -> None:
    captcha = seed_challenge(
        console.journal,
        console.settings.artifacts_dir,
        kind="captcha",
        iec="0512345678",
        firm="Sunrise Spices Pvt Ltd",
    )
    otp = seed_challenge(
        console.journal,
        console.settings.artifacts_dir,
        kind="otp",
        iec="0598765432",
        firm="Blue Lotus Exports",
        destination="******1234",
    )
    signed_in(page, "operator")  # type: ignore[operator]
    page.goto(console.url + "/challenges")
    expect(page.get_by_role("heading", name="Challenges", level=1)).to_be_visible()

    card = page.get_by_role("article", name=re.compile("IEC 0512345678"))
    expect(card).to_contain_text("Sunrise Spices Pvt Ltd")
    expect(card.get_by_role("img", name=re.compile("Captcha"))).to_be_visible()
    assert card.get_by_role("img").evaluate("img => img.naturalWidth") > 0  # it loaded
    expect(card).to_contain_text("Time left")
    card.get_by_label("Captcha").fill("K7QX2")
    card.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("status")).to_contain_text("Answer sent to the job")
    assert _inbox(console).take(captcha.job_id, "captcha") == "K7QX2"
    expect(page.get_by_role("article", name=re.compile("IEC 0512345678"))).to_have_count(0)

    card = page.get_by_role("article", name=re.compile("IEC 0598765432"))
    expect(card).to_contain_text("******1234")
    console.secrets.add("604918")
    card.get_by_label("OTP").fill("604918")
    card.get_by_role("button", name="Submit").click()
    expect(page.get_by_role("status")).to_contain_text("Answer sent to the job")
    assert _inbox(console).take(otp.job_id, "otp") == "604918"

    recent = page.get_by_role("region", name="Recently closed")
    expect(recent).to_contain_text("Answered by omar")
    # the journal has who answered, never the answer
    dump = "\n".join(sqlite3.connect(console.settings.journal_path).iterdump())
    assert "604918" not in dump and "K7QX2" not in dump
    assert "challenge-answered" in dump


def test_a_viewer_sees_challenges_but_cannot_answer_them(
    page: Page, console: ConsoleServer, signed_in: object
) -> None:
    seeded = seed_challenge(
        console.journal,
        console.settings.artifacts_dir,
        kind="otp",
        iec="0511111111",
        firm="Viewer Test Exports",
    )
    signed_in(page, "viewer")  # type: ignore[operator]
    page.goto(console.url + "/challenges")
    card = page.get_by_role("article", name=re.compile("IEC 0511111111"))
    expect(card.get_by_label("OTP")).to_be_disabled()
    expect(card).to_contain_text("an operator answers")

    client, csrf = console.http("viewer")
    with client:
        refused = client.post(
            f"/challenges/{seeded.challenge_id}/answer",
            data={"csrf_token": csrf, "answer": "123456"},
        )
    assert refused.status_code == 403
    assert _inbox(console).take(seeded.job_id, "otp") is None


def test_an_answer_without_the_csrf_token_is_refused(console: ConsoleServer) -> None:
    seeded = seed_challenge(
        console.journal,
        console.settings.artifacts_dir,
        kind="otp",
        iec="0522222222",
        firm="Csrf Test Exports",
    )
    client, _ = console.http("operator")
    with client:
        refused = client.post(
            f"/challenges/{seeded.challenge_id}/answer", data={"answer": "123456"}
        )
        wrong = client.post(
            f"/challenges/{seeded.challenge_id}/answer",
            data={"answer": "123456", "csrf_token": "not-the-token"},
        )
    assert refused.status_code == 403 and wrong.status_code == 403
    assert _inbox(console).take(seeded.job_id, "otp") is None


def test_a_challenge_that_no_longer_waits_takes_no_answer(console: ConsoleServer) -> None:
    seeded = seed_challenge(
        console.journal,
        console.settings.artifacts_dir,
        kind="otp",
        iec="0533333333",
        firm="Late Answer Exports",
        timeout_s=-1,  # expired already
    )
    client, csrf = console.http("operator")
    with client:
        late = client.post(
            f"/challenges/{seeded.challenge_id}/answer",
            data={"csrf_token": csrf, "answer": "123456"},
        )
        page = client.get("/challenges")
    assert late.status_code == 303 and "said=gone" in late.headers["location"]
    assert _inbox(console).take(seeded.job_id, "otp") is None
    assert "IEC 0533333333" not in page.text.split("Recently closed")[0]


def test_the_inbox_shows_a_new_challenge_without_a_reload_and_keeps_what_is_typed(
    page: Page, console: ConsoleServer, signed_in: object
) -> None:
    seed_challenge(
        console.journal,
        console.settings.artifacts_dir,
        kind="captcha",
        iec="0555555555",
        firm="Typing Exports",
    )
    signed_in(page, "operator")  # type: ignore[operator]
    page.goto(console.url + "/challenges")
    typing = page.get_by_role("article", name=re.compile("IEC 0555555555"))
    typing.get_by_label("Captcha").fill("HALF")
    seed_challenge(
        console.journal,
        console.settings.artifacts_dir,
        kind="otp",
        iec="0544444444",
        firm="Live Exports",
    )
    card = page.get_by_role("article", name=re.compile("IEC 0544444444"))
    expect(card).to_be_visible(timeout=10_000)
    expect(card.get_by_label("OTP")).to_be_editable()
    expect(typing.get_by_label("Captcha")).to_have_value("HALF")


def test_a_job_asking_at_its_terminal_is_shown_without_a_field(
    page: Page, console: ConsoleServer, signed_in: object
) -> None:
    seeded = seed_challenge(
        console.journal,
        console.settings.artifacts_dir,
        kind="otp",
        iec="0566666666",
        firm="Terminal Exports",
        provider="prompt",
    )
    signed_in(page, "operator")  # type: ignore[operator]
    page.goto(console.url + "/challenges")
    card = page.get_by_role("article", name=re.compile("IEC 0566666666"))
    expect(card).to_contain_text("Asked at the terminal where the job runs")
    expect(card.get_by_role("textbox")).to_have_count(0)
    client, csrf = console.http("operator")
    with client:
        sent = client.post(
            f"/challenges/{seeded.challenge_id}/answer",
            data={"csrf_token": csrf, "answer": "123456"},
        )
    assert "said=gone" in sent.headers["location"]
    assert _inbox(console).take(seeded.job_id, "otp") is None


def test_a_challenge_whose_job_has_stopped_is_neither_shown_nor_answered(
    console: ConsoleServer,
) -> None:
    crashed = seed_challenge(
        console.journal,
        console.settings.artifacts_dir,
        kind="captcha",
        iec="0577777770",
        firm="Crashed Exports",
        provider=None,  # no process waits for it any more
    )
    client, csrf = console.http("operator")
    with client:
        assert "IEC 0577777770" not in client.get("/challenges").text
        sent = client.post(
            f"/challenges/{crashed.challenge_id}/answer",
            data={"csrf_token": csrf, "answer": "ABCDE"},
        )
    assert "said=gone" in sent.headers["location"]
    assert _inbox(console).take(crashed.job_id, "captcha") is None
