"""Drafting a registry from a directive's own text (`dondoc extract`): `extract(lines) -> Draft` is pure;
`readers` turns a .docx, a PDF with a text layer or plain text into lines; `draft_yaml` writes the draft
as the YAML `dondoc import` reads."""

from intake.directive.extract import Draft, DraftTask, extract

__all__ = ["Draft", "DraftTask", "extract"]
