"""Telling people how an unattended run went: a plain-text email and a JSON webhook.

``summarise(journal, batch_id, records)`` reads a finished batch back from the journal;
``notify(summary, settings)`` sends it wherever the settings say (``RPA_SMTP_HOST`` with
``RPA_NOTIFY_EMAIL_TO``; ``RPA_NOTIFY_WEBHOOK_URL``) and returns what was sent.

A notification never fails a run: ``notify`` logs a warning for a channel that fails and
carries on. ``send_email`` on its own raises ``NotifyError`` (for ``rpa`` commands that
test the settings); ``send_webhook`` never raises. Every text that leaves passes through
``rpa.masking.mask``; the SMTP password and the webhook URL (which often carries a token)
are registered as secrets before use.
"""

from __future__ import annotations

import json
import smtplib
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any
from urllib.parse import urlsplit

import httpx
from loguru import logger

from rpa.clients.records import ClientRecord
from rpa.config import Settings
from rpa.errors import ConfigError, NotifyError, RpaError
from rpa.journal import Journal
from rpa.masking import mask, mask_deep, register_secret
from rpa.renewal import IST

SMTP_TIMEOUT_S = 30.0
WEBHOOK_TIMEOUT_S = 10.0
APP_IN_PROGRESS = "in progress"
APP_DEFICIENT = "deficient"

# How each job outcome reads in a sentence, in the order they are listed.
OUTCOME_WORDS: dict[str, str] = {
    "changed": "submitted",
    "ok": "already done",
    "would-change": "would be submitted (check mode)",
    "failed": "failed",
    "needs-input": "waiting for input",
    "interrupted": "interrupted",
    "pending": "not started",
    "running": "still running",
}


@dataclass
class RunSummary:
    """How one renewal batch went, per client. Lists hold ``(iec, firm_name, text)``."""

    batch_id: str
    started: datetime | None = None
    ended: datetime | None = None
    status: str = "finished"  # the batch's: running | finished | paused | interrupted
    check_mode: bool = False
    totals: dict[str, int] = field(default_factory=dict)  # jobs by outcome
    done: list[tuple[str, str, str | None]] = field(default_factory=list)  # ack, if any
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # the error
    needs_input: list[tuple[str, str, str]] = field(default_factory=list)  # what it waited for
    already_done: list[str] = field(default_factory=list)  # IECs in done, not submitted now
    in_progress: list[str] = field(default_factory=list)  # IECs in done, with the RA

    @property
    def clients(self) -> int:
        return sum(self.totals.values())

    @property
    def subject(self) -> str:
        parts = [f"{n} {word}" for word, n in self._counted() if n]
        head = "DGFT IEC update" + (" (check mode)" if self.check_mode else "")
        return mask(f"{head}: {', '.join(parts) or 'nothing to do'} [{self.batch_id}]")

    def _counted(self) -> list[tuple[str, int]]:
        known = [(OUTCOME_WORDS[k], self.totals.get(k, 0)) for k in OUTCOME_WORDS]
        other = [(k, n) for k, n in sorted(self.totals.items()) if k not in OUTCOME_WORDS]
        return known + other

    def to_dict(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "status": self.status,
            "check_mode": self.check_mode,
            "started": self.started.isoformat(timespec="seconds") if self.started else None,
            "ended": self.ended.isoformat(timespec="seconds") if self.ended else None,
            "totals": dict(self.totals),
            "done": [
                {
                    "iec": iec,
                    "firm_name": firm,
                    "ack_number": ack,
                    "already_done": iec in self.already_done,
                    "in_progress": iec in self.in_progress,
                }
                for iec, firm, ack in self.done
            ],
            "failed": [{"iec": i, "firm_name": f, "error": e} for i, f, e in self.failed],
            "needs_input": [{"iec": i, "firm_name": f, "what": w} for i, f, w in self.needs_input],
        }


