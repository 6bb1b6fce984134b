"""Text from outside (a client file, the portal) made safe to show on a terminal.

A firm name or a portal message may hold control characters: ESC starts the sequences
that clear a screen, retitle a window (OSC), hide text or forge a hyperlink; a lone CR
overwrites a line; Unicode's bidirectional overrides reorder what is read. ``printable``
shows each as its escape (``\\x1b``), so the text reads as it is and does nothing.
The command line also escapes Rich markup in such text (``rpa.cli.safe``).
"""

from __future__ import annotations

import re

# C0 controls, DEL, C1 controls (U+0080-U+009F: 8-bit CSI, OSC...), and the bidirectional
# embeddings, overrides and isolates. Joiners (ZWJ, ZWNJ) stay: scripts such as Devanagari
# need them.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str, *, keep: str = "") -> str:
    """``text`` with every control character shown as its escape, but those in ``keep``
    (``"\\n"`` for text whose lines are meant)."""

    def escaped(match: re.Match[str]) -> str:
        char = match.group()
        if char in keep:
            return char
        code = ord(char)
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _CONTROL.sub(escaped, text)
