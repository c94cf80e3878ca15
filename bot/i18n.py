"""Role labels: a chat's role as people call it, in the current language (or `lang`).

Every other text helper is in `core.i18n` (`_()`, `ngettext()`, `format_date()` …; docs/i18n.md).
"""

from __future__ import annotations

from core.i18n import N_, _

# The four roles a chat can have (storage.tables.ROLES), as people call them.
ROLE_LABELS = {
    "focal": N_("focal point"),  # cán bộ đầu mối
    "manager": N_("agency leaders"),  # lãnh đạo đơn vị
    "oversight": N_("oversight body"),  # cơ quan thường trực
    "leadership": N_("province leadership"),  # lãnh đạo tỉnh
}


def role_label(role: str, lang: str | None = None) -> str:
    """The role's name in `lang` (default: the current language); an unknown role as it is."""
    return _(ROLE_LABELS[role], lang=lang) if role in ROLE_LABELS else role
