"""The playbook language as data: locators, conditions, retry policies, inputs, steps.

Two layers live here:

- **pydantic models** (``Locator``, ``Condition``, ``RetrySpec``, ``InputSpec``, ``Detect``,
  ``StepOptions``, ``PlaybookHeader``): what a YAML author may write, validated at load time,
  and the source of ``rpa schema``. The per-kind argument models are in ``args.py``.
- **canonical dataclasses** (``Step``, ``Playbook``): what the loader builds once every
  shorthand is normalised; the engine only ever sees these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

IDENTIFIER = r"^[A-Za-z_][A-Za-z0-9_]*$"


class Spec(BaseModel):
    """Base of every model an author writes: unknown keys are refused, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _text(value: Any) -> Any:
    """YAML reads ``value: 123`` as a number (``2024-01-31`` as a date); where text is
    expected, take it as text."""
    if isinstance(value, int | float | date) and not isinstance(value, bool):
        return str(value)
    return value


Text = Annotated[str, BeforeValidator(_text, json_schema_input_type=str | int | float)]


# --- locators -----------------------------------------------------------------------------

LOCATOR_STRATEGIES = ("role", "label", "text", "placeholder", "test_id", "css", "any_of")
LOCATOR_KEYS = (*LOCATOR_STRATEGIES, "name", "exact", "has_text", "nth")


def locator_shorthand(text: str) -> dict[str, Any]:
    """``"Validate"`` → a button or link named so, else any element with that text."""
    return {
        "any_of": [
            {"role": "button", "name": text, "exact": True},
            {"role": "link", "name": text, "exact": True},
            {"text": text},
        ]
    }


def _locator_like(value: Any) -> Any:
    return locator_shorthand(str(value)) if isinstance(value, str | int | float) else value


class LocatorFields(Spec):
    """How to find an element. Exactly one strategy: role (+ name), label, text,
    placeholder, test_id, css, or any_of (ordered fallbacks: the first that matches wins)."""

    role: str | None = Field(None, description="ARIA role (button, link, textbox, ...); see name")
    name: Text | None = Field(None, description="Accessible name, with role")
    label: Text | None = Field(None, description="The text of the field's <label>")
    text: Text | None = Field(None, description="Visible text (substring unless exact)")
    placeholder: Text | None = Field(None, description="The field's placeholder")
    test_id: str | None = Field(None, description="The data-testid attribute")
    css: str | None = Field(None, description="A CSS selector")
    any_of: list[LocatorLike] | None = Field(
        None, description="Ordered fallbacks: the first alternative that matches wins"
    )
    exact: bool = Field(False, description="Match name/label/text exactly (case and whole)")
    has_text: Text | None = Field(None, description="Keep only elements containing this text")
    nth: int | None = Field(None, description="Pick the n-th match (0-based) instead of the first")

    def strategies(self) -> list[str]:
        return [key for key in LOCATOR_STRATEGIES if getattr(self, key) is not None]

    def locator(self) -> Locator:
        """The locator part of an argument model that embeds one."""
        data = self.model_dump(include=set(LOCATOR_KEYS), exclude_defaults=True)
        return Locator.model_validate(data)

    def describe(self) -> str:
        if self.any_of:
            return " or ".join(alt.describe() for alt in self.any_of)
        if self.role:
            text = f"role={self.role}" + (f'[name="{self.name}"]' if self.name else "")
        else:
            key = self.strategies()[0] if self.strategies() else "?"
            text = f'{key}="{getattr(self, key, "")}"'
        if self.has_text:
            text += f' has_text="{self.has_text}"'
        return text + (f" nth={self.nth}" if self.nth is not None else "")


def _one_strategy(fields: LocatorFields, *, optional: bool = False) -> None:
    found = fields.strategies()
    if len(found) > 1:
        raise ValueError(f"a locator has one strategy; found {', '.join(found)}")
    if not found and not optional:
        raise ValueError(f"a locator needs one of: {', '.join(LOCATOR_STRATEGIES)}")
    if fields.name is not None and fields.role is None:
        raise ValueError("name goes with role (role: button, name: Validate)")


class Locator(LocatorFields):
    @model_validator(mode="after")
    def _check(self) -> Locator:
        _one_strategy(self)
        return self


