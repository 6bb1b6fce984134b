"""The table of step kinds: each kind's argument model and its YAML shorthand.

``normalise(kind, value)`` turns what an author wrote after ``<kind>:`` into the mapping
the kind's model validates; a scalar is accepted only where a kind has a shorthand.
``block`` and ``use`` are run by the engine itself; every other kind has a handler in
``rpa/steps/`` registered under the same name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from rpa.playbook import args as a
from rpa.playbook.model import locator_shorthand

Shorthand = Callable[[Any], Any]


@dataclass(frozen=True)
class KindSpec:
    name: str
    model: type[BaseModel] | None  # None: block (its value is a list of steps)
    summary: str
    shorthand: Shorthand | None = None  # scalar → mapping
    shorthand_doc: str | None = None  # what the scalar means, for the schema
    wrap: str | None = None  # the mapping is the value of this one field (set)


def _key(name: str) -> Shorthand:
    return lambda value: {name: value}


def _locator(value: Any) -> Any:
    return locator_shorthand(str(value))


def _wait_for(value: Any) -> Any:
    return {"visible": str(value)}


KINDS: dict[str, KindSpec] = {
    spec.name: spec
    for spec in (
        KindSpec("goto", a.GotoArgs, "Open a URL", _key("url"), "the URL"),
        KindSpec("click", a.ClickArgs, "Click an element", _locator, "a button/link name or text"),
        KindSpec("fill", a.FillArgs, "Type a value into a field"),
        KindSpec("select", a.SelectArgs, "Choose option(s) of a <select>"),
        KindSpec("check", a.CheckArgs, "Tick (or untick) a checkbox or radio button"),
        KindSpec("upload", a.UploadArgs, "Attach local file(s) to a file input"),
        KindSpec(
            "press", a.PressArgs, "Press a key, on an element or the page", _key("key"), "the key"
        ),
        KindSpec(
            "wait_for",
            a.WaitForArgs,
            "Wait until a condition holds",
            _wait_for,
            "text or a button/link name that must become visible",
        ),
        KindSpec("assert", a.AssertArgs, "Fail with a business error unless a condition holds"),
        KindSpec("extract", a.ExtractArgs, "Read text off the page into a variable"),
        KindSpec("read", a.ReadArgs, "Read several values off the page at once", wrap="fields"),
        KindSpec("set", a.SetArgs, "Set variables", wrap="values"),
        KindSpec("log", a.LogArgs, "Write a line to the job's log", _key("message"), "the message"),
        KindSpec(
            "fail", a.FailArgs, "Fail the job with a business error", _key("message"), "the message"
        ),
        KindSpec("screenshot", a.ScreenshotArgs, "Save a screenshot", _key("name"), "file name"),
        KindSpec("download", a.DownloadArgs, "Click, save the download, verify it"),
        KindSpec("otp", a.OtpArgs, "Ask the OTP provider for an OTP and enter it"),
        KindSpec("captcha", a.CaptchaArgs, "Ask the captcha provider to solve one and enter it"),
        KindSpec(
            "sign",
            a.SignArgs,
            "Sign with a DSC or Aadhaar eSign (registered signer)",
            _key("method"),
            "dsc or aadhaar",
        ),
        KindSpec(
            "use",
            a.UseArgs,
            "Run another playbook (login is one)",
            _key("playbook"),
            "the playbook's name",
        ),
        KindSpec("block", None, "Run steps as a group, with rescue/always and retry"),
    )
}

ENGINE_KINDS = frozenset({"block", "use"})  # run by the engine, not by a handler
SENSITIVE_KINDS = frozenset({"otp", "captcha", "sign"})  # always handle secrets


def normalise(kind: str, value: Any) -> Any:
    """The mapping ``KINDS[kind].model`` validates, from what the author wrote."""
    spec = KINDS[kind]
    if spec.wrap is not None:
        return {spec.wrap: value} if isinstance(value, dict) else value
    scalar = isinstance(value, str | int | float) and not isinstance(value, bool)
    if scalar and spec.shorthand is not None:
        return spec.shorthand(value)
    if value is None:
        return {}  # `screenshot:` with nothing after it
    return value
