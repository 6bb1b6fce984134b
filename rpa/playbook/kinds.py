"""The table of step kinds: each kind's argument model, its YAML shorthand, and what the
engine must know of it.

``normalise(kind, value)`` turns what an author wrote after ``<kind>:`` into the mapping
the kind's model validates; a scalar is accepted only where a kind has a shorthand.
``block`` and ``use`` are run by the engine itself; every other kind has a handler in
``rpa/steps/`` registered under the same name.

Adding a kind touches three places: its arguments (``rpa/playbook/args.py``), its spec
here (the facts below, which the loader, the executor, the retry policy and the trace
recorder read), and its handler (``rpa/steps/``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from rpa.playbook import args as a
from rpa.playbook.model import locator_shorthand

Shorthand = Callable[[Any], Any]
# How a kind meets the portal's progress overlay (``detect.overlay``):
# "before": the engine waits for it to go before the step acts;
# "pointer": Playwright's pointer action waits until the element is what the pointer hits,
#   so until a covering overlay has gone (unless ``force``): no wait of the engine's;
# "with-condition": the step waits for it together with its own condition;
# "none": the step does not act on page elements.
OverlayWait = Literal["before", "pointer", "with-condition", "none"]


def _nothing(_args: Any) -> Iterable[str]:
    return ()


@dataclass(frozen=True)
class KindSpec:
    name: str
    model: type[BaseModel] | None  # None: block (its value is a list of steps)
    summary: str
    shorthand: Shorthand | None = None  # scalar → mapping
    shorthand_doc: str | None = None  # what the scalar means, for the schema
    wrap: str | None = None  # the mapping is the value of this one field (set)
    # --- what the engine must know of the kind ---
    run_by_engine: bool = False  # block, use: no handler
    touches_page: bool = True  # False: never calls the browser (set, log, fail)
    only_reads: bool = False  # cannot bring the overlay back (it acts on nothing)
    overlay: OverlayWait = "before"
    loads_page: bool = False  # a new document: a busy page left by an earlier try is gone
    retried_by_default: bool = True  # False: the playbook's default retry does not apply
    kept_on_resume: bool = False  # still runs before `--from-step` (defines what follows)
    sensitive: bool = False  # always handles a secret (the trace pauses)
    notes_inputs: bool = False  # notes the inputs it types a secret into (so the trace
    # recorder can tell when they are cleared)
    defines: Callable[[Any], Iterable[str]] = _nothing  # variables its arguments define


def _key(name: str) -> Shorthand:
    return lambda value: {name: value}


def _locator(value: Any) -> Any:
    return locator_shorthand(str(value))


def _wait_for(value: Any) -> Any:
    return {"visible": str(value)}


def _set_vars(args: Any) -> Iterable[str]:
    return list(args.values)


def _extract_var(args: Any) -> Iterable[str]:
    return [args.into]


def _read_vars(args: Any) -> Iterable[str]:
    return list(args.fields)


KINDS: dict[str, KindSpec] = {
    spec.name: spec
    for spec in (
        KindSpec(
            "goto",
            a.GotoArgs,
            "Open a URL",
            _key("url"),
            "the URL",
            overlay="none",
            loads_page=True,
        ),
        KindSpec(
            "click",
            a.ClickArgs,
            "Click an element",
            _locator,
            "a button/link name or text",
            overlay="pointer",
        ),
        KindSpec("fill", a.FillArgs, "Type a value into a field", notes_inputs=True),
        KindSpec("select", a.SelectArgs, "Choose option(s) of a <select>"),
        KindSpec(
            "check", a.CheckArgs, "Tick (or untick) a checkbox or radio button", overlay="pointer"
        ),
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
            only_reads=True,
            overlay="with-condition",
        ),
        KindSpec(
            "assert",
            a.AssertArgs,
            "Fail with a business error unless a condition holds",
            only_reads=True,
            overlay="with-condition",
        ),
        KindSpec(
            "extract",
            a.ExtractArgs,
            "Read text off the page into a variable",
            only_reads=True,
            defines=_extract_var,
        ),
        KindSpec(
            "read",
            a.ReadArgs,
            "Read several values off the page at once",
            wrap="fields",
            only_reads=True,
            defines=_read_vars,
        ),
        KindSpec(
            "set",
            a.SetArgs,
            "Set variables",
            wrap="values",
            touches_page=False,
            only_reads=True,
            overlay="none",
            kept_on_resume=True,
            defines=_set_vars,
        ),
        KindSpec(
            "log",
            a.LogArgs,
            "Write a line to the job's log",
            _key("message"),
            "the message",
            touches_page=False,
            only_reads=True,
            overlay="none",
        ),
        KindSpec(
            "fail",
            a.FailArgs,
            "Fail the job with a business error",
            _key("message"),
            "the message",
            touches_page=False,
            only_reads=True,
            overlay="none",
            retried_by_default=False,  # it fails the same way every time
        ),
        KindSpec(
            "screenshot",
            a.ScreenshotArgs,
            "Save a screenshot",
            _key("name"),
            "file name",
            only_reads=True,
        ),
        KindSpec("download", a.DownloadArgs, "Click, save the download, verify it"),
        KindSpec(
            "otp",
            a.OtpArgs,
            "Ask the OTP provider for an OTP and enter it",
            sensitive=True,
            notes_inputs=True,
        ),
        KindSpec(
            "captcha",
            a.CaptchaArgs,
            "Ask the captcha provider to solve one and enter it",
            sensitive=True,
            notes_inputs=True,
        ),
        KindSpec(
            "sign",
            a.SignArgs,
            "Sign with a DSC or Aadhaar eSign (registered signer)",
            _key("method"),
            "dsc or aadhaar",
            sensitive=True,
        ),
        KindSpec(
            "use",
            a.UseArgs,
            "Run another playbook (login is one)",
            _key("playbook"),
            "the playbook's name",
            run_by_engine=True,
            overlay="none",
            retried_by_default=False,  # its steps have their own
            kept_on_resume=True,
        ),
        KindSpec(
            "block",
            None,
            "Run steps as a group, with rescue/always and retry",
            run_by_engine=True,
            overlay="none",
            retried_by_default=False,  # its steps have their own
        ),
    )
}

ENGINE_KINDS = frozenset(name for name, spec in KINDS.items() if spec.run_by_engine)


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
