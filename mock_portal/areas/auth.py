"""Login (with captcha; an account locks after refused logins in a row), registration
(mobile + email OTP), forgot/change password (a reset unlocks the account), logout."""

from __future__ import annotations

import re
import secrets
import string

from starlette.responses import Response

from mock_portal import rules, state, wording
from mock_portal.areas.public import new_captcha
from mock_portal.web import DASHBOARD_URL, Ctx, action, web_url, webhp_url

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MOBILE_RE = re.compile(r"^[6-9]\d{9}$")
PIN_RE = re.compile(r"^[1-9]\d{5}$")
PASSWORD_RE = re.compile(r"^(?=.*[a-z])(?=.*[A-Z])(?=.*\d)(?=.*[^A-Za-z0-9]).{8,20}$")

LOGIN_MESSAGES = {
    "timeout": ("error", wording.SESSION_TIMED_OUT),
    "login": ("error", wording.LOGIN_REQUIRED),
    "changed": ("message", wording.PASSWORD_CHANGED),
    "reset": ("message", wording.PASSWORD_RESET),
    "logout": ("message", wording.LOGGED_OUT),
}

REG_FIELDS = [
    ("userType", "Register User As"),
    ("firstName", "First Name"),
    ("lastName", "Last Name"),
    ("email", "Email ID"),
    ("mobile", "Mobile Number"),
    ("pinCode", "Pin code"),
    ("district", "District"),
    ("state", "State"),
    ("city", "City"),
]

LOGIN_CRUMBS: list[tuple[str, str | None]] = [("Home", "/CP/"), ("Login", None)]


def _login_page(ctx: Ctx, *, error: str = "", message: str = "", username: str = "") -> Response:
    return ctx.render(
        "auth/login.html",
        title="Login",
        breadcrumb=LOGIN_CRUMBS,
        error=error,
        message=message,
        username=username,
        captcha_id=new_captcha(ctx),
    )


@action("loginPage", login=False, methods=("GET",))
async def login_page(ctx: Ctx) -> Response:
    if ctx.user is not None:
        return ctx.redirect(DASHBOARD_URL)
    kind, text = LOGIN_MESSAGES.get(ctx.field("msg"), ("", ""))
    return _login_page(
        ctx, error=text if kind == "error" else "", message=text if kind == "message" else ""
    )


@action("checkLogin", login=False, methods=("POST",))
async def check_login(ctx: Ctx) -> Response:
    username, password = ctx.field("username").lower(), ctx.field("password")
    answer, cid = ctx.field("captcha"), ctx.field("captchaId")
    if not answer:
        return _login_page(ctx, error=wording.CAPTCHA_REQUIRED, username=username)
    if not state.consume_captcha(ctx.conn, cid, answer):
        return _login_page(ctx, error=wording.CAPTCHA_WRONG, username=username)
    if not username or not password:
        return _login_page(ctx, error=wording.LOGIN_FIELDS_REQUIRED, username=username)
    user = state.get_user(ctx.conn, username)
    if user is None:
        return _login_page(ctx, error=wording.LOGIN_FAILED, username=username)
    if state.is_locked(user) or not state.check_password(user["password_hash"], password):
        # Every refusal counts, a locked account's too; the one that reaches the limit
        # already answers that the account is locked.
        refused = state.login_refused(ctx.conn, user["email"])
        locked = refused >= state.LOCK_AFTER_FAILED_LOGINS
        error = wording.ACCOUNT_LOCKED if locked else wording.LOGIN_FAILED
        return _login_page(ctx, error=error, username=username)
    state.login_accepted(ctx.conn, user["email"])
    ctx.start_session(user["email"])
    faults = state.get_faults(ctx.conn)
    rate = float(faults.get("announcement_rate") or 0)
    if ctx.settings.injector.chance(faults, rate):
        ctx.data["announcement"] = True
    if user["must_change_password"]:
        return ctx.redirect(web_url("changePassword"))
    return ctx.redirect(DASHBOARD_URL)


