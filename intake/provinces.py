"""Provinces and their communes (xã, phường, đặc khu) since 1/7/2025, from the `vietnam-provinces` package.

Vietnam has 34 provinces and no district level since 1/7/2025. With PROVINCE set, the agency directory
gets one agency per ward/commune of that province ("UBND xã Thất Khê"), of kind `ubnd-cap-xa`, so that
"UBND các xã, phường", "UBND cấp xã" and a commune's own name resolve without a hand-written file.
The package ships its data; nothing is fetched.
"""

from __future__ import annotations

import functools
import unicodedata

from storage.agencies import AgencyInfo, fold

__all__ = ["commune_agencies", "find_province", "province_names"]

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


@functools.lru_cache(maxsize=4)
def commune_agencies(province: str) -> tuple[AgencyInfo, ...]:
    """One agency per ward/commune/special zone of `province` (its UBND), kind `ubnd-cap-xa`."""
    from vietnam_provinces import Ward

    p = _provinces().get(_key(province))
    if p is None:
        raise ValueError(f"unknown province {province!r}")
    out = []
    for w in sorted(Ward.iter_by_province(p.code), key=lambda w: int(w.code)):
        kind = w.division_type.value  # xã | phường | đặc khu
        bare = w.name[len(kind) + 1:] if w.name.casefold().startswith(kind + " ") else w.name
        name = f"UBND {kind} {bare}"
        aliases = (w.name, f"UBND {w.name}", f"Ủy ban nhân dân {kind} {bare}")
        out.append(AgencyInfo(code="ubnd-" + w.codename.replace("_", "-"), name=name, kind="ubnd-cap-xa",
                              aliases=aliases, note=f"{p.name} ({w.code.value if hasattr(w.code, 'value') else w.code})"))
    return tuple(out)
