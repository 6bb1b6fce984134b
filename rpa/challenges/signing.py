"""Signers for the DGFT portal's two signing routes, behind the ``sign`` step.

- ``DscSigner``: the emBridge dialog the portal page draws ("Sign with DSC"): Select
  Device (the client's token), then, once emBridge has listed the token's certificates,
  Select Certificate (``params.certificate`` when given, else the token's only one or the
  one carrying the client's PAN or name: ``rpa.challenges.certificates``), PIN, Sign.
  A refused PIN ("Incorrect PIN", emBridge's own words) is ``DSC_WRONG_PIN`` and is
  **never retried**: a token locks after a few wrong PINs. Any other refusal in the dialog
  is its own business error (``DSC_REFUSED`` with emBridge's text when nothing more
  specific fits), never a PIN error. "emBridge service is not running" and "token not
  connected" are business errors too: a person must start the service or plug the token in.
- ``AadhaarSigner``: the eSign provider's pages: Aadhaar number or VID, consent, Get OTP,
  the OTP (asked through the engine, so it is masked and timed out like any other), Verify.
  A wrong OTP is asked again, an expired one is resent first; three tries in all. This
  loop lives here, not in the engine, because each try needs a new answer from a person.

The labels and ids are the portal's (see docs/mock-portal.md); they are kept in the
``DscPage`` and ``EsignPage`` constants so a change on the real site is one edit.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rpa.browser import PlaywrightError, PlaywrightTimeoutError, action_done
from rpa.challenges.base import SignRequest
from rpa.challenges.certificates import CertificateOwner, OfferedCertificate, choose_certificate
from rpa.errors import (
    BusinessError,
    PortalChangedError,
    SessionExpiredError,
    StepError,
    TransientError,
)
from rpa.masking import register_secret

if TYPE_CHECKING:
    from playwright.async_api import Locator, Page

OTP_TRIES = 3


@dataclass(frozen=True)
class DscPage:
    dialog_name: str = "Sign with DSC"
    page_error: str = "#signError"
    device_label: str = "Select Device"
    certificate_label: str = "Select Certificate"
    # a listed certificate (not the placeholder); its subject DN in an attribute
    certificate_option: str = "option:not([value=''])"
    certificate_subject: str = "data-subject"
    pin_label: str = "PIN"
    sign_button: str = "Sign"
    cancel_button: str = "Cancel"


@dataclass(frozen=True)
class EsignPage:
    aadhaar_label: str = "Aadhaar Number / VID"
    consent: str = "#consent"
    get_otp: str = "Get OTP"
    otp_field: str = "#otp"
    verify: str = "Verify"
    resend: str = "Resend OTP"
    error: str = "#esignError"
    message: str = "#esignMessage"
    path: str = "/esign/"


# Portal messages → business codes (the first fragment found in the text wins).
DSC_CODES = (
    ("emBridge service is not running", "EMBRIDGE_NOT_RUNNING"),
    ("not connected", "DSC_TOKEN_NOT_CONNECTED"),
    ("not inserted", "DSC_NOT_INSERTED"),
    ("Incorrect PIN", "DSC_WRONG_PIN"),  # before "locked": its text warns of a lock
    ("locked", "DSC_TOKEN_LOCKED"),
    ("cancelled", "DSC_SIGNING_CANCELLED"),
    ("certificate is not found", "DSC_CERT_NOT_FOUND"),
    ("No certificate found", "DSC_NO_CERTIFICATE"),
)
ESIGN_CODES = (
    ("Error 112", "AADHAAR_NO_MOBILE"),
    ("does not exist", "AADHAAR_NOT_FOUND"),
    ("valid 12 digit", "AADHAAR_INVALID"),
    ("consent", "AADHAAR_CONSENT"),
)


def code_for(message: str, table: tuple[tuple[str, str], ...], default: str) -> str:
    lowered = message.lower()
    return next((code for fragment, code in table if fragment.lower() in lowered), default)


async def _first_visible(*locators: Locator, timeout_ms: int) -> int:
    """Wait until one of ``locators`` is visible; return its index."""
    try:
        # .first alone would pick the first match in the document, visible or not
        return await _race(
            *(
                locator.filter(visible=True).first.wait_for(state="visible", timeout=timeout_ms)
                for locator in locators
            )
        )
    except PlaywrightTimeoutError as exc:
        raise TransientError(f"the portal did not answer in {timeout_ms} ms") from exc


def _param(params: Mapping[str, Any], name: str, *, what: str) -> str:
    value = str(params.get(name) or "").strip()
    if not value:
        raise BusinessError(f"the sign step needs `{name}` ({what})", code="SIGN_PARAM_MISSING")
    return value


async def _page_refusal(page_error: Locator) -> StepError:
    """The error the portal page shows. An HTTP error answered by the portal (busy) is
    transient: the job fails without retrying the submit, and the next run's guard reads
    the portal's state before anything is submitted again. A timed-out session is a
    session failure: the engine logs in again and its guard decides what runs again."""
    message = (await page_error.inner_text()).strip()
    if "the portal answered HTTP 5" in message:
        return TransientError(message)
    if "session has timed out" in message.lower():
        return SessionExpiredError(message)
    return BusinessError(message, code=code_for(message, DSC_CODES, "DSC_REFUSED"))


def _dialog_refusal(text: str) -> BusinessError:
    """emBridge's refusal shown in the dialog. Only its wrong-PIN message is a PIN error."""
    code = code_for(text, DSC_CODES, "DSC_REFUSED")
    if code == "DSC_WRONG_PIN":
        return BusinessError(
            f"the token refused the PIN: {text} (not retried: a token locks after repeated "
            "wrong PINs; check the client's PIN reference)",
            code=code,
        )
    return BusinessError(f"emBridge refused to sign: {text}", code=code)