@action("logout", methods=("GET", "POST"))
async def logout(ctx: Ctx) -> Response:
    ctx.start_session(None)
    return ctx.redirect(webhp_url("loginPage", msg="logout"))


# --- change password (forced at first login) ------------------------------------------------


@action("changePassword")
async def change_password(ctx: Ctx) -> Response:
    assert ctx.user is not None
    forced = bool(ctx.user["must_change_password"])
    error = ""
    if ctx.method == "POST":
        old, new, confirm = (
            ctx.field("oldPassword"),
            ctx.field("newPassword"),
            ctx.field("confirmPassword"),
        )
        if not state.check_password(ctx.user["password_hash"], old):
            error = wording.OLD_PASSWORD_WRONG
        elif not PASSWORD_RE.match(new):
            error = wording.PASSWORD_RULES
        elif new != confirm:
            error = wording.PASSWORD_MISMATCH
        else:
            state.set_password(ctx.conn, ctx.email, new)
            ctx.start_session(None)
            return ctx.redirect(webhp_url("loginPage", msg="changed"))
    return ctx.render(
        "auth/change_password.html",
        title="Change Password",
        breadcrumb=[("Home", "/CP/"), ("Change Password", None)],
        error=error,
        message=wording.PASSWORD_CHANGE_REQUIRED if forced and not error else "",
    )


# --- registration -------------------------------------------------------------------------


def _registration_page(
    ctx: Ctx,
    *,
    values: dict[str, str],
    otp_sent: bool = False,
    error: str = "",
    message: str = "",
) -> Response:
    return ctx.render(
        "auth/register.html",
        title="Register",
        breadcrumb=[("Home", "/CP/"), ("Register", None)],
        values=values,
        otp_sent=otp_sent,
        error=error,
        message=message,
        captcha_id=new_captcha(ctx),
        states=wording.STATES,
    )


@action("registration", login=False, methods=("GET",))
async def registration(ctx: Ctx) -> Response:
    return _registration_page(ctx, values={})


def _validate_registration(ctx: Ctx, values: dict[str, str]) -> str:
    for key, label in REG_FIELDS:
        if not values.get(key):
            return wording.REG_FIELD_REQUIRED.format(field=label)
    if not EMAIL_RE.match(values["email"]):
        return wording.REG_EMAIL_INVALID
    if not MOBILE_RE.match(values["mobile"]):
        return wording.REG_MOBILE_INVALID
    if not PIN_RE.match(values["pinCode"]):
        return wording.REG_PIN_INVALID
    if state.get_user(ctx.conn, values["email"]) is not None:
        return wording.REG_EMAIL_TAKEN
    return ""


@action("sendRegistrationOtp", login=False, methods=("POST",))
async def send_registration_otp(ctx: Ctx) -> Response:
    values = {key: ctx.field(key) for key, _ in REG_FIELDS}
    values["email"] = values["email"].lower()
    error = _validate_registration(ctx, values)
    if not error and ctx.field("terms") != "on":
        error = wording.REG_TERMS
    if not error:
        if not ctx.field("captcha"):
            error = wording.CAPTCHA_REQUIRED
        elif not state.consume_captcha(ctx.conn, ctx.field("captchaId"), ctx.field("captcha")):
            error = wording.CAPTCHA_WRONG
    if error:
        return _registration_page(ctx, values=values, error=error)
    ctx.data["registration"] = values
    for key, to, channel in (
        ("reg_mobile", values["mobile"], "sms"),
        ("reg_email", values["email"], "email"),
    ):
        rules.issue_otp(
            ctx.conn, ctx.data, key, to=to, channel=channel, purpose="registration", now=ctx.now
        )
    return _registration_page(ctx, values=values, otp_sent=True, message=wording.REG_OTP_SENT)


