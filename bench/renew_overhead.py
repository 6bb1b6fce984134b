"""Renew overhead: the agent's ``renew`` playbook for one client vs a hand-written async
Playwright script doing the same clicks, against the same mock portal, alternately.

    .venv/bin/python bench/renew_overhead.py [--rounds 15] [--trace on-retry|on-failure|never]

Before every run the portal is reset and the client re-seeded "due", so each run does the
whole annual update: log in (captcha answered from the mock's API), Update/Modify IEC,
Start Fresh Application, each section of the form saved, the declaration (Place), DSC, Sign
and Submit, the emBridge dialog (Select Device, Select Certificate, PIN, Sign), the
acknowledgement number,
then Print e-IEC (the download). The agent runs in-process (``rpa.agent.Agent`` with the
mock-outbox OTP and mock captcha providers, one ``open_browser`` session; no Python
start-up counted); on top of the clicks it writes the journal and step log, probes the
playbooks' detectors, and checks the PDF with pypdf. ``--trace`` is the agent's trace
setting: ``on-retry`` (the default setting) records nothing for a job that never retries,
``on-failure`` records a Playwright trace of every job. The hand-written script uses
``rpa.browser.launch_options`` (same Chromium, same flags); both sides open a fresh
context per run, each in its own long-lived browser.
Prints both medians and their ratio (target: at most 1.10). It prints; it does not assert.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from _mockrun import BenchPortal, mock_portal, write_client_file
from playwright.async_api import Browser, async_playwright

from demo.seeding import DEMO_SECRETS
from rpa.agent import Agent
from rpa.browser import BrowserSession, launch_options, open_browser
from rpa.clients.records import ClientRecord
from rpa.config import load_settings
from rpa.playbook.model import Playbook


async def by_hand(
    browser: Browser, api: httpx.AsyncClient, portal: BenchPortal, record: ClientRecord, out: Path
) -> str:
    base = portal.portal_url
    context = await browser.new_context(accept_downloads=True)
    try:
        page = await context.new_page()
        await page.goto(base + "index.jsp")
        await page.get_by_role("link", name="Login", exact=True).first.click()  # the header's
        await page.get_by_label("Username", exact=True).fill(record.portal_user or "")
        await page.get_by_label("Password", exact=True).fill(DEMO_SECRETS["DEMO_PORTAL_PASSWORD"])
        captcha_id = await page.locator("img#captcha").get_attribute("data-captcha-id")
        answer = (await api.get(f"{portal.url}/__mock__/captcha/{captcha_id}")).json()
        await page.get_by_label("Captcha", exact=True).fill(answer["answer"])
        await page.get_by_role("button", name="Login", exact=True).click()
        await page.wait_for_url("**actionVal=dashboard**")

        await page.get_by_role("button", name="Update/Modify IEC").click()
        await page.get_by_role("button", name="Start Fresh Application").click()
        await page.get_by_role("heading", name="General Information", exact=True).wait_for()
        # what the playbook reads too: the form's PAN (is it this client's?), the city (the
        # declaration's place), the application number, the declaration's date
        await page.get_by_label("PAN", exact=True).input_value()
        city = await page.get_by_label("City", exact=True).input_value()
        # each section checked and saved, as the annual update with no change is made
        for section in (
            "General Information",
            "Proprietor/Partner/Director Details",
            "Branch Details",
            "Bank Details",
            "Other Details",
        ):
            await page.get_by_role("button", name="Save and Next", exact=True).click()
            await page.get_by_text(f"{section} saved successfully").wait_for()
            if section == "General Information":
                await page.locator("#applicationNumber").get_attribute("value")
        await page.get_by_label("I hereby declare").check()
        await page.get_by_label("Place", exact=True).fill(city)
        await page.get_by_label("Date", exact=True).input_value()
        await page.get_by_label("Digital Signature Certificate (DSC)").check()
        await page.get_by_role("button", name="Sign and Submit").click()
        dialog = page.get_by_role("dialog", name="Sign with DSC")
        await dialog.get_by_label("Select Device", exact=True).select_option(label=record.dsc_token)
        await dialog.get_by_label("Select Certificate", exact=True).select_option(
            label=record.dsc_cert
        )  # (the demo's clients name their certificate)
        await dialog.get_by_label("PIN", exact=True).fill(DEMO_SECRETS["DEMO_DSC_PIN"])
        await dialog.get_by_role("button", name="Sign", exact=True).click()
        ack = page.locator("#ackNumber")
        await ack.wait_for()
        ack_number = (await ack.inner_text()).strip()

        # as download_certificate's login step does: portal home, then the dashboard
        await page.goto(base + "index.jsp")
        await page.goto(base + "web?requestType=ApplicationRH&actionVal=dashboard")
        async with page.expect_download() as download:
            await page.locator("#printEiecButton").click()
        await (await download.value).save_as(out / f"{record.iec}-by-hand.pdf")
        return ack_number
    finally:
        await context.close()


def _spread(times: list[float]) -> str:
    if len(times) < 2:
        return "one run"
    q1, _, q3 = statistics.quantiles(times, n=4)
    return f"quartiles {q1:.2f}-{q3:.2f} s"


async def main(rounds: int, trace: str) -> None:
    os.environ.update(DEMO_SECRETS)  # the client file's env: references
    with (
        tempfile.TemporaryDirectory(prefix="dgft-bench-overhead-") as tmp,
        mock_portal() as portal,
    ):
        [record] = write_client_file(Path(tmp) / "clients.csv", 1)
        settings = load_settings(
            {"portal_url": portal.portal_url, "data_dir": str(Path(tmp) / "data"), "trace": trace},
            env_file=None,
        )
        agent = Agent.create(settings, otp_provider="mock-outbox", captcha_provider="mock")
        playbook: Playbook = agent.playbook("renew")
        hand_options = launch_options(load_settings(env_file=None))
        async with (
            open_browser(settings, headless=True) as session,
            async_playwright() as playwright,
            httpx.AsyncClient() as api,  # one client for the script's run, made beforehand
        ):
            hand_browser = await playwright.chromium.launch(**hand_options)

            async def with_agent(session: BrowserSession = session) -> str:
                job_id = agent.journal.add_job(playbook.name, client=record.iec)
                result = await agent.run_client(job_id, playbook, record, session)
                assert result is not None and result.ok, result and result.failure
                return str(result.outputs["ack_number"])

            async def with_hand() -> str:
                return await by_hand(hand_browser, api, portal, record, Path(tmp))

            agent_s: list[float] = []
            hand_s: list[float] = []
            for n in range(-1, rounds):  # round -1 warms both up and is not counted
                order = [(agent_s, with_agent), (hand_s, with_hand)]
                if n % 2:
                    order.reverse()
                for times, run in order:
                    portal.seed_due([record])
                    started = time.perf_counter()
                    ack = await run()
                    elapsed = time.perf_counter() - started
                    assert ack, "no acknowledgement number"
                    if n >= 0:
                        times.append(elapsed)
            await hand_browser.close()
        agent.journal.close()
    agent_median = statistics.median(agent_s)
    hand_median = statistics.median(hand_s)
    print(f"rounds:          {rounds} (+1 warm-up), each a full renew on a re-seeded due client")
    print(f"agent trace:     {trace}")
    print(f"hand-written:    median {hand_median:6.2f} s  ({_spread(hand_s)})")
    print(f"agent (renew):   median {agent_median:6.2f} s  ({_spread(agent_s)})")
    print(f"ratio:           {agent_median / hand_median:.3f}  (target <= 1.10)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument(
        "--trace",
        default="on-retry",
        choices=["on-retry", "on-failure", "always", "never"],
        help="the agent's trace setting (on-retry, the default; on-failure traces every job)",
    )
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.trace))