class OptionalLocator(LocatorFields):
    """Argument models whose target element is optional (``press``)."""

    @model_validator(mode="after")
    def _check(self) -> OptionalLocator:
        _one_strategy(self, optional=True)
        return self

    @property
    def has_target(self) -> bool:
        return bool(self.strategies())


LocatorLike = Annotated[
    Locator, BeforeValidator(_locator_like, json_schema_input_type=str | Locator)
]


# --- conditions ---------------------------------------------------------------------------

CONDITION_KEYS = ("expr", "visible", "hidden", "url", "text", "overlay_gone", "all", "any", "not")


def _condition_like(value: Any) -> Any:
    if isinstance(value, bool):
        return {"expr": "true" if value else "false"}
    if isinstance(value, str | int | float):
        return {"expr": str(value)}
    return value


class Condition(Spec):
    """A test of the job's values or of the page. Exactly one of the keys below.

    A bare string is an expression (``when: "inputs.mode == 'update'"``). Page probes check
    the page as it is now (``when``, ``guard``, ``until``), or wait for it to become true
    (``wait_for``, ``assert``).
    """

    expr: str | None = Field(None, description="An expression over inputs, vars, client, ...")
    visible: LocatorLike | None = Field(None, description="An element is visible")
    hidden: LocatorLike | None = Field(None, description="No element matching is visible")
    url: str | None = Field(
        None, description="The URL contains this; or a glob with * ; or a regex after 're:'"
    )
    text: Text | None = Field(None, description="Some visible element contains this text")
    overlay_gone: Literal[True] | None = Field(
        None, description="The portal's progress overlay (detect.overlay) is not visible"
    )
    all: list[ConditionLike] | None = Field(None, description="Every condition holds")
    any: list[ConditionLike] | None = Field(None, description="At least one condition holds")
    not_: ConditionLike | None = Field(None, alias="not", description="The condition is false")

    @model_validator(mode="after")
    def _exactly_one(self) -> Condition:
        found = self.keys()
        if len(found) != 1:
            listed = ", ".join(found) if found else "none"
            raise ValueError(
                f"a condition has exactly one of {', '.join(CONDITION_KEYS)}; found {listed}"
            )
        return self

    def keys(self) -> list[str]:
        return [
            key
            for key in CONDITION_KEYS
            if getattr(self, "not_" if key == "not" else key) is not None
        ]

    def describe(self) -> str:
        key = self.keys()[0]
        if key == "expr":
            return f"({self.expr})"
        if key in ("visible", "hidden"):
            loc = self.visible or self.hidden
            return f"{key} {loc.describe() if loc else ''}"
        if key in ("all", "any"):
            parts = self.all if key == "all" else self.any
            return f"{key}(" + ", ".join(c.describe() for c in parts or ()) + ")"
        if key == "not":
            return f"not {self.not_.describe() if self.not_ else ''}"
        if key == "overlay_gone":
            return "overlay gone"
        return f'{key} "{getattr(self, key)}"'


ConditionLike = Annotated[
    Condition,
    BeforeValidator(_condition_like, json_schema_input_type=str | bool | Condition),
]


# --- retry --------------------------------------------------------------------------------

RetryOn = Literal["transient", "portal-changed", "business", "challenge-timeout"]


class RetrySpec(Spec):
    """Run a step (or a whole block) again when it fails in one of the ``on`` ways, or
    until ``until`` holds. Delays grow: delay, delay*backoff, delay*backoff², ... ≤ max_delay.
    """

    attempts: int = Field(3, ge=1, le=100, description="Attempts in all, the first included")
    delay: float = Field(1.0, ge=0, description="Seconds before the second attempt")
    backoff: float = Field(2.0, ge=1, description="Each later delay is multiplied by this")
    max_delay: float = Field(60.0, ge=0, description="Upper bound of one delay, in seconds")
    until: ConditionLike | None = Field(
        None, description="Also retry while this is false after a successful attempt"
    )
    on: list[RetryOn] = Field(
        default_factory=lambda: list[RetryOn](["transient"]),
        description="Failure kinds that are retried",
    )


class RestartSpec(Spec):
    """Run a whole block again from its start when a step inside it has failed in one of
    the ``on`` ways after its own retries: the way out of a page a step's retry cannot
    repair (a busy page answering a click whose result JavaScript loads). The block's first
    steps should bring the page back to a known state (a ``goto``, a ``use: login``).
    """

    attempts: int = Field(
        2, ge=1, le=10, description="Runs of the block in all, the first included"
    )
    delay: float = Field(2.0, ge=0, description="Seconds before the second run")
    backoff: float = Field(2.0, ge=1, description="Each later delay is multiplied by this")
    max_delay: float = Field(60.0, ge=0, description="Upper bound of one delay, in seconds")
    on: list[RetryOn] = Field(
        default_factory=lambda: list[RetryOn](["transient"]),
        description="Failure kinds that restart the block",
    )


