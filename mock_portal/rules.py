"""Business rules that depend on the portal clock: the annual window, de-activation, OTPs.

- Financial year (FY) ``N`` runs from 1 April N to 31 March N+1.
- The annual update window is 1 April – 30 June of the FY [S].
- After 30 June, an IEC whose ``last_updated`` is before 1 April of the current FY is
  De-activated [S]; computed lazily when read. An IEC with an application pending (status
  In Progress) is not de-activated [S]. A successful update re-activates it [S].
- OTPs are 6 digits, valid 15 minutes by the portal clock [S].
"""

from __future__ import annotations

import secrets
import sqlite3
from datetime import date, datetime, timedelta
from typing import Any

from mock_portal import state, wording

OTP_VALIDITY = timedelta(minutes=15)
CONTACTS_VALIDITY = timedelta(days=365)


def financial_year(day: date) -> int:
    return day.year if day.month >= 4 else day.year - 1


def window(fy: int) -> tuple[date, date]:
    return date(fy, 4, 1), date(fy, 6, 30)


def effective_status(conn: sqlite3.Connection, record: dict[str, Any], today: date) -> str:
    """ "active" or "deactivated", applying the annual window lazily."""
    if record.get("status") == "deactivated":
        return "deactivated"
    fy = financial_year(today)
    start, end = window(fy)
    if today <= end:
        return "active"
    last = date.fromisoformat(record["last_updated"]) if record.get("last_updated") else None
    if last is not None and last >= start:
        return "active"
    pending = [
        a
        for a in state.applications(conn, iec=record["iec"], kind="update")
        if a["status"] == wording.APP_IN_PROGRESS
    ]
    return "active" if pending else "deactivated"


def status_words(status: str) -> tuple[str, str]:
    if status == "active":
        return wording.STATUS_ACTIVE, wording.STATUS_ACTIVE_DETAIL
    return wording.STATUS_DEACTIVATED, wording.STATUS_DEACTIVATED_DETAIL


def due_for_deactivation(record: dict[str, Any], today: date) -> bool:
    """Not yet updated in the current FY (the public LIEC list)."""
    start, _ = window(financial_year(today))
    last = record.get("last_updated")
    return last is None or date.fromisoformat(last) < start


def blocking_application(conn: sqlite3.Connection, iec: str, today: date) -> dict[str, Any] | None:
    """What stops a new update: any pending application, one approved this FY, or an IEC
    whose update for this FY is already recorded (``last_updated`` on or after 1 April)
    [I: the annual update is made once a financial year]."""
    fy = financial_year(today)
    for app in state.applications(conn, iec=iec, kind="update"):
        if app["status"] == wording.APP_IN_PROGRESS:
            return app
        if app["status"] == wording.APP_APPROVED and app["fy"] == fy:
            return app
    record = state.get_iec(conn, iec)
    if record is not None and not due_for_deactivation(record, today):
        return {"iec": iec, "fy": fy, "status": wording.APP_APPROVED, "ack": None}
    return None


def contacts_need_reverify(record: dict[str, Any], now: datetime) -> bool:
    verified = record.get("contacts_verified_on")
    if not verified:
        return True
    return now.date() - date.fromisoformat(verified[:10]) > CONTACTS_VALIDITY


# --- OTPs, kept in the session's data --------------------------------------------------------


def new_otp() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def issue_otp(
    conn: sqlite3.Connection,
    session: dict[str, Any],
    key: str,
    *,
    to: str,
    channel: str,
    purpose: str,
    now: datetime,
) -> str:
    """Make an OTP, remember it under ``key`` in the session data, and 'send' it."""
    otp = new_otp()
    session.setdefault("otps", {})[key] = {"otp": otp, "sent_at": now.isoformat(), "to": to}
    state.send(
        conn, to=to, channel=channel, text=wording.otp_sms(otp, purpose), otp=otp, sent_at=now
    )
    return otp


def check_otp(session: dict[str, Any], key: str, given: str, now: datetime) -> str | None:
    """None when right; else the message (not sent, expired, wrong)."""
    entry = session.get("otps", {}).get(key)
    if entry is None:
        return wording.OTP_NOT_SENT
    if now - datetime.fromisoformat(entry["sent_at"]) > OTP_VALIDITY:
        return wording.OTP_EXPIRED
    if given.strip() != entry["otp"]:
        return wording.OTP_WRONG
    return None


def clear_otps(session: dict[str, Any], *keys: str) -> None:
    for key in keys:
        session.get("otps", {}).pop(key, None)
