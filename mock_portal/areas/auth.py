"""Login (a modal loaded into the page, a captcha pre-check, the password AES-encrypted in the
page, errors in bootbox pop-ups; an account locks after refused logins in a row),
registration (mobile + email OTP), forgot/change password (a reset unlocks the account),
logout.

The login, as PORTAL.md §6 has it [S]: the header's Login link loads
``webHP?requestType=ApplicationRH&actionVal=loginModel&screenId=90000512`` into
``#mainSectionWrap`` (fields ``username``, ``password``, ``txt_Captcha``; ``img#captcha``
from ``SimpleCaptcha?...``; a salt in ``#temp_key``). ``static/login.js`` pre-checks the
captcha (``checkCaptcha``), encrypts the password (``mock_portal.login_crypto``), posts to
``/CP/j_spring_security_check`` and, when the portal takes it, lands through
``web?...actionVal=checkLogin`` on the dashboard (or the forced password change). Refusals
come back as JSON and the page shows them with ``bootbox.alert`` (``static/bootbox.js``).
"""

from __future__ import annotations

import re
import secrets
import string

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mock_portal import login_crypto, rules, state, wording
from mock_portal.areas.public import captcha_image, new_captcha
from mock_portal.web import (
    DASHBOARD_URL,
    Ctx,
    _dispatch,
    action,
    env,
    web_url,
    webhp_url,
)

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MOBILE_RE = re.compile(r"^[6-9]\d{9}$")
PIN_RE = re.compile(r"^[1-9]\d{5}$")
PASSWORD_RE = re.compile(r"^(?=.*[a-z])(?=.*[A-Z])(?=.*\d)(?=.*[^A-Za-z0-9]).{8,20}$")

#: The login modal's screen id, as on the real portal [S].
LOGIN_SCREEN_ID = "90000512"
SECURITY_CHECK_URL = "/CP/j_spring_security_check"
#: The session key of the login form's ``#temp_key`` salt.
SALT_KEY = "login_salt"

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


def login_url(msg: str | None = None) -> str:
    """The login modal's URL (``msg``: a key of ``LOGIN_MESSAGES``, shown in the modal)."""
    return webhp_url("loginModel", screenId=LOGIN_SCREEN_ID, msg=msg)


env.globals["login_url"] = login_url


def captcha_src(captcha_id: str) -> str:
    return f"/CP/SimpleCaptcha?id={captcha_id}"


def _new_login_captcha(ctx: Ctx) -> dict[str, str]:
    cid = new_captcha(ctx)
    return {"id": cid, "src": captcha_src(cid)}


def _landing(ctx: Ctx) -> str:
    """The landing page's content, drawn under the modal (the modal replaces what
    ``#mainSectionWrap`` held, as the real portal's ``updateContainer`` does)."""
    return env.get_template("public/home.html").render(
        title="Home", breadcrumb=[("Home", None)], csrf=ctx.session.csrf, user=None, now=ctx.now
    )


def _login_modal(
    ctx: Ctx, *, error: str = "", message: str = "", popup: str = "", username: str = ""
) -> Response:
    salt = login_crypto.new_salt()
    ctx.data[SALT_KEY] = salt
    return ctx.render(
        "auth/login_modal.html",
        title=wording.LOGIN_TITLE,
        landing=_landing(ctx),
        error=error,
        message=message,
        popup=popup,
        username=username,
        temp_key=salt,
        captcha=_new_login_captcha(ctx),
        security_check_url=SECURITY_CHECK_URL,
    )


@action("loginModel", login=False, methods=("GET",))
async def login_model(ctx: Ctx) -> Response:
    if ctx.user is not None:
        return ctx.redirect(DASHBOARD_URL)
    kind, text = LOGIN_MESSAGES.get(ctx.field("msg"), ("", ""))
    return _login_modal(
        ctx, error=text if kind == "error" else "", message=text if kind == "message" else ""
    )


@action("loginPage", login=False, methods=("GET",))
async def login_page(ctx: Ctx) -> Response:
    """The mock's old login page: now the landing with the login modal open."""
    msg = ctx.field("msg")
    return ctx.redirect(login_url(msg if msg in LOGIN_MESSAGES else None))


