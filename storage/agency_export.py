"""The province's own agency records (the `agency` table's rows that are not the built-in directory's) written
back as an agencies file: what the console lets an administrator download, edit and upload again."""

from __future__ import annotations

import yaml
from sqlmodel import Session, select

from storage.tables import Agency

__all__ = ["stored_agencies_yaml", "has_stored_agencies"]


def has_stored_agencies(session: Session) -> bool:
    return session.exec(select(Agency.id).where(Agency.source.not_in(("builtin", "province")))  # type: ignore
                        .limit(1)).first() is not None

HEADER = ("# The agencies this province added to dondoc's directory (imports with an agencies file, `dondoc agencies`).\n"
          "# Edit it and upload it again on the Registry page (or `dondoc import PLAN --agencies FILE`).\n")


def stored_agencies_yaml(session: Session) -> str:
    """An agencies file (`agencies:` list) of every record not from the built-in directory, by code."""
    entries = []
    # PROVINCE's communes are not written: the setting brings them back every time.
    for a in session.exec(select(Agency).where(Agency.source.not_in(("builtin", "province")))  # type: ignore
                          .order_by(Agency.code)):
        entry: dict = {"code": a.code, "name": a.name}
        if a.kind and a.kind != "other":
            entry["kind"] = a.kind
        if a.aliases:
            entry["aliases"] = list(a.aliases)
        if a.groups:
            entry["groups"] = list(a.groups)
        for k in ("valid_from", "valid_to"):
            if getattr(a, k) is not None:
                entry[k] = getattr(a, k)
        if a.successor:
            entry["successor"] = a.successor
        entries.append(entry)
    return HEADER + yaml.safe_dump({"agencies": entries}, allow_unicode=True, sort_keys=False, width=120)
