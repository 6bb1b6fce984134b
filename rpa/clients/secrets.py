"""Secret references: where a client's password, token PIN or Aadhaar number comes from.

A client file never has to hold a secret. Its secret fields hold a *reference*:

- ``env:NAME``            the environment variable ``NAME``
- ``file:PATH``           the first line of a file (stripped); a relative ``PATH`` is taken
                          from the client file's folder
- ``keyring:SERVICE/NAME`` the OS keyring, through the optional ``keyring`` package
                          (the last ``/`` separates the service from the name)

Anything else is a *literal*: accepted, with a warning, because it puts the secret in the file.

``SecretRef`` keeps the reference, never the resolved value. ``resolve()`` reads the value
when it is needed, registers it in the current secret scope (``rpa.masking``: the running
job's, so its error texts and log records are masked of it, and no other job's are), and
returns it. ``str()``, ``repr()`` and pydantic serialisation show the
reference (``env:DEMO_PORTAL_PASSWORD``) or ``<literal>``, never a value. ``SecretError``
messages name the reference, never the secret.

A job's templates see its secrets as a mapping: ``LazySecrets`` resolves each one only when
it is first read, and ``Secrets`` (what the engine hands the templates) registers each value
read in the job's secret scope first.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

from rpa.errors import SecretError
from rpa.masking import register_secret

LITERAL_SHOWN = "<literal>"
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class SecretKind(StrEnum):
    ENV = "env"
    FILE = "file"
    KEYRING = "keyring"
    LITERAL = "literal"


class SecretRef:
    """A reference to a secret. Build with ``SecretRef.parse``; read with ``resolve()``."""

    __slots__ = ("_literal", "base_dir", "kind", "target")

    kind: SecretKind
    target: str
    base_dir: Path | None
    _literal: str | None

    def __init__(
        self,
        kind: SecretKind,
        target: str,
        *,
        base_dir: Path | None = None,
        literal: str | None = None,
    ) -> None:
        self.kind = kind
        self.target = target
        self.base_dir = base_dir
        # A literal is not registered here: loading a client file is not running its job,
        # and a value registered outside a job would mask the process's own text
        # (``rpa.masking``). It is registered, like any secret, when resolved.
        self._literal = literal

    @classmethod
    def parse(cls, text: str, *, base_dir: Path | None = None) -> SecretRef:
        """``env:NAME`` / ``file:PATH`` / ``keyring:SERVICE/NAME``, or a literal.

        Raises ``ValueError`` (never naming a literal's value) when a reference is malformed.
        """
        raw = text.strip()
        prefix, sep, rest = raw.partition(":")
        kind = prefix.strip().lower()
        if sep and kind == SecretKind.ENV:
            name = rest.strip()
            if not _ENV_NAME.fullmatch(name):
                raise ValueError(
                    f"env: reference needs an environment variable name "
                    f"(letters, digits, _), e.g. env:DEMO_PORTAL_PASSWORD; got 'env:{name}'"
                )
            return cls(SecretKind.ENV, name)
        if sep and kind == SecretKind.FILE:
            path = rest.strip()
            if not path:
                raise ValueError("file: reference needs a path, e.g. file:secrets/acme.txt")
            return cls(SecretKind.FILE, path, base_dir=base_dir)
        if sep and kind == SecretKind.KEYRING:
            service, slash, name = rest.strip().rpartition("/")
            if not slash or not service.strip() or not name.strip():
                raise ValueError(
                    "keyring: reference must be keyring:SERVICE/NAME, e.g. keyring:dgft/acme"
                )
            return cls(SecretKind.KEYRING, f"{service.strip()}/{name.strip()}")
        if not raw:
            raise ValueError("a secret reference cannot be empty")
        return cls(SecretKind.LITERAL, "", literal=raw)

    @property
    def is_literal(self) -> bool:
        return self.kind is SecretKind.LITERAL

    def resolve(self) -> str:
        """The secret's value, registered in the current secret scope (``rpa.masking``).
        Raises ``SecretError``."""
        if self.kind is SecretKind.LITERAL:
            value = self._literal or ""
        elif self.kind is SecretKind.ENV:
            value = self._from_env()
        elif self.kind is SecretKind.FILE:
            value = self._from_file()
        else:
            value = self._from_keyring()
        register_secret(value)
        return value

    @property
    def path(self) -> Path:
        """The file a ``file:`` reference points at (absolute when a base folder is known)."""
        path = Path(self.target).expanduser()
        if not path.is_absolute() and self.base_dir is not None:
            path = self.base_dir / path
        return path

    def _from_env(self) -> str:
        value = os.environ.get(self.target)
        if value is None:
            raise SecretError(f"environment variable {self.target} is not set (needed by {self})")
        value = value.strip()
        if not value:
            raise SecretError(f"environment variable {self.target} is empty (needed by {self})")
        return value

    def _from_file(self) -> str:
        path = self.path
        try:
            with path.open(encoding="utf-8-sig") as handle:
                first = handle.readline()
        except FileNotFoundError as exc:
            raise SecretError(f"secret file {path} does not exist (needed by {self})") from exc
        except IsADirectoryError as exc:
            raise SecretError(f"secret file {path} is a folder (needed by {self})") from exc
        except UnicodeDecodeError as exc:
            raise SecretError(f"secret file {path} is not UTF-8 text (needed by {self})") from exc
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise SecretError(f"secret file {path} cannot be read: {reason}") from exc
        value = first.strip()
        if not value:
            raise SecretError(f"secret file {path} has an empty first line (needed by {self})")
        return value

    def _from_keyring(self) -> str:
        service, _, name = self.target.rpartition("/")
        try:
            import keyring
        except ImportError as exc:
            raise SecretError(
                f"{self} needs the keyring package, which is not installed: pip install keyring"
            ) from exc
        try:
            value = keyring.get_password(service, name)
        except Exception as exc:  # any backend failure; its text may not be ours to show
            raise SecretError(
                f"the keyring could not be read for {self}: {type(exc).__name__}"
            ) from exc
        if value is None or not str(value).strip():
            raise SecretError(
                f"the keyring has no secret for service {service!r}, name {name!r} ({self})"
            )
        return str(value).strip()

    # --- display: the reference, never the value -------------------------------------------

    def __str__(self) -> str:
        if self.kind is SecretKind.LITERAL:
            return LITERAL_SHOWN
        return f"{self.kind.value}:{self.target}"

    def __repr__(self) -> str:
        return f"SecretRef({str(self)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SecretRef):
            return NotImplemented
        return (self.kind, self.target, self.base_dir, self._literal) == (
            other.kind,
            other.target,
            other.base_dir,
            other._literal,
        )

    def __hash__(self) -> int:
        return hash((self.kind, self.target, self.base_dir, self._literal))

    def __reduce__(self) -> tuple[Any, ...]:
        # Copies and pickles keep the reference (and a literal, which is already in memory).
        return (
            _rebuild,
            (self.kind, self.target, self.base_dir, self._literal),
        )

    # --- pydantic integration ---------------------------------------------------------------

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.with_info_plain_validator_function(
            _validate,
            serialization=core_schema.plain_serializer_function_ser_schema(
                str, return_schema=core_schema.str_schema()
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "type": "string",
            "description": "env:NAME, file:PATH or keyring:SERVICE/NAME (a literal is discouraged)",
        }


def _rebuild(
    kind: SecretKind, target: str, base_dir: Path | None, literal: str | None
) -> SecretRef:
    return SecretRef(kind, target, base_dir=base_dir, literal=literal)


def _validate(value: Any, info: core_schema.ValidationInfo) -> SecretRef:
    if isinstance(value, SecretRef):
        return value
    name = info.field_name or "secret"
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    elif isinstance(value, float) and value.is_integer():
        value = str(int(value))
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a secret reference such as env:NAME")
    context = info.context if isinstance(info.context, dict) else {}
    base_dir = context.get("base_dir")
    try:
        return SecretRef.parse(value, base_dir=Path(base_dir) if base_dir is not None else None)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


class LazySecrets(Mapping[str, str]):
    """Secrets resolved only when a template reads them (a client's DSC PIN is not read
    from the keyring for a job that never signs). ``resolve`` raises ``SecretError``."""

    def __init__(self, names: Iterable[str], resolve: Callable[[str], str]) -> None:
        self._names = list(names)
        self._resolve = resolve
        self._cache: dict[str, str] = {}

    def __getitem__(self, key: str) -> str:
        if key not in self._names:
            raise KeyError(key)
        if key not in self._cache:
            self._cache[key] = self._resolve(key)
        return self._cache[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


class Secrets(Mapping[str, str]):
    """The job's secrets for templates (``secrets.password``). Values may be resolved
    lazily by the caller's mapping; each one read is registered in the job's secret scope
    first (``rpa.masking``)."""

    def __init__(self, source: Mapping[str, str] | None) -> None:
        self._source = source or {}

    def __getitem__(self, key: str) -> str:
        value = self._source[key]
        register_secret(value)
        return value

    def __iter__(self) -> Iterator[str]:
        return iter(self._source)

    def __len__(self) -> int:
        return len(self._source)

    def __repr__(self) -> str:
        return f"<secrets: {', '.join(self._source)}>"