def summarise(
    journal: Journal,
    batch_id: str,
    records: Iterable[ClientRecord | tuple[int, ClientRecord]] = (),
) -> RunSummary:
    """Read batch ``batch_id`` back from the journal; firm names come from ``records``."""
    firms: dict[str, str] = {}
    for item in records:
        record = item[1] if isinstance(item, tuple) else item
        firms.setdefault(record.iec, record.firm_name)
    batch = journal.batch(batch_id)
    summary = RunSummary(
        batch_id=batch_id,
        started=_moment(batch.created_at),
        ended=_moment(batch.finished_at),
        status=batch.status,
        check_mode=batch.check_mode,
    )
    for job in journal.jobs(batch_id=batch_id):
        summary.totals[job.status] = summary.totals.get(job.status, 0) + 1
        iec = job.client or "?"
        firm = firms.get(iec, "")
        result = job.result
        ack = _text(result.get("ack_number"))
        app = (_text(result.get("application_status")) or "").lower()
        if job.status == "changed" and app == APP_DEFICIENT:
            why = f"submitted{f' (acknowledgement {ack})' if ack else ''} but the application"
            why += " came back Deficient: correct the client's details; the next run resubmits"
            summary.failed.append((iec, firm, why))
        elif job.status in ("changed", "ok"):
            summary.done.append((iec, firm, ack))
            if job.status == "ok":
                summary.already_done.append(iec)
            elif app == APP_IN_PROGRESS:
                summary.in_progress.append(iec)
        elif job.status == "failed":
            error = job.error or job.error_kind or "no reason recorded"
            step = f" (at {job.error_step})" if job.error_step else ""
            summary.failed.append((iec, firm, f"{error}{step}"))
        elif job.status == "needs-input":
            summary.needs_input.append((iec, firm, job.error or "a challenge nobody answered"))
    return summary


# -- the text --------------------------------------------------------------------------------


def render_text(summary: RunSummary) -> str:
    """The email body: counts first, then what needs a person, then what was done."""
    lines = [f"Annual IEC update on the DGFT portal: run {summary.batch_id}"]
    if summary.check_mode:
        lines.append("Check mode: nothing was submitted.")
    lines.append(_when(summary))
    lines.append("")
    counts = ", ".join(f"{n} {word}" for word, n in summary._counted() if n)
    lines.append(f"{_plural(summary.clients, 'client')}: {counts or 'nothing to do'}.")
    if summary.needs_input:
        lines += ["", f"Waiting for input ({len(summary.needs_input)})"]
        lines += [
            "  Nobody gave the OTP or captcha in time. The next scheduled run asks again;",
            "  while it waits, `rpa challenges` lists what it needs and",
            "  `rpa otp give JOB CODE` answers.",
        ]
        lines += [_item(iec, firm, what) for iec, firm, what in summary.needs_input]
    if summary.failed:
        lines += ["", f"Failed ({len(summary.failed)})"]
        lines += [_item(iec, firm, error) for iec, firm, error in summary.failed]
    if summary.done:
        lines += ["", f"Done ({len(summary.done)})"]
        for iec, firm, ack in summary.done:
            if iec in summary.already_done:
                what = "already updated this year" + (f" (acknowledgement {ack})" if ack else "")
            else:
                what = "submitted" + (f", acknowledgement {ack}" if ack else "")
                if iec in summary.in_progress:
                    what += "; with the Regional Authority"
            lines.append(_item(iec, firm, what))
    lines += ["", f"Details: rpa jobs list --batch {summary.batch_id}", ""]
    return mask("\n".join(lines))


def _item(iec: str, firm: str, text: str) -> str:
    return f"  - {iec}  {firm}: {text}" if firm else f"  - {iec}: {text}"


def _when(summary: RunSummary) -> str:
    if summary.started is None:
        return f"Status: {summary.status}."
    started = summary.started.astimezone(IST)
    text = f"Started {started:%d %b %Y %H:%M} IST"
    if summary.ended is not None:
        ended = summary.ended.astimezone(IST)
        same_day = ended.date() == started.date()
        text += f", ended {ended:%H:%M}" if same_day else f", ended {ended:%d %b %Y %H:%M}"
        text += " IST"
    return f"{text} ({summary.status})."


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# -- sending ---------------------------------------------------------------------------------


