"""`dondoc extract DIRECTIVE [-o draft.yaml]`: a draft registry from a directive (.docx, PDF, text, a scan).

The draft is the YAML `dondoc import` reads. It is checked at once the way `import` checks a file (agencies
against the directory, deadlines with the grammar, on a scratch database), and the problems are listed as
`FILE:LINE:FIELD: message`, so that `dondoc extract d.docx -o d.yaml && dondoc import d.yaml` either works
or says exactly which lines to fix.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Optional

import typer

from core.i18n import N_, _, ngettext


def _problems(path: Path, agencies: Optional[Path]) -> list[str]:
    """What `dondoc import` would say about `path`, from a throw-away in-memory database."""
    from sqlmodel import Session, SQLModel

    from dondoc.cli.common import clock, settings
    from core.workdays import WorkCalendar
    from storage.db import make_engine
    from intake import RegistryErrors, import_registry

    directory = _directory(agencies)
    engine = make_engine("sqlite://")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        try:
            report = import_registry(session, path, directory=directory, calendar=WorkCalendar.from_file(
                settings().holidays_file), now=clock().now(), actor="dondoc extract")
        except RegistryErrors as e:
            return [str(p) for p in e.problems]
        finally:
            session.rollback()
    return [_("warning: {text}", text=w) for w in report.warnings]


def _directory(agencies: Optional[Path]):
    """The directory `dondoc import` would read (built-in, AGENCIES_FILE, PROVINCE's communes, --agencies)."""
    from dondoc.cli.common import fail, settings
    from intake.directory import directory_for
    from storage.agencies import AgencyFileError

    try:
        return directory_for(settings(), None, [agencies] if agencies else [])
    except AgencyFileError as e:
        fail(_("Cannot use the agency directory:") + "\n" + str(e))


def register(app: typer.Typer) -> None:
    @app.command("extract", help=N_('Draft a task registry from a directive, for review before `dondoc import`.'))
    def extract_cmd(
        directive: Path = typer.Argument(..., metavar="DIRECTIVE",
                                         help=N_("The directive: .docx, PDF (a scan is read with OCR), a page image (.png, .jpg) or plain text.")),
        output: Optional[Path] = typer.Option(None, "-o", "--output", metavar="DRAFT.yaml",
                                              help=N_("Where to write the draft (default: standard output).")),
        agencies: Optional[Path] = typer.Option(None, "--agencies", help=N_("An agencies file to check the leads "
                                                "against, added to AGENCIES_FILE (and named in the draft).")),
    ) -> None:
        from dondoc.cli.common import fail, settings
        from intake.directive import extract
        from intake.directive.draft_yaml import render
        from intake.directive.readers import DirectiveReadError, read_lines

        if output is not None and output.suffix.lower() not in (".yaml", ".yml"):
            fail(_("-o {file}: the draft is YAML; name it .yaml or .yml", file=output))
        if output is not None and not output.resolve().parent.is_dir():
            fail(_("-o {file}: the folder {folder} does not exist", file=output, folder=output.resolve().parent))
        try:
            from intake.directive.ocr import OcrLimits

            lines = read_lines(directive, ocr=OcrLimits.from_settings(settings()))
        except DirectiveReadError as e:
            fail(str(e))
        from core.i18n import use_language

        from intake.directive.directory import fit_to_directory

        with use_language(settings().language):  # the review notes are for the clerk: LANGUAGE
            # a central directive's duties for agencies this directory does not hold are said and left out
            draft = fit_to_directory(extract(lines), _directory(agencies))
        named = None
        if agencies is not None and output is not None:
            named = os.path.relpath(agencies.resolve(), output.resolve().parent)
            if named.startswith("..") or os.path.isabs(named):
                named = None  # a registry names only a file next to it (issue 18): pass --agencies to import
        with use_language(settings().language):
            text = render(draft, source=directive.name, agencies=named)
        # Written whole or not at all: a temporary file beside the target, then renamed.
        target = output if output is not None else None
        where = (output.resolve().parent if output is not None else Path(tempfile.gettempdir()))
        fd, tmp = tempfile.mkstemp(prefix=".dondoc-extract-", suffix=".yaml", dir=where)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            problems = _problems(Path(tmp), agencies if named is None else None)
            if target is not None:
                os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
        shown = str(output) if output is not None else "-"
        if target is None:
            typer.echo(text, nl=False)
        problems = [p.replace(tmp, shown) for p in problems]
        review = sum(1 for t in draft.tasks if t.review) + (1 if draft.review else 0)
        typer.echo(ngettext("Drafted {n} task from {file}.", "Drafted {n} tasks from {file}.", len(draft.tasks),
                            file=directive.name), err=True)
        if review:
            typer.echo(ngettext("{n} entry is marked REVIEW in the draft.", "{n} entries are marked REVIEW in the draft.",
                                review), err=True)
        left_out = sum(1 for t in draft.tasks if t.left_out)
        if left_out:
            typer.echo(ngettext("{n} task is left out (commented out in the draft): its lead has no agency in the "
                                "directory; see its REVIEW note.", "{n} tasks are left out (commented out in the "
                                "draft): their leads have no agency in the directory; see their REVIEW notes.",
                                left_out), err=True)
        if draft.unread:  # nothing disappears silently: the clerk hears of the items no task was made of
            typer.echo(ngettext("{n} numbered item was not turned into a task; it is listed as REVIEW at the top "
                                "of the draft.", "{n} numbered items were not turned into tasks; they are listed as "
                                "REVIEW at the top of the draft.", len(draft.unread)), err=True)
        warning = _("warning: {text}", text="")
        refused = len([p for p in problems if not p.startswith(warning)])
        if refused:
            typer.echo(ngettext("`dondoc import` would refuse it for {n} problem; fix these lines:",
                                "`dondoc import` would refuse it for {n} problems; fix these lines:", refused),
                       err=True)
        else:
            typer.echo(_("`dondoc import` reads it as it is; review it first all the same."), err=True)
        for p in problems:
            typer.echo(p, err=True)
