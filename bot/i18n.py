"""Role labels, and the thin compatibility left from before the gettext catalogs.

Every text is in the catalogs now (dondoc/i18n.py, docs/i18n.md). `role_label` names a chat's role in the
current language (or `lang`); `fmt_date` is `dondoc.i18n.format_date`. `pick(lang, vi, en)` only remains
for `bot/notifications.py` until its texts move to the catalog; new code must not use it.
"""

from __future__ import annotations

from datetime import date

from dondoc.i18n import N_, _, format_date

# The four roles a chat can have (storage.tables.ROLES), as people call them.
ROLE_LABELS = {
    "focal": N_("focal point"),  # cán bộ đầu mối
    "manager": N_("agency leaders"),  # lãnh đạo đơn vị
    "oversight": N_("oversight body"),  # cơ quan thường trực
    "leadership": N_("province leadership"),  # lãnh đạo tỉnh
}


def fmt_date(d: date | None) -> str:
    """dd/mm/yyyy, as Vietnamese administrations write dates."""
    return format_date(d)


def role_label(role: str, lang: str | None = None) -> str:
    """The role's name in `lang` (default: the current language); an unknown role as it is."""
    return _(ROLE_LABELS[role], lang=lang) if role in ROLE_LABELS else role


def pick(lang: str, vi: str, en: str) -> str:  # TODO(i11): bot/notifications.py moves to _() and this goes
    return en if lang == "en" else vi
