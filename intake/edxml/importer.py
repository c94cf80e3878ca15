"""An edXML package in: its header becomes the directive of a draft registry, its attached document goes
through `dondoc extract`, and the draft is written for review before `dondoc import` (never imported
unread). The document is recorded (`EdxmlDocument`: DocumentId, header, signature) so that the tasks the
reviewed draft brings in keep the DocumentId they came from, and status receipts can answer it.

The header wins over what the extractor read from the text: number (Code), date (PromulgationDate), issuer
(From), subject (Subject); a difference is a REVIEW note. A task with no deadline in the text takes the
package's DueDate, marked REVIEW.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, select

from core.i18n import _
from intake.edxml.package import Package, PackageError, read_package
from intake.edxml.signature import INVALID, UNSIGNED, SignatureCheck, check_signature
from storage import audit
from storage.api_tables import EdxmlDocument

READABLE = (".docx", ".pdf", ".txt")


@dataclass
class Received:
    package: Package
    signature: SignatureCheck
    draft_file: Path
    tasks: int
    review: int  # REVIEW notes in the draft
    again: bool  # the same DocumentId was received before (its record and draft are replaced)


def _pick(package: Package):
    for att in package.attachments:
        if Path(att.name).suffix.lower() in READABLE:
            return att
    names = ", ".join(a.name for a in package.attachments)
    raise PackageError([_("no attachment dondoc can read ({names}): the directive must be attached as .docx, "
                          "PDF or text", names=names)])


def draft_name(number: str) -> str:
    return (re.sub(r"[^A-Za-z0-9]+", "-", number.replace("Đ", "D").replace("đ", "d")).strip("-") or "edxml") \
        + ".yaml"


def _write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def receive(session: Session, data: bytes, *, drafts: Path, now: datetime, actor: str, source: str,
            cert_pem: bytes | None = None, allow_unsigned: bool = False, source_name: str = "") -> Received:
    """Read, check, extract and record one package; the draft goes to `drafts` (a folder). PackageError names
    everything wrong (nothing is written then). The caller commits."""
    from intake.directive import extract
    from intake.directive.draft_yaml import render
    from intake.directive.readers import DirectiveReadError, read_lines

    package = read_package(data)
    signature = check_signature(data, cert_pem)
    if signature.state == UNSIGNED and not allow_unsigned:
        raise PackageError([_("the package has no XML signature (Signature in edXMLHeader): it cannot be told "
                              "apart from a forged one; import it with --allow-unsigned only if you know where it "
                              "came from")])
    att = _pick(package)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ("attachment" + Path(att.name).suffix.lower())
        path.write_bytes(att.data)
        try:
            lines = read_lines(path)
        except DirectiveReadError as e:
            raise PackageError([_("attachment {name}: {error}", name=att.name, error=str(e).replace(str(path),
                                                                                                     att.name))])
    draft = extract(lines, issued=package.issued)
    review = list(draft.review)
    if draft.number and draft.number.replace(" ", "") != package.number.replace(" ", ""):
        review.append(_("the text says number {text}; the package's header says {header} (kept)",
                        text=draft.number, header=package.number))
    if signature.state == INVALID:
        review.append(_("the package's signature does not verify ({reason}): check the directive with its "
                        "sender before importing", reason=signature.reason))
    tasks = []
    for t in draft.tasks:
        if not t.deadline and package.due is not None:
            t = dataclasses.replace(t, deadline=f"trước ngày {package.due:%d/%m/%Y}", review=[
                *t.review, _("no deadline in the text: the package's DueDate {date} was taken",
                             date=f"{package.due:%d/%m/%Y}")])
        tasks.append(t)
    draft = dataclasses.replace(draft, number=package.number, issued=package.issued or draft.issued,
                                issuer=package.issuer or draft.issuer, subject=package.subject or draft.subject,
                                tasks=tasks, review=review)
    header = [f"# edXML DocumentId: {package.document_id}",
              f"# {_('signature')}: {signature.state}" + (f" ({signature.reason})" if signature.reason else "")]
    text = "\n".join(header) + "\n" + render(draft, source=source_name or att.name)
    drafts.mkdir(parents=True, exist_ok=True)
    out = drafts / draft_name(package.number)
    _write(out, text)
    row = session.exec(select(EdxmlDocument).where(EdxmlDocument.document_id == package.document_id)).first()
    again = row is not None
    row = row or EdxmlDocument(document_id=package.document_id)
    row.number, row.issued, row.subject = package.number, package.issued, package.subject
    row.sender_id, row.sender_name = package.sender.organ_id, package.sender.name
    row.type_name, row.due, row.steering_type = package.type_name or None, package.due, package.steering_type or None
    row.signature, row.signature_reason = signature.state, signature.reason or None
    row.package_sha256 = hashlib.sha256(data).hexdigest()
    row.draft_file, row.received_at = str(out), now
    session.add(row)
    session.flush()
    audit.record(session, at=now, actor=actor, source=source, action="edxml.received_again" if again
                 else "edxml.received", entity="directive", entity_key=package.number,
                 document_id=package.document_id, signature=signature.state, draft=str(out), tasks=len(tasks))
    notes = len(review) + sum(len(t.review) for t in tasks)
    return Received(package, signature, out, len(tasks), notes, again)


def document_of(session: Session, directive_number: str | None) -> EdxmlDocument | None:
    """The edXML document a directive came from (its tasks keep its DocumentId), if any."""
    if not directive_number:
        return None
    return session.exec(select(EdxmlDocument).where(EdxmlDocument.number == directive_number)
                        .order_by(EdxmlDocument.received_at.desc())).first()
