"""The test-control API under ``/__mock__/`` (JSON; only with ``test_mode``, else 404).

- ``POST /__mock__/reset``: empty every table, clock and faults included.
- ``POST /__mock__/seed`` ``{"users": [...], "iecs": [...]}``: see :func:`seed`.
- ``GET /__mock__/outbox?to=ADDRESS``: messages, newest first.
- ``GET /__mock__/captcha/{id}``: ``{"answer"}``.
- ``GET /__mock__/users/{email}``: ``{email, failed_logins, locked, must_change_password}``.
- ``GET /__mock__/iecs/{iec}``: the record with its effective ``status``.
- ``GET /__mock__/applications?iec=IEC``.
- ``GET /__mock__/tokens?iec=IEC``: the DSC tokens, one entry per certificate, with the
  signatures each certificate's key made.
- ``GET /__mock__/signatures?iec=IEC``: each signature a token made, oldest first, with the
  name of the emBridge (the PC) that made it: ``[{token, key_id, iec, embridge, at}]``.
- ``POST /__mock__/clock`` ``{"now": ISO | null}``; ``GET`` reads it.
- ``POST /__mock__/faults`` ``{seed, latency_ms, jitter_ms, error_rate, error_statuses,
  session_ttl_s, announcement_rate, maintenance, embridge_down, busy_actions}``; ``GET``
  reads them.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mock_portal import rules, state
from mock_portal.web import Settings

FAULT_KEYS = {
    "seed",
    "busy_actions",
    "latency_ms",
    "jitter_ms",
    "error_rate",
    "error_statuses",
    "session_ttl_s",
    "session_max_age_s",
    "announcement_rate",
    "maintenance",
    "embridge_down",
}


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def guarded(handler: Any) -> Any:
    async def endpoint(request: Request) -> Response:
        settings = _settings(request)
        if not settings.test_mode:
            return Response("Not Found", status_code=404)
        conn = state.connect(settings.db_path)
        try:
            result: Response = await handler(request, conn)
            return result
        except (KeyError, ValueError, TypeError, sqlite3.IntegrityError) as exc:
            return JSONResponse({"error": f"{type(exc).__name__}: {exc}"}, status_code=400)
        finally:
            conn.close()

    return endpoint


async def reset(request: Request, conn: sqlite3.Connection) -> Response:
    state.reset(conn)
    _settings(request).injector.reset()
    return JSONResponse({"ok": True})


def seed_data(conn: sqlite3.Connection, payload: dict[str, Any]) -> dict[str, Any]:
    """Create users and IEC records (with their DSC tokens and Aadhaar holders)."""
    from mock_portal import dsc

    created: dict[str, Any] = {"users": [], "iecs": []}
    for user in payload.get("users") or []:
        state.create_user(
            conn,
            email=user["email"],
            password=user["password"],
            mobile=str(user["mobile"]),
            name=user["name"],
            must_change_password=bool(user.get("must_change_password", False)),
            failed_logins=seeded_failed_logins(user),
        )
        created["users"].append({"email": user["email"].lower()})
    for item in payload.get("iecs") or []:
        record = normalise_iec(item)
        state.put_iec(conn, record)
        tokens = dsc.create_tokens(conn, iec=record["iec"], specs=list(item.get("dsc") or []))
        aadhaar = item.get("aadhaar")
        if aadhaar:
            state.put_aadhaar(conn, aadhaar)
        created["iecs"].append({"iec": record["iec"], "tokens": tokens})
    return created


def seeded_failed_logins(user: dict[str, Any]) -> int:
    """A seeded user's refused logins in a row: ``failed_logins``, at least the limit when
    ``locked`` is true."""
    failed = int(user.get("failed_logins") or 0)
    if user.get("locked"):
        failed = max(failed, state.LOCK_AFTER_FAILED_LOGINS)
    return failed


def normalise_iec(item: dict[str, Any]) -> dict[str, Any]:
    def day(value: Any) -> str | None:
        return None if value in (None, "") else date.fromisoformat(str(value)[:10]).isoformat()

    address = dict(item.get("address") or {})
    banks = state.seed_banks(item)
    record = {
        "iec": str(item["iec"]).upper(),
        "pan": str(item["pan"]).upper(),
        "firm_name": item["firm_name"],
        "name_as_per_pan": item.get("name_as_per_pan") or item["firm_name"],
        "dob": day(item["dob"]),
        "nature_of_concern": item.get("nature_of_concern", "Proprietorship"),
        "exporter_category": item.get("exporter_category", "Merchant Exporter"),
        "gstin": item.get("gstin", ""),
        "address": {
            k: str(address.get(k) or "") for k in ("line1", "line2", "city", "state", "pin")
        },
        "email": str(item.get("email") or "").lower(),
        "mobile": str(item.get("mobile") or ""),
        "status": "deactivated" if item.get("status") == "deactivated" else "active",
        "issue_date": day(item.get("issue_date") or item.get("last_updated")),
        "last_updated": day(item.get("last_updated")),
        "contacts_verified_on": day(item.get("contacts_verified_on")),
        "linked_user": (item.get("linked_user") or None) and str(item["linked_user"]).lower(),
        "branches": [dict(b) for b in item.get("branches") or []],
        "banks": banks,
        "bank": dict(banks[0]) if banks else {},  # the first account (the e-IEC prints it)
        "npci_accounts": state.seed_npci_accounts(item),
        "directors": [dict(d) for d in item.get("directors") or []],
        "sez": item.get("sez", "No"),
        "eou": item.get("eou", "No"),
        "rcmc": item.get("rcmc", ""),
    }
    for d in record["directors"]:
        if d.get("dob"):
            d["dob"] = day(d["dob"])
    return record


async def seed(request: Request, conn: sqlite3.Connection) -> Response:
    return JSONResponse(seed_data(conn, await request.json()))


async def outbox(request: Request, conn: sqlite3.Connection) -> Response:
    return JSONResponse(state.outbox(conn, request.query_params.get("to")))


async def captcha(request: Request, conn: sqlite3.Connection) -> Response:
    answer = state.captcha_answer(conn, request.path_params["cid"])
    if answer is None:
        return JSONResponse({"error": "unknown captcha"}, status_code=404)
    return JSONResponse({"answer": answer})


async def user(request: Request, conn: sqlite3.Connection) -> Response:
    row = state.get_user(conn, request.path_params["email"])
    if row is None:
        return JSONResponse({"error": "unknown user"}, status_code=404)
    return JSONResponse(
        {
            "email": row["email"],
            "failed_logins": row["failed_logins"],
            "locked": state.is_locked(row),
            "must_change_password": bool(row["must_change_password"]),
        }
    )


async def iec(request: Request, conn: sqlite3.Connection) -> Response:
    record = state.get_iec(conn, request.path_params["iec"])
    if record is None:
        return JSONResponse({"error": "unknown IEC"}, status_code=404)
    record["status"] = rules.effective_status(conn, record, state.today(conn))
    return JSONResponse(record)


async def applications(request: Request, conn: sqlite3.Connection) -> Response:
    apps = state.applications(conn, iec=request.query_params.get("iec"))
    return JSONResponse(apps)


async def tokens(request: Request, conn: sqlite3.Connection) -> Response:
    from mock_portal import dsc

    return JSONResponse(dsc.token_summaries(conn, iec=request.query_params.get("iec")))


async def signatures(request: Request, conn: sqlite3.Connection) -> Response:
    from mock_portal import dsc

    return JSONResponse(dsc.signature_log(conn, iec=request.query_params.get("iec")))


async def clock(request: Request, conn: sqlite3.Connection) -> Response:
    if request.method == "POST":
        body = await request.json()
        now = body.get("now")
        if now is not None:
            state.set_clock(conn, str(now))
        else:
            state.set_clock(conn, None)
    return JSONResponse({"now": state.now(conn).isoformat()})


async def faults(request: Request, conn: sqlite3.Connection) -> Response:
    if request.method == "POST":
        body = await request.json()
        unknown = set(body) - FAULT_KEYS
        if unknown:
            raise ValueError(f"unknown fault keys: {sorted(unknown)}")
        state.set_faults(conn, {k: v for k, v in body.items() if v not in (None, False)})
        _settings(request).injector.reset()
    return JSONResponse(state.get_faults(conn))


async def expire_sessions(request: Request, conn: sqlite3.Connection) -> Response:
    body = await request.json() if await request.body() else {}
    email = body.get("email")
    return JSONResponse({"expired": state.expire_sessions(conn, email)})


ROUTES = [
    Route("/__mock__/reset", guarded(reset), methods=["POST"]),
    Route("/__mock__/seed", guarded(seed), methods=["POST"]),
    Route("/__mock__/outbox", guarded(outbox), methods=["GET"]),
    Route("/__mock__/captcha/{cid}", guarded(captcha), methods=["GET"]),
    Route("/__mock__/users/{email}", guarded(user), methods=["GET"]),
    Route("/__mock__/iecs/{iec}", guarded(iec), methods=["GET"]),
    Route("/__mock__/applications", guarded(applications), methods=["GET"]),
    Route("/__mock__/tokens", guarded(tokens), methods=["GET"]),
    Route("/__mock__/signatures", guarded(signatures), methods=["GET"]),
    Route("/__mock__/clock", guarded(clock), methods=["GET", "POST"]),
    Route("/__mock__/faults", guarded(faults), methods=["GET", "POST"]),
    Route("/__mock__/sessions/expire", guarded(expire_sessions), methods=["POST"]),
]