def notify(summary: RunSummary, settings: Settings) -> list[str]:
    """Send ``summary`` by every configured channel; return what was sent (never raises)."""
    sent: list[str] = []
    recipients = settings.notify_recipients
    if settings.smtp_host and recipients:
        try:
            send_email(summary, settings)
            sent.append(f"email to {', '.join(recipients)}")
        except RpaError as exc:
            logger.warning("the run summary was not emailed: {}", exc)
    elif settings.smtp_host or recipients:
        missing = "RPA_NOTIFY_EMAIL_TO" if settings.smtp_host else "RPA_SMTP_HOST"
        logger.warning("the run summary was not emailed: {} is not set", missing)
    if settings.notify_webhook_url is not None:
        url = settings.notify_webhook_url.get_secret_value()
        if url and send_webhook(summary, url):
            sent.append(f"webhook to {_where(url)}")
    return sent


def send_email(summary: RunSummary, settings: Settings) -> None:
    """Email ``render_text(summary)``; raise ``NotifyError`` when it cannot be delivered."""
    recipients = settings.notify_recipients
    if not settings.smtp_host or not recipients:
        raise ConfigError("email needs RPA_SMTP_HOST and RPA_NOTIFY_EMAIL_TO")
    send_mail(settings, recipients, summary.subject, render_text(summary), what="the run summary")
    logger.info("run summary emailed to {}", ", ".join(recipients))


def send_webhook(summary: RunSummary, url: str, *, timeout: float = WEBHOOK_TIMEOUT_S) -> bool:
    """POST the summary as JSON to ``url``; True when the server accepted it (2xx).

    The body is ``RunSummary.to_dict()`` plus ``text`` (the email body), so chat webhooks
    that show a ``text`` field (Slack, Mattermost, Google Chat) need no adapter. Any
    failure is logged as a warning and returns False: a notification never fails a run.
    """
    register_secret(url)
    payload = mask_deep({**summary.to_dict(), "text": render_text(summary)})
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    headers = {"content-type": "application/json", "user-agent": "dgft-rpa"}
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=timeout)
    except Exception as exc:  # any failure at all: bad URL, refused, timeout, TLS
        logger.warning(
            "the run summary was not posted to {}: {}", _where(url), mask(str(exc) or repr(exc))
        )
        return False
    if not response.is_success:
        logger.warning(
            "the run summary was not accepted by {}: HTTP {}", _where(url), response.status_code
        )
        return False
    logger.info("run summary posted to {}", _where(url))
    return True


def send_mail(
    settings: Settings,
    recipients: list[str],
    subject: str,
    text: str,
    *,
    what: str,
    timeout_s: float = SMTP_TIMEOUT_S,
) -> None:
    """Send ``text`` by the SMTP settings (SSL on 465, else STARTTLS when set; login when a
    user is set); raise ``NotifyError`` naming ``what`` when it cannot be delivered."""
    assert settings.smtp_host
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
    register_secret(password)
    message = EmailMessage()
    message["From"] = settings.notify_email_from or f"dgft-rpa@{socket.gethostname()}"
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain="dgft-rpa")
    message.set_content(text)
    host, port = settings.smtp_host, settings.smtp_port
    try:
        smtp: smtplib.SMTP
        if port == 465:
            smtp = smtplib.SMTP_SSL(
                host, port, timeout=timeout_s, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout_s)
        with smtp:
            if settings.smtp_starttls and port != 465:
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_user:
                smtp.login(settings.smtp_user, password)
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise NotifyError(
            mask(f"cannot email {what} via {host}:{port}: {exc}"), channel="email"
        ) from exc


def _where(url: str) -> str:
    """``https://hooks.example.com`` of a URL, without the path that may carry a token."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}" if parts.hostname else "the webhook"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _moment(stamp: str | None) -> datetime | None:
    if not stamp:
        return None
    try:
        return datetime.fromisoformat(stamp)
    except ValueError:
        return None
