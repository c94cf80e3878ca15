"""The audit log: every change, who made it and from where."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from storage.tables import AuditEntry


def record(
    session: Session,
    *,
    at: datetime,
    actor: str,
    source: str,
    action: str,
    entity: str,
    entity_key: str | None = None,
    actor_id: str | int | None = None,
    **detail: Any,
) -> AuditEntry:
    """Add an audit entry to the current unit of work (it commits with the change it describes)."""
    entry = AuditEntry(
        at=at,
        actor=actor,
        actor_id=None if actor_id is None else str(actor_id),
        source=source,
        action=action,
        entity=entity,
        entity_key=entity_key,
        detail={k: _jsonable(v) for k, v in detail.items()},
    )
    session.add(entry)
    return entry


def _jsonable(v: Any) -> Any:
    if hasattr(v, "isoformat"):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    return v
