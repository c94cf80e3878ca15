"""edXML out and in at the edge of the file system, run by the scheduler's tick:

- **status receipts** (`write_receipts`): for each document that came in as edXML, the status its tasks have
  reached is written once into EDXML_OUTBOX_DIR, for the exchange gateway to send —
  03 (đã tiếp nhận) when the lead agency acknowledged one of its tasks, or did anything later;
  04 (phân công) when a task was handed to someone (the delegation's audit entry, once delegation exists);
  05 (đang xử lý) at the first progress report;
  06 (hoàn thành) when every one-off task of the document is done (confirmed where confirmation is on);
  a document whose tasks are all recurring or continuous is never "done" as a whole, so gets no 06.
  One file per (document, status), `<DocumentId made safe>-<status>.edxml`, and one `EdxmlReceipt` row: the
  row is added in the transaction after the file is in place, so a crash in between rewrites the same file
  name next time — never a second receipt of one status;
- **the watched folder** (`import_watched`): each `*.edxml` in EDXML_WATCH_DIR is received as
  `dondoc import-edxml` does; the package moves to `done/`, its draft is written to `drafts/`; a package that
  is refused moves to `refused/` with a `.txt` beside it saying why.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from intake.edxml.receipts import STATUS_TEXT, StatusMessage, status_message
from storage.api_tables import EdxmlDocument, EdxmlReceipt
from storage.db import session_scope
from storage.tables import DONE, AuditEntry, Directive, Occurrence, ProgressUpdate, Task

log = logging.getLogger(__name__)

ASSIGNED_ACTIONS = ("task.delegated", "task.assigned")  # delegation's audit entries (issue 24), when it lands


def receipt_name(document_id: str, status: str) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "_", document_id).strip("_") + f"-{status}.edxml"


def reached(session: Session, doc: EdxmlDocument) -> dict[str, tuple[datetime, str]]:
    """The statuses the document's tasks have reached: code → (when, who)."""
    directive = session.exec(select(Directive).where(Directive.number == doc.number)).first()
    if directive is None:
        return {}
    tasks = session.exec(select(Task).where(Task.directive_id == directive.id, Task.removed_at.is_(None))).all()
    if not tasks:
        return {}
    ids = [t.id for t in tasks]
    keys = [t.key for t in tasks]
    out: dict[str, tuple[datetime, str]] = {}
    occurrences = session.exec(select(Occurrence).where(Occurrence.task_id.in_(ids))).all()
    acks = sorted((o.acknowledged_at, o.acknowledged_by or "") for o in occurrences if o.acknowledged_at)
    progress = session.exec(select(ProgressUpdate).where(ProgressUpdate.task_id.in_(ids))
                            .order_by(ProgressUpdate.created_at, ProgressUpdate.id)).first()
    assigned = session.exec(select(AuditEntry).where(AuditEntry.entity_key.in_(keys),
                                                     AuditEntry.action.in_(ASSIGNED_ACTIONS))
                            .order_by(AuditEntry.id)).first()
    once = [t for t in tasks if t.deadline_kind == "once"]
    done = {o.task_id: o for o in occurrences if o.key == "once" and o.status == DONE}
    if once and all(t.id in done for t in once):
        last = max(done.values(), key=lambda o: o.updated_at)
        out["06"] = (last.updated_at, "")
    if progress is not None:
        out["05"] = (progress.created_at, progress.actor)
    if assigned is not None:
        out["04"] = (assigned.at, assigned.actor)
    if acks:
        out["03"] = acks[0]
    elif out:  # something later happened: it was received
        first = min(out.values())
        out["03"] = first
    return out


def _write(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, folder / name)
    return folder / name


def write_receipts(engine: Engine, settings, now: datetime) -> list[Path]:
    """Write the receipts not written yet; returns their files. Needs EDXML_OUTBOX_DIR and EDXML_ORGAN_ID."""
    folder, organ = settings.edxml_outbox_dir, settings.edxml_organ_id
    if folder is None or not organ:
        return []
    written: list[Path] = []
    with Session(engine) as s:
        docs = s.exec(select(EdxmlDocument).order_by(EdxmlDocument.id)).all()
        sent = {(r.document_id, r.status) for r in s.exec(select(EdxmlReceipt))}
        todo = []
        for doc in docs:
            for code, (when, who) in sorted(reached(s, doc).items()):
                if (doc.document_id, code) not in sent:
                    todo.append((doc.document_id, code, when, who))
    # The description stays Vietnamese whatever LANGUAGE is: the hub's receivers read it.
    for document_id, code, when, who in todo:
        message = StatusMessage(document_id=document_id, status=code, description=STATUS_TEXT[code],
                                at=when.astimezone(settings.timezone).replace(tzinfo=None), organ_id=organ,
                                organ_name=settings.edxml_organ_name or "", staff=who)
        path = _write(Path(folder), receipt_name(document_id, code), status_message(message))
        with session_scope(engine) as s:
            if s.exec(select(EdxmlReceipt).where(EdxmlReceipt.document_id == document_id,
                                                 EdxmlReceipt.status == code)).first() is None:
                s.add(EdxmlReceipt(document_id=document_id, status=code, file=str(path), written_at=now))
        written.append(path)
        log.info("edXML receipt %s (%s) for %s: %s", code, STATUS_TEXT[code], document_id, path)
    return written


def import_watched(engine: Engine, settings, now: datetime) -> list[tuple[Path, str]]:
    """Receive every package in EDXML_WATCH_DIR; returns (package, "done" | the reason it was refused)."""
    from intake.edxml.importer import receive
    from intake.edxml.package import PackageError

    folder = settings.edxml_watch_dir
    if folder is None or not Path(folder).is_dir():
        return []
    folder = Path(folder)
    cert = settings.edxml_cert_file.read_bytes() if settings.edxml_cert_file else None
    out = []
    for path in sorted(folder.glob("*.edxml")):
        try:
            with session_scope(engine) as s:
                receive(s, path.read_bytes(), drafts=folder / "drafts", now=now, actor="edxml folder",
                        source="edxml", cert_pem=cert, source_name=path.name)
            (folder / "done").mkdir(exist_ok=True)
            shutil.move(str(path), folder / "done" / path.name)
            out.append((path, "done"))
        except PackageError as e:
            (folder / "refused").mkdir(exist_ok=True)
            shutil.move(str(path), folder / "refused" / path.name)
            (folder / "refused" / (path.name + ".txt")).write_text("\n".join(e.problems) + "\n", encoding="utf-8")
            out.append((path, "; ".join(e.problems)))
            log.warning("edXML package %s refused: %s", path.name, "; ".join(e.problems))
    return out


def tick(engine: Engine, settings, now: datetime) -> None:
    """The scheduler's edXML work: the watched folder first (a package in, then its receipts as they come)."""
    if settings.edxml_watch_dir is not None:
        import_watched(engine, settings, now)
    if settings.edxml_outbox_dir is not None:
        write_receipts(engine, settings, now)
