"""The agency directory in the database (the `agency` table): written by `sync_directory`, read for display
names by every command, message, export, feed and the bot."""

from __future__ import annotations

from storage.agency_info import Directory

__all__ = ["DirectoryNames", "agency_names", "sync_directory"]


def sync_directory(session, directory: Directory, *, actor: str | None = None, source: str = "cli",
                   now=None, file: str | None = None) -> int:
    """Upsert the directory's agencies into the Agency table (names for display, groups, validity,
    successors). Rows of agencies not in this directory stay: another registry may use them. Rows that
    already say the same are not touched. Returns the number of rows written.

    With `actor` (and `now`), every row written from a province's own record (not the built-in directory,
    which a release changes) gets an audit entry: agency.created / agency.changed with the fields."""
    from sqlmodel import select

    from storage.tables import Agency

    rows = {a.code: a for a in session.exec(select(Agency)).all()}
    written = 0
    for info in directory.agencies:
        if not info.in_groups:
            continue  # read from the table itself: nothing new to write
        values = dict(name=info.name, kind=info.kind, aliases=list(info.aliases),
                      groups=directory.groups_of(info.code), valid_from=info.valid_from,
                      valid_to=info.valid_to, successor=info.successor, source=info.source)
        row = rows.get(info.code)
        if row is not None and info.source == "builtin" and (row.source or "builtin") != "builtin":
            continue  # the province's own record of a built-in agency stays
        if row is None:
            session.add(Agency(code=info.code, **values))
            written += 1
            changes = {"name": [None, info.name]}
        elif any(getattr(row, k) != v for k, v in values.items()):
            changes = {k: [getattr(row, k), v] for k, v in values.items() if getattr(row, k) != v}
            for k, v in values.items():
                setattr(row, k, v)
            session.add(row)
            written += 1
        else:
            continue
        if actor is not None and now is not None and info.source != "builtin":
            from storage import audit

            audit.record(session, at=now, actor=actor, source=source,
                         action="agency.created" if row is None else "agency.changed", entity="agency",
                         entity_key=info.code, changes=_jsonable(changes), file=file)
    if written:
        session.flush()
    return written


def agency_names(session) -> dict[str, str]:
    """code → display name of every agency in the Agency table (what imports have synced)."""
    from sqlmodel import select

    from storage.tables import Agency

    return {code: name for code, name in session.exec(select(Agency.code, Agency.name)).all()}


class DirectoryNames:
    """Display names as every reader should show them: the Agency table's (the directory as imports,
    AGENCIES_FILE, PROVINCE and `dondoc agencies` left it — a province's own name for a built-in agency
    included), then `fallback` (a file-based directory) for codes the table does not have yet."""

    def __init__(self, session, fallback: "Directory | None" = None):
        self._names = agency_names(session)
        self._fallback = fallback

    def name(self, code: str) -> str:
        name = self._names.get(code)
        if name:
            return name
        return self._fallback.name(code) if self._fallback is not None else code

    def get(self, code: str):
        if code in self._names:
            return True
        return self._fallback.get(code) if self._fallback is not None else None


def _jsonable(changes: dict) -> dict:
    return {k: [x.isoformat() if hasattr(x, "isoformat") else x for x in v] for k, v in changes.items()}
