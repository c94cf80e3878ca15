"""Small shared helpers for texts in Vietnamese (default) and English."""

from __future__ import annotations

from datetime import date

ROLE_LABELS = {
    "vi": {
        "focal": "cán bộ đầu mối",
        "manager": "lãnh đạo đơn vị",
        "oversight": "cơ quan thường trực",
        "leadership": "lãnh đạo tỉnh",
    },
    "en": {
        "focal": "focal point",
        "manager": "agency leaders",
        "oversight": "oversight body",
        "leadership": "province leadership",
    },
}


def fmt_date(d: date | None) -> str:
    """dd/mm/yyyy, as Vietnamese administrations write dates."""
    return "—" if d is None else d.strftime("%d/%m/%Y")


def role_label(role: str, lang: str = "vi") -> str:
    return ROLE_LABELS.get(lang, ROLE_LABELS["vi"]).get(role, role)


def pick(lang: str, vi: str, en: str) -> str:
    return en if lang == "en" else vi
