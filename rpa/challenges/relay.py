"""One-time links that let a client type an OTP sent to their own phone or mailbox.

``send_link`` makes a token (``secrets.token_urlsafe(32)``: 256 random bits), stores only
its SHA-256 (``ChallengeStore.add_relay_token``), expiring with the OTP, and sends the
client ``RELAY_URL/r/TOKEN``: by email (the SMTP settings, to the client's email) or by a
JSON POST to ``RPA_RELAY_WEBHOOK_URL`` (an SMS or WhatsApp gateway, with the client's
mobile). The client's ``otp_relay`` column chooses (``email`` | ``sms``); without one,
email when SMTP is set up, else the webhook. The page the link opens is
``rpa.console.relay``; the link is spent by one answer.

Neither the token nor the link is ever logged or written to the journal.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

import httpx
from loguru import logger

from rpa.config import Settings
from rpa.errors import ConfigError, NotifyError
from rpa.journal.challenge_store import Challenge, ChallengeStore, console_serving
from rpa.notify import send_mail

SEND_TIMEOUT_S = 15.0
RELAY_PATH = "/r/"
RELAY_MODES = ("email", "sms", "none")


@dataclass(frozen=True)
class Sent:
    via: str  # email | webhook
    to: str  # masked: where the link went


def new_token() -> str:
    return secrets.token_urlsafe(32)


def relay_base(settings: Settings) -> str:
    """The address the links point at: ``RPA_RELAY_URL``, else the relay listener or the
    console that serves the data dir (what it wrote in its heartbeat)."""
    if settings.relay_url:
        return settings.relay_url.rstrip("/")
    beat = console_serving(settings.data_dir) or {}
    base = beat.get("relay_url") or beat.get("url")
    if not base:
        raise ConfigError(
            "no address for the relay link: set RPA_RELAY_URL (the relay pages' public "
            "address) or run `rpa serve` for this data dir"
        )
    return str(base).rstrip("/")


def channel_for(settings: Settings, challenge: Challenge) -> str:
    """``email`` or ``webhook``, as the client's ``otp_relay`` asks, else what is set up."""
    email = challenge.relay_to.get("email")
    mobile = challenge.relay_to.get("mobile")
    can_email = bool(settings.smtp_host and email)
    can_post = bool(settings.relay_webhook_url and mobile)
    wanted = challenge.relay_mode
    if wanted == "email" and can_email:
        return "email"
    if wanted == "sms" and can_post:
        return "webhook"
    if can_email:  # what the client asked for is not set up: what is
        return "email"
    if can_post:
        return "webhook"
    missing = []
    if not settings.smtp_host:
        missing.append("RPA_SMTP_HOST (to email the link)")
    if not settings.relay_webhook_url:
        missing.append("RPA_RELAY_WEBHOOK_URL (to send it by SMS)")
    if not email and not mobile:
        missing.append("the client's email or mobile")
    raise ConfigError("cannot send the client a link: set " + " or ".join(missing))


def send_link(settings: Settings, store: ChallengeStore, challenge: Challenge, *, by: str) -> Sent:
    """Make a one-time link for ``challenge`` (an OTP) and send it to the client."""
    if challenge.kind != "otp":
        raise ConfigError("only an OTP can be relayed to the client")
    if not challenge.waiting or challenge.expires_at is None:
        raise ConfigError("this OTP is no longer waiting")
    via = channel_for(settings, challenge)
    token = new_token()
    link = relay_base(settings) + RELAY_PATH + token
    firm = challenge.firm or challenge.client or "your firm"
    where = challenge.destination or "you"
    text = (
        f"DGFT asked for the OTP sent to {where} for {firm}. "
        f"Enter it here (the link works once, for {max(1, challenge.seconds_left // 60)} min): "
        f"{link}"
    )
    store.add_relay_token(challenge.id, token, expires_at=challenge.expires_at, via=via, by=by)
    if via == "email":
        to = challenge.relay_to["email"]
        _email(settings, to, f"OTP for {firm}", text)
        sent = Sent("email", _masked(to))
    else:
        mobile = challenge.relay_to["mobile"]
        assert settings.relay_webhook_url is not None
        _post(
            settings.relay_webhook_url.get_secret_value(),
            {"to": mobile, "text": text, "url": link, "firm": firm, "iec": challenge.client},
        )
        sent = Sent("webhook", _masked(mobile))
    logger.info("OTP relay link for {} sent by {} to {}", challenge.client, sent.via, sent.to)
    return sent


def _masked(address: str) -> str:
    from rpa.challenges.base import mask_destination

    return mask_destination(address)


def _email(settings: Settings, to: str, subject: str, text: str) -> None:
    send_mail(settings, [to], subject, text, what="the relay link", timeout_s=SEND_TIMEOUT_S)


def _post(url: str, payload: dict[str, object]) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    headers = {"content-type": "application/json", "user-agent": "dgft-rpa"}
    try:
        response = httpx.post(url, content=body, headers=headers, timeout=SEND_TIMEOUT_S)
    except Exception as exc:
        raise NotifyError(
            f"the relay link was not posted to the gateway: {type(exc).__name__}",
            channel="webhook",
        ) from exc
    if not response.is_success:
        raise NotifyError(
            f"the gateway refused the relay link: HTTP {response.status_code}", channel="webhook"
        )
