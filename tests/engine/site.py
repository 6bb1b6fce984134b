"""Local test pages for the engine: a form, a flaky endpoint, a "server busy" page (and one
a click brings), a slow answer to a form, a progress overlay, a login with a session that
expires, an OTP and a captcha page, a PDF download. Served by ``http.server`` in a thread;
``Site.state`` counts what happened."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from fpdf import FPDF

PAGES = Path(__file__).parent / "pages"
CERT_TEXT = ("e-IEC Certificate", "IEC Number: 0123456789", "Acme Exports")


def certificate_pdf() -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=14)
    for line in CERT_TEXT:
        pdf.cell(0, 10, line, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


@dataclass
class SiteState:
    hits: Counter[str] = field(default_factory=Counter)
    submissions: list[dict[str, str]] = field(default_factory=list)
    expired_keys: set[str] = field(default_factory=set)

    def reset(self) -> None:
        self.hits.clear()
        self.submissions.clear()
        self.expired_keys.clear()


def _page(title: str, body: str) -> str:
    return f"<!doctype html><html><head><title>{title}</title></head><body>{body}</body></html>"


class Handler(BaseHTTPRequestHandler):
    state: SiteState
    pdf: bytes
    captcha: bytes

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    # --- helpers ----------------------------------------------------------------------

    def send(
        self,
        status: int,
        body: str | bytes,
        *,
        ctype: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
    ) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def redirect(self, to: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(303)
        self.send_header("Location", to)
        self.send_header("Content-Length", "0")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()

    @property
    def logged_in(self) -> bool:
        return "sid=ok" in (self.headers.get("Cookie") or "")

    def form(self) -> dict[str, str]:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode()
        ctype = self.headers.get("Content-Type", "")
        if ctype.startswith("multipart/form-data"):
            return _multipart(raw, ctype)
        return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}

    # --- routes -----------------------------------------------------------------------

    def do_GET(self) -> None:
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        key = q.get("key", "")
        self.state.hits[url.path + ":" + key] += 1
        hits = self.state.hits[url.path + ":" + key]
        path = url.path
        if path == "/flaky":
            if hits <= int(q.get("fails", "2")):
                self.send(503, _page("Unavailable", "<h1>503 Service Unavailable</h1>"))
            else:
                self.send(200, _page("Flaky", "<h1>Flaky page OK</h1>"))
        elif path == "/busy":
            if hits <= int(q.get("times", "1")):
                self.send(200, _page("Busy", "<h1>Server is busy, please try again later</h1>"))
            else:
                self.send(200, _page("Not busy", "<h1>Welcome back</h1>"))
        elif path == "/status":
            done = any(s.get("key") == key for s in self.state.submissions)
            text = "Already submitted for this year" if done else "Not yet submitted"
            self.send(200, _page("Status", f"<p id=status>{text}</p>"))
        elif path == "/home":
            if not self.logged_in:
                self.redirect("/login.html?expired=1")
            else:
                self.send(200, _page("Home", "<h1>Dashboard</h1><a href='/form.html'>Form</a>"))
        elif path == "/members":
            # the first visit for a key ends the session: a redirect to the login page
            if key and key not in self.state.expired_keys:
                self.state.expired_keys.add(key)
                self.redirect("/login.html?expired=1", {"Set-Cookie": "sid=; Max-Age=0; Path=/"})
            elif not self.logged_in:
                self.redirect("/login.html?expired=1")
            else:
                self.send(200, _page("Members", "<h1>Members area</h1>"))
        elif path == "/slow-body":
            # the document commits at once; its refusal arrives a moment later
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(b"<!doctype html><html><body><p>Loading</p>" + b" " * 2048)
            self.wfile.flush()
            time.sleep(0.6)
            self.wfile.write(b"<p class=refusal>Refused: the PAN does not match</p></body></html>")
            self.close_connection = True
        elif path == "/cert.pdf":
            self.send(
                200,
                self.pdf,
                ctype="application/pdf",
                headers={"Content-Disposition": 'attachment; filename="e-IEC.pdf"'},
            )
        elif path == "/captcha.png":
            self.send(200, self.captcha, ctype="image/png")
        else:
            file = PAGES / path.lstrip("/")
            if path == "/" or not file.is_file():
                self.send(404, _page("Not found", "<h1>Not found</h1>"))
            else:
                self.send(200, file.read_text())

    def do_POST(self) -> None:
        url = urlparse(self.path)
        data = self.form()
        if url.path == "/slow-post":
            # a portal that takes the form and answers slowly (the next page loads late)
            self.state.submissions.append(data)
            time.sleep(float(parse_qs(url.query).get("s", ["2"])[0]))
            self.send(200, _page("Taken", "<h1>Application taken</h1>"))
        elif url.path == "/login":
            if data.get("password") == "s3cret-Pa55":
                self.redirect("/home", {"Set-Cookie": "sid=ok; Path=/"})
            else:
                self.send(200, _page("Login", "<p class=alert-danger>Invalid password</p>"))
        elif url.path == "/submit":
            self.state.submissions.append(data)
            n = len(self.state.submissions)
            echo = "".join(
                f"<li>{k}: <span id='got-{k}'>{v}</span></li>"
                for k, v in data.items()
                if k != "password"
            )
            self.send(
                200,
                _page(
                    "Submitted",
                    f"<h1>Application submitted</h1><p id=ack>Acknowledgement "
                    f"number: ACK-2024-{n:04d}</p><ul>{echo}</ul>",
                ),
            )
        else:
            self.send(404, _page("Not found", "<h1>Not found</h1>"))


def _multipart(raw: str, ctype: str) -> dict[str, str]:
    boundary = ctype.split("boundary=")[-1]
    fields: dict[str, str] = {}
    for part in raw.split("--" + boundary):
        if "name=" not in part:
            continue
        head, _, body = part.partition("\r\n\r\n")
        name = head.split('name="')[1].split('"')[0]
        if 'filename="' in head:
            fields[name] = head.split('filename="')[1].split('"')[0]
        else:
            fields[name] = body.rstrip("\r\n")
    return fields


class Site:
    def __init__(self) -> None:
        self.state = SiteState()
        bound = {"state": self.state, "pdf": certificate_pdf(), "captcha": png_bytes()}
        handler = type("BoundHandler", (Handler,), bound)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Site:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def png_bytes() -> bytes:
    """A tiny captcha image (so the tests need no binary fixture in git)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (120, 40), "white")
    ImageDraw.Draw(image).text((10, 12), "X7KQ2", fill="black")
    out = BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