# Each listed certificate as (value, text, subject); the attribute name is an argument.
_READ_OPTIONS = """(options, attribute) => options.map((o) => [
    o.value, o.textContent || '', o.getAttribute(attribute) || ''])"""


class DscSigner:
    """Signs in the portal's emBridge dialog with the token named in ``params.token``;
    ``params.certificate`` (optional) names the certificate, ``params.pan``, ``holder``
    and ``firm`` (optional) say whose certificate to look for when it does not."""

    def __init__(self, ids: DscPage | None = None) -> None:
        self.ids = ids or DscPage()

    async def sign(self, request: SignRequest) -> Mapping[str, Any]:
        ids, page, wait = self.ids, request.page, request.timeout_ms
        token = _param(request.params, "token", what="the DSC token's name")
        pin = _param(request.params, "pin", what="the token PIN")
        register_secret(pin)
        certificate = str(request.params.get("certificate") or "").strip()
        owner = CertificateOwner(
            pan=str(request.params.get("pan") or ""),
            names=tuple(str(request.params.get(k) or "") for k in ("holder", "firm")),
        )
        dialog = page.get_by_role("dialog", name=ids.dialog_name)
        page_error = page.locator(ids.page_error)
        try:
            if await _first_visible(dialog, page_error, timeout_ms=wait) == 1:
                raise await _page_refusal(page_error)
            device = dialog.get_by_label(ids.device_label, exact=True)
            offered = [o.strip() for o in await device.locator("option").all_inner_texts()]
            if token not in offered:
                await dialog.get_by_role("button", name=ids.cancel_button).click()
                raise BusinessError(
                    f"DSC token {token!r} is not connected; emBridge offers: "
                    f"{', '.join(o for o in offered if o) or 'none'}",
                    code="DSC_TOKEN_NOT_CONNECTED",
                )
            await device.select_option(label=token)
            listed = await self._listed(dialog, page_error, token, wait)
            try:
                chosen = choose_certificate(listed, token=token, owner=owner, wanted=certificate)
            except BusinessError:
                await dialog.get_by_role("button", name=ids.cancel_button).click()
                raise
            await dialog.get_by_label(ids.certificate_label, exact=True).select_option(
                value=chosen.key_id
            )
            await dialog.get_by_label(ids.pin_label, exact=True).fill(pin)
            await dialog.get_by_role("button", name=ids.sign_button, exact=True).click()
            alert = dialog.get_by_role("alert")
            # After Sign the dialog closes (signed) or shows an alert (refused).
            refused = await _race(
                dialog.wait_for(state="hidden", timeout=wait),
                alert.wait_for(state="visible", timeout=wait),
            )
            if refused and (text := (await alert.inner_text()).strip()):
                await dialog.get_by_role("button", name=ids.cancel_button).click()
                raise _dialog_refusal(text)
            if await page_error.is_visible():
                raise await _page_refusal(page_error)
        except PlaywrightTimeoutError as exc:
            # the dialog closed under us: the page says why (a busy portal, a lost session)
            if await page_error.is_visible():
                raise await _page_refusal(page_error) from exc
            if action_done(exc.message):
                raise TransientError(
                    f"the portal's answer to signing did not load in {wait} ms"
                ) from exc
            raise PortalChangedError(
                f"the emBridge dialog did not behave as expected: {exc.message}",
                locator=f"dialog {ids.dialog_name!r}",
            ) from exc
        except PlaywrightError as exc:
            raise TransientError(f"signing with the DSC failed: {exc.message}") from exc
        return {"signed": True, "method": "dsc", "token": token, "certificate": chosen.name}

    async def _listed(
        self, dialog: Locator, page_error: Locator, token: str, timeout_ms: int
    ) -> list[OfferedCertificate]:
        """The certificates emBridge listed for the chosen token, once the list has come
        (it is fetched after the device is chosen, and a slow token answers late)."""
        ids = self.ids
        select = dialog.get_by_label(ids.certificate_label, exact=True)
        alert = dialog.get_by_role("alert")
        try:
            came = await _race(
                select.locator(ids.certificate_option).first.wait_for(
                    state="attached", timeout=timeout_ms
                ),
                alert.wait_for(state="visible", timeout=timeout_ms),
                page_error.wait_for(state="visible", timeout=timeout_ms),
            )
        except PlaywrightTimeoutError as exc:
            raise TransientError(
                f"emBridge did not list the certificates on DSC token {token!r} in {timeout_ms} ms"
            ) from exc
        if came == 2:
            raise await _page_refusal(page_error)
        if came == 1:
            text = (await alert.inner_text()).strip()
            await dialog.get_by_role("button", name=ids.cancel_button).click()
            raise _dialog_refusal(text)
        rows = await select.locator("option").evaluate_all(_READ_OPTIONS, ids.certificate_subject)
        return [
            OfferedCertificate(key_id=str(value), name=str(name).strip(), subject=str(subject))
            for value, name, subject in rows
            if value
        ]