# --- inputs -------------------------------------------------------------------------------


class InputType(StrEnum):
    IEC = "iec"
    PAN = "pan"
    DATE = "date"
    EMAIL = "email"
    MOBILE = "mobile"
    ENUM = "enum"
    SECRET = "secret"
    PATH = "path"
    BOOL = "bool"
    STR = "str"


class InputSpec(Spec):
    """One input of a playbook. Required unless it has a default (or ``required: false``)."""

    type: InputType = Field(InputType.STR, description="How the value is checked")
    required: bool | None = Field(None, description="Default: true unless a default is given")
    default: Any = Field(None, description="Used when the input is not given")
    choices: list[Text] | None = Field(None, description="The allowed values of an enum")
    description: str | None = None

    @model_validator(mode="after")
    def _enum_has_choices(self) -> InputSpec:
        if self.type is InputType.ENUM and not self.choices:
            raise ValueError("an enum input needs choices: [...]")
        if self.choices and self.type is not InputType.ENUM:
            raise ValueError("choices only go with type: enum")
        return self

    @property
    def is_required(self) -> bool:
        return self.required if self.required is not None else self.default is None


# --- portal detection ---------------------------------------------------------------------


class ErrorDetector(Spec):
    """A portal message that means the request was refused: fail with ``code``."""

    when: ConditionLike = Field(description="How to recognise the message")
    code: str = Field(description="The business error code, e.g. PAN_MISMATCH")
    message: str | None = Field(
        None, description="Message (template); default: the text of the matched element"
    )


class PopupDetector(Spec):
    """A pop-up dialog the portal shows its messages in (e.g. bootbox's ``.bootbox.modal``).
    Its text is page text for ``text:`` conditions and ``errors``; a wait ends when one
    shows; the detectors dismiss it once they have read it."""

    dialog: LocatorLike = Field(description="The pop-up dialog")
    dismiss: LocatorLike = Field(description="Within the dialog: what closes it (an OK button)")


class Detect(Spec):
    """How to recognise the portal's states. Checked after a step that navigated and
    whenever a step fails, to tell a transient failure from a logout or a refusal."""

    session_expired: ConditionLike | None = Field(
        None, description="True when the portal has logged us out (then on_session_expired runs)"
    )
    busy: ConditionLike | None = Field(
        None, description='True on a "server busy"/maintenance page: a transient failure'
    )
    overlay: LocatorLike | None = Field(
        None, description="The progress overlay; steps wait until it is hidden"
    )
    popup: PopupDetector | None = Field(
        None, description="The pop-up dialog the portal shows messages in"
    )
    errors: list[ErrorDetector] = Field(
        default_factory=list, description="Portal messages that are business errors"
    )

    def then(self, other: Detect) -> Detect:
        """These detectors, completed by ``other``'s: for each single detector the first
        declared wins (this one's); error detectors are all kept, these first."""
        merged = {
            key: getattr(self, key) if getattr(self, key) is not None else getattr(other, key)
            for key in SINGLE_DETECTORS
        }
        return Detect.model_validate({**merged, "errors": [*self.errors, *other.errors]})


SINGLE_DETECTORS = ("session_expired", "busy", "overlay", "popup")


# --- steps --------------------------------------------------------------------------------


class StepOptions(Spec):
    """Keys any step (or block) may carry next to its kind."""

    name: Text | None = Field(None, description="What the step does, shown in logs and events")
    when: ConditionLike | None = Field(None, description="Run only if this holds")
    retry: RetrySpec | None = Field(None, description="Retry policy of this step or block")
    submit: bool = Field(False, description="This step changes the portal's state")
    guard: ConditionLike | None = Field(
        None, description="Before a submit: true means the change is already there (job ends ok)"
    )
    register_as: str | None = Field(
        None,
        alias="register",
        pattern=IDENTIFIER,
        description="Store the step's result in vars.<register>",
    )
    timeout_ms: int | None = Field(None, ge=0, description="This step's wait, instead of default")
    sensitive: bool = Field(
        False, description="The step handles a secret: no trace, masked screenshots"
    )


