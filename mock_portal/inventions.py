"""The mock's inventions, renamed: a test-mode check that the playbooks do not depend on them.

``docs/mock-portal.md`` marks what of each page is sourced [S] and what is the mock's own
[I]. With the option ``renamed_inventions`` (``create_app(renamed_inventions=True)`` or
``POST /__mock__/options {"renamed_inventions": true}``) every response body the browser
gets (the pages and fragments, the page JavaScript and CSS, JSON answers) is rewritten with
the table below, so that each invented id, class and wording gets another spelling. The
page's own JavaScript and CSS are rewritten with the same table, so the page keeps working;
only an agent that looks for the mock's own spelling is lost.

What is not renamed: what PORTAL.md section 6 sources (``mainSectionWrap``, ``temp_key``,
``img#captcha``, ``txt_Captcha``, ``applicationNumber``, ``draftId``, bootbox's markup, the
emBridge dialog, the accessibility bar, ``.d-breadcrumb``, the tab keys), the real portal's
wordings ([S] in ``wording.py``), ids that are also form field names (the server reads those
back), ARIA roles, the DSC sign panel's ``#signError``, ``#dscSignPanel`` and ``#signRetryButton``
(the engine's DSC signer reads ``#signError``: ``rpa/challenges/signing.py``, a follow-up),
and the progress overlay ``#progressbar`` (the sourced
``showProgressbar()``'s; its real id is not known: doubtful, kept).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache, partial

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mock_portal import state, wording

#: The option's name (``POST /__mock__/options``).
OPTION = "renamed_inventions"

#: Invented ids (buttons, links, messages, tables, summary cells) -> another spelling. Only
#: ids that are never a form field's name, so the server reads back what it always reads.
IDS = [
    # header, menus, announcement, fault page
    "loginLink",
    "registerLink",
    "logoutLink",
    "loginButton",
    "dashboardMenu",
    "servicesMenu",
    "menuUpdateIec",
    "menuViewIec",
    "announcementModal",
    "announcementClose",
    "faultPage",
    # messages
    "errorMessage",
    "successMessage",
    # dashboard and IEC summary
    "applyIecButton",
    "linkIecButton",
    "updateIecButton",
    "viewIecButton",
    "printEiecButton",
    "iecPan",
    "iecStatus",
    "iecStatusDetail",
    "lastUpdated",
    "deactivatedWarning",
    "latestApplication",
    "latestApplicationTable",
    "linkedUser",
    # Link IEC
    "validateIecButton",
    "esignAadhaarButton",
    "validateDscButton",
    "linkIecNumber",
    "linkFirmName",
    "esignBackLink",
    # Update IEC
    "startFreshButton",
    "continueDraftButton",
    "reverifyInfo",
    "saveNextButton",
    "updateTabs",
    "personsTable",
    "branchesTable",
    "bankAccountsTable",
    "signSubmitButton",
    "changesTable",
    "noChanges",
    "previewTable",
    "ackNumber",
    "ackIec",
    "ackSubmittedAt",
    "ackSignedWith",
    "applicationStatus",
    "bankVerificationStatus",
    "applicationRemarks",
    "ackIecStatus",
]

#: Invented classes (Bootstrap-like names the mock chose) -> another spelling.
CLASSES = ["alert-danger", "alert-success", "page-title", "sign-error", "menu-list"]

#: Invented wordings -> another spelling, replaced wherever they occur (page text, JSON
#: answers, the page's scripts). Longest first, so a phrase inside another is not cut.
_SECTION_TITLES = [title for key, title in wording.SECTIONS if key != "declaration"]
TEXTS: dict[str, str] = {
    wording.ALREADY_SUBMITTED: (
        "This IEC has a filed application on record. "
        "Another may be filed once it is decided or in the following financial year."
    ),
    "Please verify them with OTP to continue.": "Confirm both by OTP before going on.",
    "were last verified on": "were confirmed on",
    wording.CONTACTS_VERIFIED: "Mobile Number and Email ID confirmed.",
    " saved successfully.": " stored.",
    " uploaded successfully.": " received.",
    wording.BRANCH_ADDED: "Branch recorded.",
    wording.SUBMIT_SUCCESS: "The application has been filed.",
    wording.LOGIN_FAILED: "Username or Password is wrong.",
    wording.ACCOUNT_LOCKED: "Too many failed logins: the account is blocked. Use Forgot Password.",
    wording.IEC_LINKED_OTHER: "The IEC belongs to another user's profile.",
    wording.NO_IEC_LINKED: "Your profile has no IEC. Link one first.",
    wording.SESSION_TIMED_OUT: "The session has ended. Log in again.",
    wording.LOGIN_REQUIRED: "Log in first.",
    wording.SERVER_BUSY: "Too many requests right now. Retry later.",
    "Save and Next": "Store and Proceed",
    "Continue Draft Application": "Resume Draft",
    **{title: f"{title} (Part)" for title in _SECTION_TITLES},
}
#: ``Bank account N added.`` [I] (a pattern: the number varies).
PATTERNS = [(re.compile(r"Bank account (\d+) added\."), r"Account \1 recorded.")]

#: Invented labels of the login modal (PORTAL.md section 6 gives field names, not labels):
#: only as a label's or an attribute's whole text, as the words are common.
LABELS = {"Username": "User ID", "Password": "Secret", "Captcha": "Security Code"}
PLACEHOLDERS = {"Enter Captcha": "Type the code"}


def renamed_id(name: str) -> str:
    return "rn" + name[0].upper() + name[1:] + "X"


def renamed_class(name: str) -> str:
    return "rn_" + name.replace("-", "_")


def _token_re(names: list[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])({alternatives})(?![\w-])")


@lru_cache(maxsize=1)
def _rules() -> list[Callable[[str], str]]:
    ids = {name: renamed_id(name) for name in IDS}
    classes = {name: renamed_class(name) for name in CLASSES}
    classes_re = _token_re(list(classes))
    # An id only where it is used as one (a JSON key of the same spelling, e.g. emBridge's
    # errorMessage, stays): #id in selectors, getElementById('id'), and attributes that
    # hold an id (id, for, aria-*, data-*).
    names = "|".join(re.escape(n) for n in sorted(ids, key=len, reverse=True))
    ids_re = re.compile(
        rf"(#)({names})(?![\w-])"
        rf"|(getElementById\(\s*['\"])({names})(?=['\"])"
        rf"|(\s(?:id|for|aria-[\w-]+|data-[\w-]+)=['\"])({names})(?=['\"])"
    )

    def one_id(m: re.Match[str]) -> str:
        for lead in (1, 3, 5):
            if m[lead] is not None:
                return m[lead] + ids[m[lead + 1]]
        raise AssertionError(m[0])

    texts_re = re.compile("|".join(re.escape(t) for t in sorted(TEXTS, key=len, reverse=True)))
    label_re = re.compile(
        r"(<label\b[^>]*>\s*)(" + "|".join(LABELS) + r")(\s*(?:<|$))", re.MULTILINE
    )
    attr_re = re.compile(r'\b(alt|placeholder|aria-label|title)="([^"]*)"')
    attrs = {**LABELS, **PLACEHOLDERS}

    def attr(m: re.Match[str]) -> str:
        return f'{m[1]}="{attrs.get(m[2], m[2])}"'

    rules: list[Callable[[str], str]] = [
        lambda s: ids_re.sub(one_id, s),
        lambda s: classes_re.sub(lambda m: classes[m[1]], s),
        lambda s: texts_re.sub(lambda m: TEXTS[m[0]], s),
        lambda s: label_re.sub(lambda m: m[1] + LABELS[m[2]] + m[3], s),
        lambda s: attr_re.sub(attr, s),
    ]
    for pattern, replacement in PATTERNS:
        rules.append(partial(pattern.sub, replacement))
    return rules


def rename(text: str) -> str:
    """``text`` (HTML, JavaScript, CSS or JSON) with every invention spelt the other way."""
    for rule in _rules():
        text = rule(text)
    return text


#: Content types rewritten (the rest, e.g. images and PDFs, pass as they are).
TEXT_TYPES = (
    "text/html",
    "text/css",
    "text/javascript",
    "application/javascript",
    "application/json",
)


def renamed_on(db_path: str) -> bool:
    """Whether the option is set through ``POST /__mock__/options``."""
    conn = state.connect(db_path)
    try:
        return bool((state.get_meta(conn, "options") or {}).get(OPTION))
    finally:
        conn.close()


class RenameMiddleware:
    """Rewrites the browser's response bodies with :func:`rename` while the option is on
    (always with ``always``; else per request, from the mock options). The test API
    (``/__mock__/``) answers as it is."""

    def __init__(
        self, app: ASGIApp, *, db_path: str, always: bool = False, options: bool = False
    ) -> None:
        self.app = app
        self.db_path = db_path
        self.always = always
        self.options = options  # test mode: the option may be set through /__mock__/options

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"].startswith("/__mock__/")
            or not (self.always or (self.options and renamed_on(self.db_path)))
        ):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def send_renamed(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = MutableHeaders(raw=list(message["headers"]))
                if headers.get("content-type", "").split(";")[0].strip() in TEXT_TYPES:
                    start = message
                    return
                await send(message)
                return
            if start is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = rename(b"".join(chunks).decode("utf-8")).encode("utf-8")
            headers = MutableHeaders(raw=list(start["headers"]))
            headers["content-length"] = str(len(body))
            for stale in ("etag", "last-modified"):
                if stale in headers:
                    del headers[stale]
            await send({**start, "headers": headers.raw})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, send_renamed)
