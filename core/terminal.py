"""Text from registries and chats, made safe to print on a terminal (pure).

A registry cell or a chat message can carry terminal control sequences: ESC [ … (CSI: colours, cursor
moves, clearing the screen), ESC ] … BEL (OSC: the window title, hyperlinks, on some terminals the clipboard),
other escapes, C1 controls, backspaces and carriage returns that overwrite what was printed. Echoed as they are,
they would act on the administrator's terminal. `printable` removes them; line feeds and tabs stay.
"""

from __future__ import annotations

import re

# Whole sequences first (so their parameters do not stay behind as text), then any lone control character.
_SEQUENCES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]"               # CSI … final byte
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f]).*?(?:\x07|\x1b\\|\x9c|$)"  # OSC, DCS, SOS, PM, APC … terminator
    r"|\x1b[ -/]*[0-~]?",                              # other ESC sequences (and a lone ESC)
    re.S)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """`text` without terminal control sequences or control characters (but for line feed and tab)."""
    return _CONTROLS.sub("", _SEQUENCES.sub("", text))
