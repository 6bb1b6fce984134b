"""Plain words for managers and support staff: how a job ended, and when, in IST.

The journal stores outcomes as jargon (``ok``, ``changed``, ``needs-input``), error codes
(``DSC_EXPIRED``) and times in UTC ISO text. The console's pages and the reports for
managers show them as a person says them: "Renewed", "Already renewed this year",
"Failed: the DSC has expired", "Waiting for OTP", "Not run: a duplicate row", and
"05 Dec 2026, 17:16 IST".

- ``outcome_words(outcome, code=..., playbook=..., waiting=..., reason=...)``: the words
  for a job's outcome (or a row not run), from its error code and playbook.
- ``error_words(code, kind=...)``: what went wrong, lower case, e.g. "the DSC has expired";
  every code the shipped playbooks and the engine raise has words (a unit test walks the
  playbooks), and an unknown code falls back on the failure's kind.
- ``tone(outcome)``: good / bad / waiting / neutral, for a badge's colour.
- ``ist(stamp)``, ``ist_date(stamp)``: a journal timestamp (UTC ISO text or a datetime) as
  India Standard Time.
- ``register(env)``: the filters above on a Jinja2 environment (``ist``, ``ist_date``,
  ``outcome_words``, ``error_words``, ``tone``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

IST = ZoneInfo("Asia/Kolkata")
NOT_RUN = "not-run"  # the report's outcome of a row of the client file that was not run

# Business and engine error codes → what went wrong, as a sentence's end ("Failed: ...").
CODE_WORDS: dict[str, str] = {
    # sign-in
    "LOGIN_FAILED": "could not sign in to the portal",
    "LOGIN_BAD_CREDENTIALS": "wrong portal username or password",
    "LOGIN_ACCOUNT_LOCKED": "the portal account is locked",
    "PASSWORD_CHANGE_REQUIRED": "the portal asks for a new password",
    "CAPTCHA_REFUSED": "the captcha answer was refused",
    "CAPTCHA_FAILED": "three captcha answers in a row were refused",
    "OTP_REFUSED": "the OTP was refused",
    "WRONG_IEC": "the portal shows another IEC for this account",
    # the IEC and its profile
    "IEC_INVALID": "the IEC number is not valid",
    "IEC_NOT_FOUND": "the portal does not know this IEC",
    "NO_IEC_LINKED": "no IEC is linked to the portal account",
    "ANOTHER_IEC_LINKED": "another IEC is already linked to the portal account",
    "IEC_LINKED_TO_ANOTHER_USER": "the IEC is linked to another portal user",
    "LINK_NOT_CONFIRMED": "the portal did not confirm the IEC link",
    "PAN_MISMATCH": "the PAN does not match the IEC's PAN",
    "PAN_NOT_VERIFIED": "the portal could not verify the PAN",
    "NAME_MISMATCH": "the name does not match the name as per PAN",
    "DOB_MISMATCH": "the date of birth does not match",
    "BOTH_CONTACTS_CHANGED": "mobile number and email cannot both change at once",
    "TOO_MANY_BRANCHES": "more branches than the portal's form takes",
    "TOO_MANY_BANK_ACCOUNTS": "more bank accounts than the portal's form takes",
    "PIN_CODE_INVALID": "a PIN code is not valid",
    "IFSC_INVALID": "an IFSC code is not valid",
    "BANK_ACCOUNT_INVALID": "a bank account number is not valid",
    "FIELD_REQUIRED": "the portal says a required field is empty",
    "ADDRESS_PROOF_MISSING": "the address proof is missing",
    "BANK_PROOF_MISSING": "the cancelled cheque or bank certificate is missing",
    "DOCUMENT_NOT_PDF": "a document is not a PDF",
    "DOCUMENT_TOO_LARGE": "a document is larger than 5 MB",
    "DOCUMENT_REFUSED": "the portal refused a document",
    "FILE_NOT_FOUND": "a document file was not found",
    "DECLARATION_NOT_ACCEPTED": "the declaration was not accepted",
    "DECLARATION_PLACE_REQUIRED": "the declaration's place is missing",
    "DECLARATION_DATE_REQUIRED": "the declaration's date is missing",
    "DECLARATION_DATE_INVALID": "the declaration's date is not valid",
    "NOT_SUBMITTED": "the portal did not accept the application",
    "UPDATE_NOT_OPENED": "the portal did not open the update form",
    "CONSOLE_REFUSED": "the office console refused this worker's credential",
    # the DSC and emBridge
    "DSC_EXPIRED": "the DSC has expired",
    "DSC_WRONG_PIN": "wrong DSC PIN",
    "DSC_TOKEN_LOCKED": "the DSC token is locked",
    "DSC_NOT_INSERTED": "the DSC token is not inserted",
    "DSC_TOKEN_NOT_CONNECTED": "the DSC token is not connected",
    "DSC_WRONG_CLASS": "the DSC is not Class 2 or Class 3",
    "DSC_UNTRUSTED": "the DSC is not from a licensed Certifying Authority",
    "DSC_IEC_MISMATCH": "the DSC is for another IEC",
    "DSC_PAN_MISMATCH": "the DSC's PAN does not match",
    "DSC_ORG_NAME_MISMATCH": "the DSC's organisation name does not match",
    "DSC_ORG_FOR_PROPRIETORSHIP": "an organisation DSC cannot sign for a proprietorship",
    "DSC_SIGNING_CANCELLED": "signing with the DSC was cancelled",
    "DSC_CERT_NOT_FOUND": "the DSC certificate was not found on the token",
    "DSC_NO_CERTIFICATE": "the DSC token holds no certificate",
    "DSC_CERT_AMBIGUOUS": "the DSC token holds several certificates; name one",
    "DSC_REFUSED": "the DSC signature was refused",
    "EMBRIDGE_NOT_RUNNING": "emBridge is not running on this PC",
    "SIGN_PARAM_MISSING": "the signing details are incomplete",
    "NO_SIGNER": "no way to sign is set up",
    # Aadhaar eSign
    "AADHAAR_NOT_FOUND": "the Aadhaar number does not exist",
    "AADHAAR_INVALID": "the Aadhaar number is not valid",
    "AADHAAR_MISMATCH": "the name or year of birth does not match Aadhaar",
    "AADHAAR_NO_MOBILE": "no mobile number is registered with the Aadhaar",
    "AADHAAR_CONSENT": "Aadhaar consent was not given",
    "ESIGN_NOT_COMPLETED": "the Aadhaar eSign was not completed",
    "ESIGN_REFUSED": "the Aadhaar eSign was refused",
    "ESIGN_OTP_REFUSED": "the Aadhaar eSign OTP was refused",
    # challenges nobody answered
    "OTP_TIMEOUT": "nobody gave the OTP in time",
    "CAPTCHA_TIMEOUT": "nobody answered the captcha in time",
    "OTP_MISSING": "no OTP was available",
    "CAPTCHA_MISSING": "no captcha answer was available",
    "OTP_NO_TERMINAL": "an OTP was needed but nobody could be asked",
    "CAPTCHA_NO_TERMINAL": "a captcha was needed but nobody could be asked",
    "OTP_NO_ADDRESS": "no mailbox is set up to read the OTP from",
    "CAPTCHA_NO_ID": "the captcha could not be sent for solving",
    "NO_OTP_PROVIDER": "no way to get an OTP is set up",
    "NO_CAPTCHA_PROVIDER": "no way to answer a captcha is set up",
    "PROMPT_FAILED": "could not ask for an answer",
    # the certificate
    "DOWNLOAD_NOT_PDF": "the downloaded certificate is not a PDF",
    "DOWNLOAD_VERIFY_FAILED": "the downloaded certificate does not match the client",
    # the portal and the run
    "PORTAL_BUSY": "the portal was busy",
    "PORTAL_MESSAGE": "the portal showed an error message",
    "CLIENT_BUSY": "another run was working on this client",
    "UNCONFIRMED_SUBMISSION": "an earlier submission needs checking on the portal first",
    "INVALID_INPUT": "the client's details are not valid for this playbook",
    "TEMPLATE": "the playbook has an error",
    "PLAYBOOK": "the playbook has an error",
    "PLAYBOOK_FAILED": "the playbook stopped with an error",
    "ASSERTION_FAILED": "the portal did not show what was expected",
    # rows of the client file
    "BAD_ROW": "the row is not valid",
    "DUPLICATE_ROW": "a duplicate row",
}

# When a code has no words: what the failure's kind (rpa.errors.FailureKind) means.
KIND_WORDS: dict[str, str] = {
    "transient": "the portal did not answer in time",
    "session": "the portal signed us out",
    "business": "the portal refused",
    "portal-changed": "the portal's page has changed",
    "challenge-timeout": "nobody answered in time",
    "internal": "an internal error",
    "client-file": "the row is not valid",
}

# The playbook's words for a job that made a change / found nothing to do / would change.
PLAYBOOK_WORDS: dict[str, tuple[str, str, str]] = {
    "renew": ("Renewed", "Already renewed this year", "Would renew (check mode)"),
    "download_certificate": (
        "Certificate downloaded",
        "Certificate downloaded",
        "Would download the certificate (check mode)",
    ),
    "iec_status": ("Status read", "Status read", "Would read the status (check mode)"),
    "link_iec": ("IEC linked", "Already linked", "Would link the IEC (check mode)"),
    "update_iec": ("Updated", "Nothing to update", "Would update (check mode)"),
}
GENERIC_WORDS = ("Done: change made", "Done: nothing to change", "Would change (check mode)")

CHALLENGE_NAMES = {"otp": "OTP", "captcha": "captcha"}


def error_words(code: str | None, kind: str | None = None) -> str | None:
    """What went wrong, lower case ("the DSC has expired"); None when nothing is known."""
    if code and code in CODE_WORDS:
        return CODE_WORDS[code]
    if code and code.endswith("_TIMEOUT"):
        return "nobody answered in time"
    if kind and kind in KIND_WORDS:
        return KIND_WORDS[kind]
    if code:
        return code.replace("_", " ").lower()
    return None


def _sentence(prefix: str, words: str | None) -> str:
    if not words:
        return prefix
    return f"{prefix}: {words}"


def outcome_words(
    outcome: str | None,
    *,
    code: str | None = None,
    kind: str | None = None,
    playbook: str | None = None,
    waiting: str | None = None,
    reason: str | None = None,
) -> str:
    """A job's outcome in plain words.

    ``outcome`` is a job's status (an ``rpa.events.Outcome`` value, ``pending``,
    ``running``) or ``not-run``; ``code``/``kind`` its error code and kind; ``playbook``
    its playbook's name (the words of a change depend on it); ``waiting`` the challenge a
    running job waits for (``otp``/``captcha``); ``reason`` why a row was not run.
    """
    changed, nothing, would = PLAYBOOK_WORDS.get((playbook or "").split("/")[-1], GENERIC_WORDS)
    match outcome:
        case "changed":
            return changed
        case "ok":
            return nothing
        case "would-change":
            return would
        case "failed":
            return _sentence("Failed", error_words(code, kind))
        case "needs-input":
            return _sentence("Needs a person", error_words(code, kind) or "nobody answered")
        case "interrupted":
            return "Stopped before the end"
        case "pending":
            return "Waiting to start"
        case "running":
            if waiting:
                return f"Waiting for {CHALLENGE_NAMES.get(waiting, waiting)}"
            return "Running"
        case "not-run":
            return _sentence("Not run", reason or error_words(code, kind))
        case None | "":
            return "Unknown"
        case _:
            return outcome.replace("-", " ").capitalize()


def tone(outcome: str | None) -> str:
    """good / bad / waiting / neutral: a badge's colour class for ``outcome``."""
    if outcome in ("ok", "changed"):
        return "good"
    if outcome in ("failed", "needs-input", NOT_RUN):
        return "bad"
    if outcome in ("running", "pending", "would-change"):
        return "waiting"
    return "neutral"