async def _race(*waits: Awaitable[Any]) -> int:
    """Run ``waits`` together; return the index of the first that succeeds.

    The others are cancelled. When all fail, the first failure is raised.
    """
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        pending = set(tasks)
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in tasks:
                if task in done and task.exception() is None:
                    return tasks.index(task)
        raise tasks[0].exception()  # type: ignore[misc]
    finally:
        for task in tasks:
            if not task.done():
                task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class AadhaarSigner:
    """eSigns on the eSign provider's pages with the Aadhaar number/VID in ``params.aadhaar``;
    ``params.otp_address`` (optional) says where the OTP goes, for the mock's outbox."""

    def __init__(self, ids: EsignPage | None = None) -> None:
        self.ids = ids or EsignPage()

    async def sign(self, request: SignRequest) -> Mapping[str, Any]:
        ids, page, wait = self.ids, request.page, request.timeout_ms
        aadhaar = _param(request.params, "aadhaar", what="the Aadhaar number or VID")
        register_secret(aadhaar)
        address = str(request.params.get("otp_address") or "") or None
        error = page.locator(ids.error)
        otp_field = page.locator(ids.otp_field)
        try:
            await page.get_by_label(ids.aadhaar_label).fill(aadhaar, timeout=wait)
            await page.locator(ids.consent).check(timeout=wait)
            await page.get_by_role("button", name=ids.get_otp).click(timeout=wait)
            if await _first_visible(otp_field, error, timeout_ms=wait) == 1:
                message = (await error.inner_text()).strip()
                raise BusinessError(message, code=code_for(message, ESIGN_CODES, "ESIGN_REFUSED"))
            sent_to = (await page.locator(ids.message).inner_text()).strip()
            for attempt in range(1, OTP_TRIES + 1):
                prompt = f"Aadhaar eSign: {sent_to}" if sent_to else "Aadhaar eSign OTP"
                code = await request.ask_otp("mobile", prompt, address)
                await otp_field.fill(code, timeout=wait)
                await page.get_by_role("button", name=ids.verify, exact=True).click(timeout=wait)
                if await _left_esign(page, ids, error, wait):
                    return {"signed": True, "method": "aadhaar"}
                message = (await error.inner_text()).strip()
                if "expired" in message.lower():
                    await page.get_by_role("button", name=ids.resend).click(timeout=wait)
                elif "invalid otp" not in message.lower():
                    raise BusinessError(message, code="ESIGN_REFUSED")
                if attempt == OTP_TRIES:
                    raise BusinessError(
                        f"the eSign provider refused the OTP {OTP_TRIES} times: {message}",
                        code="ESIGN_OTP_REFUSED",
                    )
        except PlaywrightTimeoutError as exc:
            if action_done(exc.message):  # Verify was clicked: a slow portal, not a new one
                raise TransientError(
                    "the eSign provider took the OTP but its answer did not load in "
                    f"{wait} ms (what the portal made of it is read before anything is "
                    "signed again)"
                ) from exc
            raise PortalChangedError(
                f"the eSign pages did not behave as expected: {exc.message}",
                locator="eSign provider",
            ) from exc
        except PlaywrightError as exc:
            raise TransientError(f"Aadhaar eSign failed: {exc.message}") from exc
        raise AssertionError("unreachable")


async def _left_esign(page: Page, ids: EsignPage, error: Locator, timeout_ms: int) -> bool:
    """After Verify: back on the portal (True), or an error on the OTP page (False)."""
    try:
        first = await _race(
            page.wait_for_url(lambda url: ids.path not in url, timeout=timeout_ms),
            error.wait_for(state="visible", timeout=timeout_ms),
        )
    except PlaywrightTimeoutError as exc:
        raise TransientError("the eSign provider did not answer after Verify") from exc
    return first == 0
