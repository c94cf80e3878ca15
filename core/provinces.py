"""Vietnam's 34 provinces since 1/7/2025, as the `vietnam-provinces` package names them (its data ships with it;
nothing is fetched): finding the one a text names, for the PROVINCE setting and the agency directory."""

from __future__ import annotations

import functools
import unicodedata

from core.namematch import fold

__all__ = ["find_province", "province_names", "province_record"]

_PREFIXES = ("tỉnh ", "thành phố ", "tp. ", "tp ")


def _key(name: str) -> str:
    s = unicodedata.normalize("NFC", name).strip().casefold()
    for p in _PREFIXES:
        if s.startswith(p):
            s = s[len(p):]
    return fold(s)


@functools.lru_cache(maxsize=1)
def _provinces() -> dict[str, object]:
    from vietnam_provinces import Province

    return {_key(p.name): p for p in Province.iter_all()}


def province_names() -> list[str]:
    """The 34 provinces' names, as the package writes them (e.g. "Lạng Sơn", "Thành phố Hà Nội")."""
    return [p.name for p in _provinces().values()]


def find_province(text: str) -> str | None:
    """The package's name of the province `text` names (case, diacritics, "tỉnh"/"thành phố" ignored)."""
    p = _provinces().get(_key(text))
    return p.name if p is not None else None


def province_record(text: str):
    """The package's record of the province `text` names, or None."""
    return _provinces().get(_key(text))