def _captcha_refused(ctx: Ctx, answer: str) -> str:
    """Why the captcha ``answer`` is refused (``""``: it is right). A refused captcha is
    used up; the page gets a new one with the refusal."""
    cid = ctx.field("captchaId")
    if not answer:
        return wording.CAPTCHA_REQUIRED
    expected = state.captcha_answer(ctx.conn, cid)
    if expected is None or expected.upper() != answer.upper():
        state.consume_captcha(ctx.conn, cid, "")
        return wording.CAPTCHA_INCORRECT
    return ""


@action("checkCaptcha", login=False, methods=("POST",))
async def check_captcha(ctx: Ctx) -> Response:
    """The page's captcha pre-check before the login post (the captcha stays good for that
    post when it is right)."""
    refused = _captcha_refused(ctx, ctx.field("txt_Captcha"))
    if refused:
        return ctx.json(
            {"status": "invalid", "message": refused, "captcha": _new_login_captcha(ctx)}
        )
    return ctx.json({"status": "valid"})


def _login_refused(ctx: Ctx, message: str, username: str) -> Response:
    if ctx.xhr:
        return ctx.json({"status": "error", "message": message, "captcha": _new_login_captcha(ctx)})
    return _login_modal(ctx, popup=message, username=username)


@action("springSecurityCheck", login=False, methods=("POST",))
async def security_check(ctx: Ctx) -> Response:
    """``POST /CP/j_spring_security_check``: the captcha again (it is used up here), then
    the password, which must come encrypted for this session's form."""
    username = ctx.field("username").lower()
    answer = ctx.field("txt_Captcha")
    refused = _captcha_refused(ctx, answer)
    if refused:
        return _login_refused(ctx, refused, username)
    state.consume_captcha(ctx.conn, ctx.field("captchaId"), answer)
    encrypted = ctx.field("password")
    if not username or not encrypted:
        return _login_refused(ctx, wording.LOGIN_FIELDS_REQUIRED, username)
    password = login_crypto.decrypt_password(
        encrypted, csrf=ctx.session.csrf, salt=str(ctx.data.get(SALT_KEY) or "")
    )
    if password is None:
        return _login_refused(ctx, wording.LOGIN_NOT_ENCRYPTED, username)
    user = state.get_user(ctx.conn, username)
    if user is None:
        return _login_refused(ctx, wording.LOGIN_FAILED, username)
    if state.is_locked(user) or not state.check_password(user["password_hash"], password):
        # Every refusal counts, a locked account's too; the one that reaches the limit
        # already answers that the account is locked.
        count = state.login_refused(ctx.conn, user["email"])
        locked = count >= state.LOCK_AFTER_FAILED_LOGINS
        return _login_refused(
            ctx, wording.ACCOUNT_LOCKED if locked else wording.LOGIN_FAILED, username
        )
    state.login_accepted(ctx.conn, user["email"])
    ctx.start_session(user["email"])
    faults = state.get_faults(ctx.conn)
    rate = float(faults.get("announcement_rate") or 0)
    if ctx.settings.injector.chance(faults, rate):
        ctx.data["announcement"] = True
    return ctx.redirect(web_url("checkLogin"))


@action("checkLogin", login=False, methods=("GET",))
async def check_login(ctx: Ctx) -> Response:
    """Where a taken login lands: the dashboard, or the forced password change."""
    if ctx.user is None:
        return ctx.redirect(login_url("login"))
    if ctx.user["must_change_password"]:
        return ctx.redirect(web_url("changePassword"))
    return ctx.redirect(DASHBOARD_URL)


async def security_check_endpoint(request: Request) -> Response:
    return await _dispatch(request, public_endpoint=True, name_override="springSecurityCheck")


ROUTES = [
    Route(SECURITY_CHECK_URL, security_check_endpoint, methods=["POST"]),
    # the captcha image, by its id (the mock's SimpleCaptcha servlet)
    Route("/CP/SimpleCaptcha", captcha_image, methods=["GET"]),
]


@action("logout", methods=("GET", "POST"))
async def logout(ctx: Ctx) -> Response:
    ctx.start_session(None)
    return ctx.redirect(login_url("logout"))


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
            return ctx.redirect(login_url("changed"))
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
        breadcrumb=[("Home", "/CP/"), ("Login", login_url()), ("Forgot Password", None)],
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
    return ctx.redirect(login_url("reset"))
