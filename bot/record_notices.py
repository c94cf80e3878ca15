"""Messages about the record (issue 22): a completion returned by the oversight body."""

from __future__ import annotations

from bot.notifications import TaskFacts, _deadline_line, _directive_line, _join, _key_line, short
from core.i18n import _, use_language


def notice_returned(f: TaskFacts, reason: str, by: str | None, *, lang: str = "vi") -> str:
    """The oversight body returned a completion: the task is open again, and why."""
    with use_language(lang):
        return _join([
            _("↩️ Completion returned: the task is open again"),
            short(f.content),
            _("Reason: {reason}", reason=reason) + (" — " + by if by else ""),
            _deadline_line(f),
            _directive_line(f),
            _("Report it done again when it is (with its document or file)."),
            _key_line(f),
        ])