def to_ist(stamp: str | datetime | None) -> datetime | None:
    """A journal timestamp (UTC ISO text, or an aware or naive-UTC datetime) in IST."""
    if stamp is None or stamp == "":
        return None
    if isinstance(stamp, str):
        try:
            moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        moment = stamp
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(IST)


def ist(stamp: str | datetime | None, *, seconds: bool = False) -> str:
    """ "05 Dec 2026, 17:16 IST" (with seconds when asked); "" for no time, the text
    itself when it is not a timestamp."""
    moment = to_ist(stamp)
    if moment is None:
        return "" if stamp in (None, "") else str(stamp)
    clock = "%H:%M:%S" if seconds else "%H:%M"
    return moment.strftime(f"%d %b %Y, {clock} IST")


def ist_date(stamp: str | datetime | date | None) -> str:
    """ "05 Dec 2026": the IST date of a timestamp (a plain date is shown as it is)."""
    if isinstance(stamp, date) and not isinstance(stamp, datetime):
        return stamp.strftime("%d %b %Y")
    moment = to_ist(stamp)
    if moment is None:
        return "" if stamp in (None, "") else str(stamp)
    return moment.strftime("%d %b %Y")


def duration(seconds: float | None) -> str:
    """ "1 min 05 s", "42 s", "" for none."""
    if seconds is None:
        return ""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, rest = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def register(env: Any) -> None:
    """Add the filters ``ist``, ``ist_date``, ``outcome_words``, ``error_words``, ``tone``
    and ``duration`` to a Jinja2 environment."""
    env.filters.update(
        ist=ist,
        ist_date=ist_date,
        outcome_words=outcome_words,
        error_words=error_words,
        tone=tone,
        duration=duration,
    )
