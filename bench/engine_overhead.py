"""Engine overhead: one sequence of page actions, run by the engine from a playbook and by
a hand-written async Playwright script, alternately, several times each.

    .venv/bin/python bench/engine_overhead.py [--rounds 15]

Prints both medians and their ratio (target: at most 1.05). It prints; it does not assert.
Both sides open a fresh browser context per run in one shared browser; the engine keeps its
per-job step log and events but no trace (tracing is Playwright's cost, not the engine's).
On a busy 2-core machine one run's ratio wanders by a few percent: use enough rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import textwrap
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from rpa.browser import BrowserSession, open_browser
from rpa.config import load_settings
from rpa.engine import Engine
from rpa.events import EventBus
from rpa.playbook.loader import Loader

PAGE = """<!doctype html><html><head><title>Form</title></head><body>
<h1>Update IEC</h1>
<label for=pan>PAN</label><input id=pan>
<label for=firm>Firm name</label><input id=firm>
<label for=email>Email</label><input id=email>
<label for=mobile>Mobile</label><input id=mobile>
<label for=city>City</label><input id=city>
<label for=state>State</label><select id=state><option value="">--</option>
<option value=DL>Delhi</option><option value=MH>Maharashtra</option></select>
<label><input type=checkbox id=agree> I agree</label>
<button onclick="document.getElementById('out').textContent =
  'Saved ' + document.getElementById('pan').value">Save</button>
<p id=out></p>
</body></html>"""

PLAYBOOK = """
name: bench
inputs:
  pan: {type: pan}
steps:
  - goto: "form"
  - fill: {label: PAN, value: "{{ inputs.pan }}"}
  - fill: {label: Firm name, value: Acme Exports}
  - fill: {label: Email, value: acme@example.com}
  - fill: {label: Mobile, value: "9876543210"}
  - fill: {label: City, value: Pune}
  - select: {label: State, option: MH}
  - check: {label: I agree}
  - click: {role: button, name: Save}
  - wait_for: {text: Saved AAACB1234F}
  - extract: {css: "#out", into: saved}
outputs:
  saved: "{{ vars.saved }}"
"""


class Page(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = PAGE.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


async def by_hand(browser: BrowserSession, url: str) -> str:
    context = await browser.new_context()
    try:
        page = await context.new_page()
        await page.goto(url + "form")
        await page.get_by_label("PAN").fill("AAACB1234F")
        await page.get_by_label("Firm name").fill("Acme Exports")
        await page.get_by_label("Email").fill("acme@example.com")
        await page.get_by_label("Mobile").fill("9876543210")
        await page.get_by_label("City").fill("Pune")
        await page.get_by_label("State").select_option("MH")
        await page.get_by_label("I agree").set_checked(True)
        await page.get_by_role("button", name="Save").click()
        await page.get_by_text("Saved AAACB1234F").wait_for()
        return await page.locator("#out").inner_text()
    finally:
        await context.close()


def _spread(times: list[float]) -> str:
    q1, _, q3 = statistics.quantiles(times, n=4)
    return f"quartiles {q1 * 1000:.1f}-{q3 * 1000:.1f} ms"


async def main(rounds: int) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.yaml"
        path.write_text(textwrap.dedent(PLAYBOOK))
        playbook = Loader().load(path)
        settings = load_settings(
            {"portal_url": url, "data_dir": tmp, "trace": "never"}, env_file=None
        )
        engine = Engine(settings, EventBus())
        async with open_browser(settings, headless=True) as browser:

            async def with_engine(n: int) -> str:
                result = await engine.run_job(
                    f"bench-{n}", playbook, {"pan": "AAACB1234F"}, browser_session=browser
                )
                assert result.ok, result.failure
                return str(result.outputs["saved"])

            for n in range(3):  # warm up both
                await with_engine(-n - 1)
                await by_hand(browser, url)
            engine_s: list[float] = []
            hand_s: list[float] = []
            for n in range(rounds):
                order = [
                    (engine_s, lambda n=n: with_engine(n)),
                    (hand_s, lambda: by_hand(browser, url)),
                ]
                if n % 2:
                    order.reverse()
                for times, run in order:
                    started = time.perf_counter()
                    said = await run()
                    times.append(time.perf_counter() - started)
                    assert said == "Saved AAACB1234F", said
    server.shutdown()
    engine_median = statistics.median(engine_s)
    hand_median = statistics.median(hand_s)
    print(f"rounds:            {rounds} (each: 10 page actions in a fresh context)")
    print(f"hand-written:      median {hand_median * 1000:7.1f} ms  ({_spread(hand_s)})")
    print(f"engine (playbook): median {engine_median * 1000:7.1f} ms  ({_spread(engine_s)})")
    print(f"ratio:             {engine_median / hand_median:.3f}  (target <= 1.05)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    asyncio.run(main(parser.parse_args().rounds))
