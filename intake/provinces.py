"""Provinces and their communes (xã, phường, đặc khu) since 1/7/2025, from the `vietnam-provinces` package.

Vietnam has 34 provinces and no district level since 1/7/2025. With PROVINCE set, the agency directory
gets one agency per ward/commune of that province ("UBND xã Thất Khê"), of kind `ubnd-cap-xa`, so that
"UBND các xã, phường", "UBND cấp xã" and a commune's own name resolve without a hand-written file.
The package ships its data; nothing is fetched.
"""

from __future__ import annotations

import functools

from core.provinces import province_record
from storage.agencies import AgencyInfo

__all__ = ["commune_agencies"]


@functools.lru_cache(maxsize=4)
def commune_agencies(province: str) -> tuple[AgencyInfo, ...]:
    """One agency per ward/commune/special zone of `province` (its UBND), kind `ubnd-cap-xa`."""
    from vietnam_provinces import Ward

    p = province_record(province)
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
