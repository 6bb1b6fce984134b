"""Signing in and out of the console, throttling, CSRF and roles, in real Chromium against a
real uvicorn server over a real journal."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable

import pytest
from consolekit import ConsoleServer, sign_in
from playwright.sync_api import Page, expect

from rpa.journal.people import People

pytestmark = pytest.mark.browser


def test_a_person_signs_in_sees_the_batches_and_signs_out(
    page: Page, console: ConsoleServer, signed_in: Callable[[Page, str], Page]
) -> None:
    signed_in(page, "operator")
    expect(page.get_by_role("heading", name="Batches", level=1)).to_be_visible()
    expect(page.get_by_role("navigation", name="Sections")).to_contain_text("Challenges")
    expect(page.get_by_text("omar")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.goto(page.url.replace("/login", "/batches"))
    expect(page).to_have_url(re.compile(r"/login\?next=/batches$"))


def test_the_session_cookie_is_httponly_and_samesite(
    page: Page, signed_in: Callable[[Page, str], Page]
) -> None:
    signed_in(page, "viewer")
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "rpa_session"]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"


def test_a_signed_out_person_is_sent_to_sign_in_and_back_to_the_page(
    page: Page, console: ConsoleServer
) -> None:
    page.goto(console.url + "/batches?page=1")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_label("Username").fill("vera")
    page.get_by_label("Password").fill(console.passwords["viewer"])
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(console.url + "/batches?page=1")


def test_a_wrong_password_is_refused_and_the_name_is_throttled_after_five_tries(
    page: Page, console: ConsoleServer
) -> None:
    People(console.journal).put_user("tina", "viewer", _hash("tina-right-password"))
    page.goto(console.url + "/login")
    for _ in range(5):
        page.get_by_label("Username").fill("tina")
        page.get_by_label("Password").fill("not-her-password")
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    # the sixth try is refused even with the right password
    page.get_by_label("Username").fill("tina")
    page.get_by_label("Password").fill("tina-right-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Too many failed sign-ins")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    # another name from the same address is not held up
    page.get_by_label("Username").fill("vera")
    page.get_by_label("Password").fill(console.passwords["viewer"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Batches", level=1)).to_be_visible()


def test_an_unknown_user_is_refused_like_a_wrong_password(
    page: Page, console: ConsoleServer
) -> None:
    page.goto(console.url + "/login")
    page.get_by_label("Username").fill("nobody")
    page.get_by_label("Password").fill("whatever-it-is")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")


def test_a_post_without_or_with_a_wrong_csrf_token_is_refused(console: ConsoleServer) -> None:
    client, csrf = console.http("operator")
    with client:
        assert client.post("/logout").status_code == 403
        assert client.post("/logout", data={"csrf_token": "x" + csrf}).status_code == 403
        assert client.get("/batches").status_code == 200  # still signed in
        assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303
        assert client.get("/batches").status_code == 303  # signed out now


def test_the_sign_in_form_refuses_a_post_without_its_token(console: ConsoleServer) -> None:
    import httpx

    answer = httpx.post(
        console.url + "/login",
        data={"username": "vera", "password": console.passwords["viewer"]},
    )
    assert answer.status_code == 403
    assert "rpa_session" not in answer.cookies


def test_after_sign_in_only_a_path_of_the_console_is_followed(
    page: Page, console: ConsoleServer
) -> None:
    page.goto(console.url + "/login?next=//example.com/x")
    page.get_by_label("Username").fill("vera")
    page.get_by_label("Password").fill(console.passwords["viewer"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Batches", level=1)).to_be_visible()
    assert page.url.startswith(console.url)


def test_sign_in_and_out_are_audited(page: Page, console: ConsoleServer) -> None:
    sign_in(page, console, "admin")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    actions = [(row.who, row.action) for row in People(console.journal).audit(limit=2)]
    assert actions == [("ada", "signed-out"), ("ada", "signed-in")]


def test_users_add_reads_the_password_from_stdin_and_stores_only_its_hash(tmp_path: object) -> None:
    from pathlib import Path

    from rpa.journal import Journal

    data = Path(str(tmp_path))
    password = "a-long-enough-password"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "rpa",
            "--data-dir",
            str(data),
            "users",
            "add",
            "maya",
            "--role",
            "operator",
            "--password-stdin",
        ],
        input=password + "\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Added maya (operator)" in done.stdout
    journal = Journal(data / "journal.sqlite3")
    user = People(journal).user("maya")
    journal.close()
    assert user is not None and user.role == "operator"
    assert user.password_hash.startswith("scrypt$") and password not in user.password_hash
    assert password.encode() not in (data / "journal.sqlite3").read_bytes()


def test_users_add_refuses_an_unknown_role(tmp_path: object) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "rpa",
            "--data-dir",
            str(tmp_path),
            "users",
            "add",
            "maya",
            "--role",
            "boss",
            "--password-stdin",
        ],
        input="a-long-enough-password\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "unknown role" in done.stderr


def _hash(password: str) -> str:
    from rpa.console.auth import hash_password

    return hash_password(password)


def test_an_admin_reads_the_audit_trail_and_others_are_refused(
    page: Page, console: ConsoleServer
) -> None:
    sign_in(page, console, "viewer")  # audited: signed-in
    page.context.clear_cookies()
    sign_in(page, console, "admin")
    page.get_by_role("link", name="Audit").click()
    expect(page.get_by_role("heading", name="Audit", level=1)).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="vera")).not_to_have_count(0)
    page.get_by_label("Who").fill("vera")
    page.get_by_role("button", name="Show").click()
    rows = page.get_by_role("row")
    expect(rows.filter(has_text="ada")).to_have_count(0)
    expect(rows.filter(has_text="signed in").first).to_be_visible()
    for role in ("viewer", "operator"):
        client, _ = console.http(role)
        with client:
            assert client.get("/audit").status_code == 403
