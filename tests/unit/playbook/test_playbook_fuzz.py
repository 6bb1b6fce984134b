"""Whatever the file holds, the loader answers with a playbook or a PlaybookError."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rpa.errors import PlaybookError
from rpa.playbook.kinds import KINDS
from rpa.playbook.loader import Loader
from rpa.playbook.model import LOCATOR_KEYS, STEP_OPTION_KEYS, TOP_LEVEL_KEYS

WORDS = sorted(
    {
        *KINDS,
        *LOCATOR_KEYS,
        *STEP_OPTION_KEYS,
        *TOP_LEVEL_KEYS,
        "value",
        "rescue",
        "always",
        "url",
        "key",
        "into",
        "code",
        "message",
        "playbook",
        "inputs",
        "type",
        "visible",
        "text",
        "expr",
        "attempts",
        "not",
        "any",
        "all",
    }
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(
        ["{{ inputs.x }}", "{{ ''.__class__ }}", "{%", "{{ vars.a", "login", "Validate", "pan"]
    ),
)
keys = st.one_of(st.sampled_from(WORDS), st.text(max_size=8))
documents = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(keys, children, max_size=5),
    ),
    max_leaves=25,
)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the examples are written (module-scoped: hypothesis runs many per test)."""
    return tmp_path_factory.mktemp("fuzz")


def _load(folder: Path, text: str) -> None:
    path = folder / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        Loader([folder]).load(path)
    except PlaybookError as exc:
        assert exc.issues, "a PlaybookError always lists at least one issue"
        for issue in exc.issues:
            assert issue.message


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(st.sampled_from(list(TOP_LEVEL_KEYS)), documents, max_size=4),
    st.lists(st.dictionaries(keys, documents, max_size=3), max_size=5),
)
def test_random_playbook_shaped_yaml_never_crashes_the_loader(
    folder: Path, top: dict, steps: list
) -> None:
    document = {**top, "steps": steps}
    _load(folder, yaml.safe_dump(document, allow_unicode=True))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_random_text_never_crashes_the_loader(folder: Path, text: str) -> None:
    _load(folder, text)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "steps:",
                "  - ",
                "click:",
                " {",
                "}",
                "[",
                "]",
                "&a",
                "*a",
                "!!python/object:os.system",
                "\n",
                "  ",
                "- ",
                ": ",
                "'",
                '"',
                "{{",
                "}}",
                "<<: *a",
                "use: fuzz",
                "block:",
            ]
        ),
        max_size=40,
    )
)
def test_yaml_like_fragments_never_crash_the_loader(folder: Path, parts: list[str]) -> None:
    _load(folder, "".join(parts))


def test_a_block_that_contains_itself_through_an_alias_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "alias.yaml"
    path.write_text("steps: &a\n  - block: *a\n")
    try:
        Loader().load(path)
    except PlaybookError as exc:
        assert "nested more than" in str(exc)
    else:
        raise AssertionError("loaded")
