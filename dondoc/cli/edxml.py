"""`dondoc import-edxml PACKAGE.edxml`: a directive from the e-office (edXML, QCVN 102:2016) into a draft
registry for review, its DocumentId kept; then `dondoc import` the reviewed draft (docs/integration.md)."""

from __future__ import annotations

import getpass
from pathlib import Path

import typer

from core.i18n import N_, _
from dondoc.cli.common import clock, engine, fail, settings


def register(app: typer.Typer) -> None:
    @app.command("import-edxml", help=N_("Read an edXML package (QCVN 102:2016) into a draft registry for review; "
                                         "then `dondoc import` the draft."))
    def import_edxml_cmd(
        package: Path = typer.Argument(..., metavar="PACKAGE.edxml", help=N_("The edXML package.")),
        drafts: Path = typer.Option(Path("."), "--drafts", metavar="FOLDER",
                                    help=N_("Where to write the draft (default: this folder).")),
        allow_unsigned: bool = typer.Option(False, "--allow-unsigned", help=N_("Accept a package without an XML "
                                            "signature (only when you know where it came from).")),
    ) -> None:
        from intake.edxml.importer import receive
        from intake.edxml.package import PackageError
        from intake.edxml.signature import INVALID, UNCHECKED, VERIFIED
        from storage.db import session_scope

        if not package.is_file():
            fail(_("{file}: no such file", file=package))
        if not drafts.is_dir():
            fail(_("--drafts {folder}: no such folder", folder=drafts))
        s = settings()
        cert = s.edxml_cert_file.read_bytes() if s.edxml_cert_file else None
        try:
            who = getpass.getuser()
        except Exception:  # noqa: BLE001 - no login name in some containers
            who = "admin"
        try:
            with session_scope(engine()) as session:
                got = receive(session, package.read_bytes(), drafts=drafts, now=clock().now(), actor=who,
                              source="cli", cert_pem=cert, allow_unsigned=allow_unsigned, source_name=package.name)
        except PackageError as e:
            fail(_("{file} cannot be imported:", file=package) + "\n" + "\n".join(f"  - {p}" for p in e.problems))
        p = got.package
        typer.echo(_("{number} ({type}) of {issuer}, DocumentId {id}", number=p.number, type=p.type_name or "—",
                     issuer=p.issuer, id=p.document_id))
        typer.echo({VERIFIED: _("Signature: verifies with EDXML_CERT_FILE."),
                    UNCHECKED: _("Signature: present, not checked (no EDXML_CERT_FILE)."),
                    INVALID: _("Signature: DOES NOT VERIFY ({reason}). Check the directive with its sender.",
                               reason=got.signature.reason)}.get(got.signature.state,
                                                                 _("Signature: none (accepted with --allow-unsigned).")))
        typer.echo(_("Draft: {file} — {n} tasks, {r} notes to review. Read it, then: dondoc import {file}",
                     file=got.draft_file, n=got.tasks, r=got.review))
