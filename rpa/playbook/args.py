"""The arguments of each step kind, as pydantic models (one per kind).

Models that target an element inherit the locator keys, so a step reads
``fill: {label: PAN, value: ...}``. Shorthands (``click: Validate``) are turned into these
models by ``kinds.py`` at load time. Every ``str`` field is a template, rendered just
before the step runs; conditions are evaluated, not rendered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import Field, model_validator

from rpa.playbook.model import (
    IDENTIFIER,
    Condition,
    Locator,
    LocatorLike,
    OptionalLocator,
    Spec,
    Text,
)


def _identifiers(names: Iterable[str]) -> None:
    bad = [name for name in names if not re.match(IDENTIFIER, name)]
    if bad:
        raise ValueError(f"variable names must be identifiers: {', '.join(bad)}")


# --- page actions ---------------------------------------------------------------------------


class GotoArgs(Spec):
    url: str = Field(description="Absolute, or relative to the portal URL setting")
    wait_until: Literal["load", "domcontentloaded", "networkidle", "commit"] = "load"


class ClickArgs(Locator):
    button: Literal["left", "right", "middle"] = "left"
    double: bool = False
    force: bool = Field(False, description="Skip actionability checks (avoid)")


class FillArgs(Locator):
    value: Text = Field(description="The text to enter (a template; secrets allowed)")
    sequential: bool = Field(False, description="Type key by key instead of filling at once")


class SelectArgs(Locator):
    option: Text | list[Text] = Field(description="Option value(s) or label(s)")


class CheckArgs(Locator):
    checked: bool = Field(True, description="false unticks")


class UploadArgs(Locator):
    files: Text | list[Text] = Field(description="Local file path(s)")


class PressArgs(OptionalLocator):
    key: str = Field(description="A key or chord: Enter, Tab, Control+A")


# --- waiting and checking -------------------------------------------------------------------


class WaitForArgs(Condition):
    """Wait (up to the step's timeout) until the condition holds."""


class AssertArgs(Condition):
    """Wait until the condition holds; if it does not, fail with a business error."""

    code: str = Field("ASSERTION_FAILED", description="Business error code on failure")
    message: str | None = Field(None, description="Message on failure (template)")


# --- values -------------------------------------------------------------------------------


class ReadField(Locator):
    """What to read, and how much of it to keep."""

    attribute: str | None = Field(None, description="Read this attribute instead of the text")
    regex: str | None = Field(None, description="Keep only what this regular expression matches")
    group: int | str | None = Field(
        None, description="The regex group to keep (default: 1 if the regex has groups, else 0)"
    )


class ExtractArgs(ReadField):
    into: str = Field(pattern=IDENTIFIER, description="Store the value in vars.<into>")


class ReadArgs(Spec):
    fields: dict[str, ReadField] = Field(
        min_length=1,
        description="vars to set: name → what to read (a locator, and attribute/regex/group "
        "as in extract)",
    )

    @model_validator(mode="after")
    def _names(self) -> ReadArgs:
        _identifiers(self.fields)
        return self


class SetArgs(Spec):
    values: dict[str, Any] = Field(description="vars to set: name → value (templates allowed)")

    @model_validator(mode="after")
    def _names(self) -> SetArgs:
        _identifiers(self.values)
        return self


class LogArgs(Spec):
    message: str
    level: Literal["debug", "info", "warning"] = "info"


class FailArgs(Spec):
    code: str = Field("PLAYBOOK_FAILED", description="Error code")
    message: str = Field(description="Why (template)")
    kind: Literal["business", "transient"] = Field(
        "business",
        description="business (a person must act; never retried) or transient (worth "
        "another try: retries and block restarts apply)",
    )


# --- artifacts ------------------------------------------------------------------------------


class ScreenshotArgs(Spec):
    name: str = Field("screenshot", description="File name (without .png) in the job's artifacts")
    full_page: bool = True


class VerifySpec(Spec):
    pdf_contains: list[Text] = Field(
        default_factory=list, description="Text each of which must be in the PDF"
    )


class DownloadArgs(Locator):
    """Click the element, save the file it downloads; the result has path, sha256, size."""

    save_as: str = Field(description="Where to save it; relative paths go to the job's artifacts")
    verify: VerifySpec | None = None


# --- challenges ---------------------------------------------------------------------------


class OtpArgs(Spec):
    into: LocatorLike = Field(description="The OTP field")
    channel: Literal["mobile", "email"] = "mobile"
    destination: str | None = Field(
        None, description="Where the OTP was sent (shown masked to the person asked)"
    )
    prompt: str | None = None


class CaptchaArgs(Spec):
    image: LocatorLike = Field(description="The captcha image")
    into: LocatorLike = Field(description="The captcha answer field")
    id_attribute: str | None = Field(
        None, description="An attribute of the image holding the captcha's id (for providers)"
    )
    prompt: str | None = None


class SignArgs(Spec):
    method: Literal["dsc", "aadhaar"]
    params: dict[str, Any] = Field(
        default_factory=dict, description="Passed to the signer (templates allowed)"
    )


# --- structure ----------------------------------------------------------------------------


class UseArgs(Spec):
    playbook: str = Field(description="A playbook name (beside this file or in playbooks/) or path")
    inputs: dict[str, Any] = Field(
        default_factory=dict,
        description="Its inputs; ones not given are taken from this playbook's inputs by name",
    )


__all__ = [
    "AssertArgs",
    "CaptchaArgs",
    "CheckArgs",
    "ClickArgs",
    "DownloadArgs",
    "ExtractArgs",
    "FailArgs",
    "FillArgs",
    "GotoArgs",
    "LogArgs",
    "OtpArgs",
    "PressArgs",
    "ReadArgs",
    "ReadField",
    "ScreenshotArgs",
    "SelectArgs",
    "SetArgs",
    "SignArgs",
    "UploadArgs",
    "UseArgs",
    "VerifySpec",
    "WaitForArgs",
]