@action("registerUser", login=False, methods=("POST",))
async def register_user(ctx: Ctx) -> Response:
    values = ctx.data.get("registration")
    if not values:
        return _registration_page(ctx, values={}, error=wording.OTP_NOT_SENT)
    for key, field, wrong in (
        ("reg_mobile", "mobileOtp", wording.OTP_MOBILE_WRONG),
        ("reg_email", "emailOtp", wording.OTP_EMAIL_WRONG),
    ):
        problem = rules.check_otp(ctx.data, key, ctx.field(field), ctx.now)
        if problem:
            error = wrong if problem == wording.OTP_WRONG else problem
            return _registration_page(ctx, values=values, otp_sent=True, error=error)
    if state.get_user(ctx.conn, values["email"]) is not None:
        return _registration_page(ctx, values=values, error=wording.REG_EMAIL_TAKEN)
    password = temporary_password()
    state.create_user(
        ctx.conn,
        email=values["email"],
        password=password,
        mobile=values["mobile"],
        name=f"{values['firstName']} {values['lastName']}",
        must_change_password=True,
        profile=values,
        created_at=ctx.now,
    )
    state.send(
        ctx.conn,
        to=values["email"],
        channel="email",
        text=wording.temp_password_mail(password),
        otp=None,
        sent_at=ctx.now,
    )
    rules.clear_otps(ctx.data, "reg_mobile", "reg_email")
    ctx.data.pop("registration", None)
    return ctx.render(
        "auth/registered.html",
        title="Registration",
        breadcrumb=[("Home", "/CP/"), ("Register", None)],
        email=values["email"],
    )


def temporary_password() -> str:
    body = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(7))
    return f"Dg{body}@{secrets.randbelow(10)}"


# --- forgot password ------------------------------------------------------------------------


def _forgot_page(
    ctx: Ctx, *, username: str = "", otp_sent: bool = False, error: str = "", message: str = ""
) -> Response:
    return ctx.render(
        "auth/forgot.html",
        title="Forgot Password",
        breadcrumb=[("Home", "/CP/"), ("Login", webhp_url("loginPage")), ("Forgot Password", None)],
        username=username,
        otp_sent=otp_sent,
        error=error,
        message=message,
    )


@action("forgotPassword", login=False, methods=("GET",))
async def forgot_password(ctx: Ctx) -> Response:
    return _forgot_page(ctx)


@action("sendForgotPasswordOtp", login=False, methods=("POST",))
async def send_forgot_password_otp(ctx: Ctx) -> Response:
    username = ctx.field("username").lower()
    user = state.get_user(ctx.conn, username) if username else None
    if user is None:
        return _forgot_page(ctx, username=username, error=wording.USER_UNKNOWN)
    otp = rules.issue_otp(
        ctx.conn,
        ctx.data,
        "forgot",
        to=user["email"],
        channel="email",
        purpose="password reset",
        now=ctx.now,
    )
    state.send(
        ctx.conn,
        to=user["mobile"],
        channel="sms",
        text=wording.otp_sms(otp, "password reset"),
        otp=otp,
        sent_at=ctx.now,
    )
    ctx.data["forgot_user"] = user["email"]
    return _forgot_page(ctx, username=username, otp_sent=True, message=wording.OTP_SENT_BOTH)


@action("resetPassword", login=False, methods=("POST",))
async def reset_password(ctx: Ctx) -> Response:
    email = ctx.data.get("forgot_user")
    if not email:
        return _forgot_page(ctx, error=wording.OTP_NOT_SENT)
    problem = rules.check_otp(ctx.data, "forgot", ctx.field("otp"), ctx.now)
    new, confirm = ctx.field("newPassword"), ctx.field("confirmPassword")
    if not problem and not PASSWORD_RE.match(new):
        problem = wording.PASSWORD_RULES
    if not problem and new != confirm:
        problem = wording.PASSWORD_MISMATCH
    if problem:
        return _forgot_page(ctx, username=email, otp_sent=True, error=problem)
    state.set_password(ctx.conn, email, new)
    rules.clear_otps(ctx.data, "forgot")
    ctx.data.pop("forgot_user", None)
    return ctx.redirect(webhp_url("loginPage", msg="reset"))
