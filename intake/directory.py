"""The one agency directory every command reads: built-in, AGENCIES_FILE, PROVINCE's communes, the records
in the database (what imports with --agencies or a registry's `agencies:` and `dondoc agencies` left
there), and an import's own --agencies on top. `sync` writes it back to the Agency table, which is what
messages, exports, feeds and the bot read names from."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from storage.agencies import AgencyDirectory, sync_directory

__all__ = ["directory_for"]


def directory_for(settings, session=None, extra: Iterable[Path] = (), *, sync: bool = False) -> AgencyDirectory:
    """Raises storage.agencies.AgencyFileError when a file cannot be used."""
    d = AgencyDirectory.load(settings.agencies_file)
    province = getattr(settings, "province", None)
    if province:
        from intake.provinces import commune_agencies

        d = d.with_agencies(commune_agencies(province), "province")
    if session is not None:
        d = d.with_known_agencies(session)
    for path in extra:
        d = d.extended(path)
    if sync and session is not None:
        sync_directory(session, d)
    return d
