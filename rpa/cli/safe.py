"""Printing text from outside (client files, the portal, the journal) without letting it
act on the terminal (issue 16 §4).

Two guards:

- ``SafeConsole``, the console every command prints through (``rpa.cli.app``): any text
  it renders has its control characters shown as escapes (``rpa.terminal.printable``):
  no ESC, OSC or CSI sequence, no CR, no bidirectional override reaches the terminal from
  a firm name, an error quoting one, a prompt or a step.
- ``shown(text)``, for such text put into Rich markup (a ``console.print`` f-string, a
  table cell): its square brackets are escaped, so ``[link=…]`` in a firm name is text,
  not a hyperlink.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from rich.console import Console
from rich.markup import escape
from rich.style import Style
from rich.text import Text

from rpa.terminal import printable


def shown(text: object) -> str:
    """``text`` to put into Rich markup: control characters and markup made harmless."""
    return escape(printable(str(text), keep="\n"))


class SafeConsole(Console):
    """A Rich console that never writes a control character that came in text."""

    def render_str(
        self,
        text: str,
        *,
        style: str | Style = "",
        justify: Literal["default", "left", "center", "right", "full"] | None = None,
        overflow: Literal["fold", "crop", "ellipsis", "ignore"] | None = None,
        emoji: bool | None = None,
        markup: bool | None = None,
        highlight: bool | None = None,
        highlighter: Callable[[str | Text], Text] | None = None,
    ) -> Text:
        return super().render_str(
            printable(text, keep="\n\t"),
            style=style,
            justify=justify,
            overflow=overflow,
            emoji=emoji,
            markup=markup,
            highlight=highlight,
            highlighter=highlighter,
        )