class BlockOptions(Spec):
    """Keys only a block may carry."""

    rescue: list[Any] | None = Field(None, description="Steps run when the block failed")
    always: list[Any] | None = Field(None, description="Steps run after the block, always")
    session: Literal["resume", "restart"] = Field(
        "resume",
        description="After a re-login inside this block: resume at the failed step, or "
        "restart the block",
    )
    restart: RestartSpec | None = Field(
        None,
        description="Run the block again from its start when a step inside it failed "
        "(after its own retries) in one of these ways; every submit step inside must be "
        "guarded inside the block",
    )


STEP_OPTION_KEYS = tuple(f.alias or n for n, f in StepOptions.model_fields.items())
BLOCK_OPTION_KEYS = tuple(BlockOptions.model_fields)


@dataclass(frozen=True, slots=True, eq=False)
class Step:
    """One canonical step. ``kind`` names its handler; ``args`` is that kind's model."""

    id: str  # position: "3", "2.1", "2.rescue.1", "session.1"
    kind: str
    args: BaseModel | None  # the kind's argument model (args.py); None for a block
    options: StepOptions = field(default_factory=StepOptions)
    body: tuple[Step, ...] = ()
    rescue: tuple[Step, ...] = ()
    always: tuple[Step, ...] = ()
    session: Literal["resume", "restart"] = "resume"
    restart: RestartSpec | None = None
    used: Playbook | None = None  # the playbook a `use` step runs
    file: str = ""
    line: int | None = None

    @property
    def title(self) -> str:
        return self.options.name or f"#{self.id} {self.kind}"

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    def children(self) -> tuple[Step, ...]:
        return self.body + self.rescue + self.always


@dataclass(frozen=True, slots=True, eq=False)
class Playbook:
    """A loaded, checked playbook; ``use`` steps hold the playbooks they run."""

    name: str
    file: str
    steps: tuple[Step, ...]
    description: str = ""
    inputs: dict[str, InputSpec] = field(default_factory=dict)
    vars: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)
    detect: Detect = field(default_factory=Detect)
    retry: RetrySpec = field(default_factory=RetrySpec)
    on_session_expired: tuple[Step, ...] = ()
    max_relogins: int = 2

    def walk(self) -> list[Step]:
        """Every step of this playbook (not of the ones it uses), depth first."""
        found: list[Step] = []
        stack = list(reversed(self.steps + self.on_session_expired))
        while stack:
            step = stack.pop()
            found.append(step)
            stack.extend(reversed(step.children()))
        return found


def unguarded_submit_steps(steps: Sequence[Step]) -> list[str]:
    """Names of the submit steps among ``steps`` (and the playbooks they use) that no guard
    covers, their own or an enclosing block's: unsafe to run again after an unknown result."""
    found: list[str] = []

    def visit(step: Step, guarded: bool) -> None:
        guarded = guarded or step.options.guard is not None
        if step.options.submit and not guarded:
            found.append(step.options.name or step.id)
        for child in step.children():
            visit(child, guarded)
        if step.used is not None:
            for child in step.used.steps:
                visit(child, guarded)

    for step in steps:
        visit(step, False)
    return found


class PlaybookHeader(Spec):
    """The top-level keys of a playbook file, apart from ``steps`` and ``on_session_expired``."""

    name: str | None = Field(None, description="Default: the file name without .yaml")
    description: str = ""
    extends: str | None = Field(
        None,
        description="A playbook (e.g. portal) whose detect and on_session_expired this one "
        "takes where it declares none of its own; its steps are not run",
    )
    inputs: dict[str, InputSpec] = Field(default_factory=dict)
    vars: dict[str, Any] = Field(default_factory=dict)
    outputs: dict[str, str] = Field(
        default_factory=dict, description="The job's result values: name → template"
    )
    detect: Detect = Field(default_factory=Detect)
    retry: RetrySpec = Field(
        default_factory=RetrySpec,
        description="Policy for steps with no retry of their own and no retrying block",
    )
    max_relogins: int = Field(2, ge=0, le=10, description="Re-logins allowed in one job")


TOP_LEVEL_KEYS = (*PlaybookHeader.model_fields, "steps", "on_session_expired")

LocatorFields.model_rebuild()
Locator.model_rebuild()
OptionalLocator.model_rebuild()
Condition.model_rebuild()
