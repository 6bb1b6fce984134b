"""docs/renewal.md's webhook example is what ``rpa renew run`` sends (issue 16 §8)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from mock_portal.wording import ack_number
from rpa.notify import RunSummary

DOC = Path(__file__).resolve().parents[3] / "docs" / "renewal.md"


def webhook_example() -> dict[str, object]:
    text = DOC.read_text(encoding="utf-8")
    after = text.split("The webhook body is JSON:", 1)[1]
    block = re.search(r"```json\n(.*?)```", after, re.S)
    assert block is not None
    loaded: dict[str, object] = json.loads(block.group(1))
    return loaded


def test_the_webhook_example_shows_the_portals_ack_format() -> None:
    example = webhook_example()
    done = example["done"]
    assert isinstance(done, list)
    assert [d["ack_number"] for d in done] == [ack_number("update", 2026, 123)]


def test_the_webhook_example_has_the_fields_the_webhook_sends() -> None:
    sent = RunSummary(batch_id="b20260501-1a2b3c4d", done=[("AABCB4821K", "Bharat", "A")])
    example = webhook_example()
    assert set(example) == {*sent.to_dict(), "text"}
    done = example["done"]
    assert isinstance(done, list)
    assert set(done[0]) == set(sent.to_dict()["done"][0])
