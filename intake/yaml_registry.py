"""YAML registries (the format `dondoc export` writes and docs/registry.md describes) → task rows.

The YAML is read by a loader that refuses aliases and non-scalar keys (storage.agencies.load_yaml_with_lines).
A registry may name an agencies file (`agencies: agencies-lang-son.yaml`): only a file next to the
registry, by a relative name without `..`; the administrator's own --agencies / AGENCIES_FILE may be
anywhere. Such a file's content is never echoed when it is not an agencies file.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

import yaml

from core.i18n import _
from intake.model import Collector, DirectiveMeta, Parsed, RowFields
from intake.readers import cell_text
from intake.table import parse_date
from storage.agencies import load_yaml_with_lines

__all__ = ["YAML_DIRECTIVE_KEYS", "YAML_TASK_KEYS", "rows_from_yaml", "safe_sibling"]

YAML_TASK_KEYS = ("key", "stt", "section", "content", "lead", "coordinators", "report_to", "deadline", "until",
                  "product")
YAML_DIRECTIVE_KEYS = ("number", "issued", "issuer", "subject", "until")


def safe_sibling(base: Path | None, name: str) -> tuple[Path | None, str | None]:
    """(path, None) for a file next to `base` named by a plain relative name; (None, reason) otherwise."""
    if base is None:
        return None, _("a registry given as content (an upload) cannot name other files")
    raw = name.strip()
    if (PurePosixPath(raw).is_absolute() or PureWindowsPath(raw).is_absolute() or PureWindowsPath(raw).drive
            or raw.startswith("~")):
        return None, _("only a file next to the registry may be named (a relative name, not an absolute path)")
    parts = PureWindowsPath(raw).parts
    if ".." in parts or not parts:
        return None, _("only a file next to the registry may be named ('..' is not accepted)")
    folder = base.parent.resolve()
    path = (folder / raw).resolve()
    if folder not in path.parents:
        return None, _("only a file next to the registry may be named (it leads out of the registry's folder)")
    return path, None


def rows_from_yaml(text: str, c: Collector, document: str | None, source: Path | None) -> Parsed | None:
    try:
        data = load_yaml_with_lines(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        c.error(mark.line + 1 if mark else 0, mark.column + 1 if mark else 0,
                _("not valid YAML: {problem}", problem=getattr(e, "problem", None) or e))
        return None
    parsed = Parsed()
    if not isinstance(data, dict):
        c.error(1, 0, _("expected a mapping with `directive:` and `tasks:` (see docs/registry.md)"))
        return None
    for k, line in getattr(data, "duplicates", []):
        c.error(line, k, _("{key!r} given twice", key=k))
    for k in data:
        if k not in ("directive", "directives", "agencies", "tasks"):
            c.error(data.lines.get(k, 1), k, _("unknown key (accepted: {accepted})",
                                               accepted="directive, directives, agencies, tasks"))
    if "agencies" in data:
        v = data["agencies"]
        if not isinstance(v, str) or not v.strip():
            c.error(data.lines["agencies"], "agencies", _("expected the name of an agencies file next to the "
                                                          "registry"))
        else:
            path, reason = safe_sibling(source, v)
            if reason:
                c.error(data.lines["agencies"], "agencies", reason)
            else:
                parsed.agencies_file = path
                parsed.agencies_row = data.lines["agencies"]

    def date_of(d: dict, key: str) -> date | None:
        if d.get(key) in (None, ""):
            return None
        raw = d[key]
        value = raw if isinstance(raw, date) and not isinstance(raw, datetime) else parse_date(cell_text(raw))
        if value is None:
            c.error(d.lines[key], key, _("{text!r} is not a date (YYYY-MM-DD or dd/mm/yyyy)", text=cell_text(raw)))
        return value

    def directive_meta(d: Any, line: int, key: str) -> DirectiveMeta | None:
        if not isinstance(d, dict):
            c.error(line, key, _("expected a mapping with number, issued, issuer, subject"))
            return None
        for k, kline in getattr(d, "duplicates", []):
            c.error(kline, k, _("{key!r} given twice", key=k))
        allowed = YAML_DIRECTIVE_KEYS + (("tasks",) if key == "directives" else ())
        for k in d:
            if k not in allowed:
                c.error(d.lines.get(k, line), k, _("unknown key (accepted: {accepted})", accepted=", ".join(allowed)))
        number = cell_text(d.get("number"))
        if not number:
            c.error(d.lines.get("number", line), "number", _("the directive's number (số/ký hiệu) is missing"))
            return None
        meta = DirectiveMeta(number, date_of(d, "issued"), cell_text(d.get("issuer")) or None,
                             cell_text(d.get("subject")) or None, until=date_of(d, "until"),
                             row=d.lines.get("issued", d.line), column="issued")
        if number in parsed.directives:
            c.error(d.lines.get("number", line), "number", _("directive {number} is given twice", number=number))
        parsed.directives[number] = meta
        return meta

    def tasks_of(seq: Any, line: int, number: str | None) -> None:
        if seq is None:
            return
        if not isinstance(seq, list):
            c.error(line, "tasks", _("expected a list of tasks"))
            return
        for i, item in enumerate(seq):
            tline = seq.lines[i] if i < len(getattr(seq, "lines", [])) else line
            if not isinstance(item, dict):
                c.error(tline, "tasks", _("each task is a mapping (key, content, lead, coordinators, report_to, "
                                          "deadline)"))
                continue
            for k, kline in getattr(item, "duplicates", []):
                c.error(kline, k, _("{key!r} given twice", key=k))
            for k in item:
                if k not in YAML_TASK_KEYS:
                    c.error(item.lines.get(k, tline), k, _("unknown field (accepted: {accepted})",
                                                           accepted=", ".join(YAML_TASK_KEYS)))
            values: dict[str, Any] = {}
            for k in YAML_TASK_KEYS:
                v = item.get(k)
                if k == "coordinators" and isinstance(v, list):
                    values[k] = [cell_text(x) for x in v if cell_text(x) and not isinstance(x, (dict, list))]
                    if any(isinstance(x, (dict, list)) for x in v):
                        c.error(item.lines.get(k, tline), k, _("expected text"))
                elif isinstance(v, (dict, list)):
                    c.error(item.lines.get(k, tline), k, _("expected text"))
                    values[k] = ""
                else:
                    values[k] = cell_text(v)
            rows = {k: item.lines[k] for k in item.lines}
            parsed.rows.append(RowFields(tline, values, {k: k for k in YAML_TASK_KEYS}, rows, number))

    top_number = None
    if "directive" in data:
        meta = directive_meta(data["directive"], data.lines["directive"], "directive")
        top_number = meta.number if meta else None
    if document:
        if top_number and top_number != document:
            c.error(data.lines["directive"], "directive",
                    _("the file is directive {number} but --document says {document}", number=top_number,
                      document=document))
        elif not top_number:
            top_number = document
            parsed.directives.setdefault(document, DirectiveMeta(document, row=1, column="directive"))
    if "directives" in data:
        seq = data["directives"]
        if not isinstance(seq, list):
            c.error(data.lines["directives"], "directives", _("expected a list of directives, each with its tasks"))
        else:
            for i, d in enumerate(seq):
                dline = seq.lines[i] if i < len(seq.lines) else data.lines["directives"]
                meta = directive_meta(d, dline, "directives")
                if meta is not None:
                    tasks_of(d.get("tasks"), d.lines.get("tasks", dline), meta.number)
    tasks_of(data.get("tasks"), data.lines.get("tasks", 1), top_number)
    if not parsed.rows and not c.problems:
        c.error(data.lines.get("tasks", 1), "tasks", _("no tasks in the file"))
    return parsed

