from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from loguru import logger

from rpa.logs import LOG_FILE_NAME, configure_logging
from rpa.masking import MASK, mask, mask_tail, register_secret, registry


@pytest.fixture(autouse=True)
def fresh_registry() -> Iterator[None]:
    registry.clear()
    yield
    registry.clear()
    logger.remove()


def test_registered_secrets_are_masked_in_text() -> None:
    register_secret("s3cret-pass")
    assert mask("password is s3cret-pass!") == f"password is {MASK}!"


def test_a_longer_secret_containing_a_shorter_one_is_masked_whole() -> None:
    register_secret("1234")
    register_secret("123456789012")
    assert mask("aadhaar 123456789012") == f"aadhaar {MASK}"


def test_very_short_values_are_not_registered_so_ordinary_text_survives() -> None:
    register_secret("1")
    assert mask("step 1 of 10") == "step 1 of 10"


def test_mask_tail_keeps_only_the_last_digits() -> None:
    assert mask_tail("9876543210") == "******3210"


def test_the_json_log_file_never_holds_a_registered_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    register_secret("Pa55word!xyz")
    path = configure_logging(level="DEBUG", logs_dir=tmp_path)
    assert path == tmp_path / LOG_FILE_NAME
    logger.info("logging in with password Pa55word!xyz for {}", "acme")
    logger.bind(detail="pin Pa55word!xyz").warning("with extra")
    logger.remove()
    text = path.read_text()
    assert "Pa55word!xyz" not in text
    assert "Pa55word!xyz" not in capsys.readouterr().err
    records = [json.loads(line) for line in text.splitlines()]
    assert records[0]["record"]["message"] == f"logging in with password {MASK} for acme"
    assert records[1]["record"]["extra"]["detail"] == f"pin {MASK}"
