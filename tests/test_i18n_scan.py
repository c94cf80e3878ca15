"""No user-facing text outside the catalog (docs/i18n.md).

Two scans of every module of the product (not tests, not benchmarks):
1. a string literal handed to something that shows it to a person — echo, secho, send_message, reply_text,
   answer, edit_message_text, reply, send, fail, BadParameter … — must be wrapped in `_()` / `ngettext()` /
   `t()` (or be only punctuation, numbers and placeholders);
2. a string literal with Vietnamese letters is a text in the wrong place — unless the module is data: the
   deadline grammar's patterns, the agency directory, a registry's header synonyms (listed below, with why);
3. in the web console's templates, words between tags outside {{ _("…") }} / {% trans %}.

A module that fails and belongs to work still under way is listed with TODO(<branch>): remove it from the
list when that branch converts its texts.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "dondoc", "jobs", "feeds", "storage", "intake", "reports", "web")

# Calls whose arguments a person reads.
SINKS = {"echo", "secho", "send_message", "reply_text", "answer", "edit_message_text", "edit_text", "reply", "send",
         "fail", "BadParameter", "UsageError", "reply_document", "send_document", "edit_caption", "Button",
         "InlineKeyboardButton", "BotCommand", "SettingsError"}
# Keyword arguments of those calls that carry text (others — chat_id, reply_markup … — are not texts).
TEXT_KEYWORDS = {"text", "caption", "message", "label", "description", "input_field_placeholder"}
# Calls that translate: a literal inside one of them is in the catalog (or a key of bot/texts.py).
TRANSLATORS = {"_", "gettext", "ngettext", "pgettext", "N_", "t"}

# Modules whose Vietnamese literals are data, not texts to translate.
VIETNAMESE_DATA = {
    "core/deadline/": "the deadline grammar: Vietnamese phrases it reads (trước ngày, Quý III, Thường xuyên …)",
    "storage/agency_match.py": "agency name resolution: the words that join several agencies in one cell (và, cùng)",
    "storage/registry.py": "a registry's header synonyms (Cơ quan chủ trì, Thời hạn …) that the reader accepts",
    "intake": "registry readers: the header synonyms and table words clerks write",
    "core/urgent.py": "the grammar of urgent deadlines ('khẩn trương'): Vietnamese letters it folds",
    "core/namematch.py": "agency name comparison: the words of Vietnamese agency names it normalises",
    "reports/figures.py": "the reporting-period grammar: the Vietnamese periods it reads (Quý III/2026, 6 tháng …)",
    # Not data, but English texts whose examples are Vietnamese input the grammar expects:
    "bot/handlers/reports.py": "'e.g. /report Quý III/2026' — the period must be typed as the grammar reads it",
}
# Modules other branches are converting now: TODO(<branch>) — drop the line when their texts use the catalog.
TODO: dict[str, str] = {
    # e.g. "bot/notifications.py": "TODO(i11): reminder texts still in (vi, en) tuples" — none left.
}

_VIETNAMESE = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]", re.I)
_WORD = re.compile(r"[A-Za-zÀ-ỹ]{2,}")


def modules() -> list[Path]:
    out = []
    for package in PACKAGES:
        folder = ROOT / package
        if folder.is_dir():
            out += sorted(p for p in folder.rglob("*.py") if "migrations" not in p.parts and "locale" not in p.parts)
    return out


def listed(rel: str, table: dict[str, str]) -> bool:
    return any(rel == key or rel.startswith(key.rstrip("/") + "/") for key in table)


def _not_texts(tree: ast.AST) -> set[int]:
    """Docstrings, and the help of CLI options (English, with Vietnamese examples of what to type)."""
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "help":
            ids |= {id(n) for n in ast.walk(node.value) if isinstance(n, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def _name(call: ast.Call) -> str:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


_NOT_WORDS = re.compile(r"--[\w-]+|\b[A-Z][A-Z0-9_]+\b|\b\w+_\w+\b|\bdondoc\b|\{[^}]*\}")


def wordy(text: str) -> bool:
    """Does `text` hold words a person reads (not only option names, setting names, placeholders, marks)?"""
    return bool(_WORD.search(_NOT_WORDS.sub(" ", text)))


def _untranslated_literals(node: ast.AST) -> list[str]:
    """Wordy string literals in `node` that no translating call wraps."""
    found: list[str] = []

    def visit(n: ast.AST) -> None:
        if isinstance(n, ast.Call) and _name(n) in TRANSLATORS:
            return
        if isinstance(n, (ast.Compare, ast.Subscript)):  # a value compared or a key looked up is not shown
            return
        if isinstance(n, ast.Call) and _name(n) in ("dumps", "get", "getattr", "strftime"):
            return  # machine output (JSON for other programs), keys and formats
        if isinstance(n, ast.Dict):  # a mapping's keys are names, its values may be texts
            for v in n.values:
                visit(v)
            return
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "join":
            visit(n.args[0]) if n.args else None  # ", ".join(names): the separator is not a text
            return
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and wordy(n.value):
            found.append(n.value)
            return
        for child in ast.iter_child_nodes(n):
            visit(child)

    visit(node)
    return found


def scan(path: Path) -> tuple[list[str], list[str]]:
    """(untranslated texts handed to a sink, Vietnamese literals) of one module, as "line: text"."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = _not_texts(tree)
    sinks, vietnamese = [], []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _name(node) in SINKS:
            args = list(node.args) + [k.value for k in node.keywords if k.arg in TEXT_KEYWORDS]
            for arg in args:
                for text in _untranslated_literals(arg):
                    sinks.append(f"{node.lineno}: {_name(node)}({text!r})")
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs \
                and _VIETNAMESE.search(node.value) and wordy(node.value):  # not a lone "đ" being folded
            vietnamese.append(f"{node.lineno}: {node.value[:60]!r}")
    return sinks, vietnamese


def _cases():
    for path in modules():
        rel = path.relative_to(ROOT).as_posix()
        marks = [pytest.mark.xfail(reason=TODO[rel], strict=True)] if rel in TODO else []
        yield pytest.param(path, id=rel, marks=marks)


@pytest.mark.parametrize("path", list(_cases()))
def test_no_text_outside_the_catalog(path: Path):
    rel = path.relative_to(ROOT).as_posix()
    sinks, vietnamese = scan(path)
    if listed(rel, VIETNAMESE_DATA):
        vietnamese = []
    problems = [f"{rel}:{s} — wrap it in _() (core.i18n)" for s in sinks]
    problems += [f"{rel}:{v} — Vietnamese belongs in core/locale/vi/LC_MESSAGES/dondoc.po" for v in vietnamese]
    assert not problems, "\n".join(problems)


_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
_TAG = re.compile(r"<[^>]*>")


def template_problems(path: Path) -> list[str]:
    """Words a page shows that are not wrapped in {{ _("…") }} / {% trans %}: text between tags, outside
    Jinja blocks, holding letters (a page in the web console speaks the signed-in person's language)."""
    source = path.read_text(encoding="utf-8")
    text = _JINJA.sub(lambda m: " " * len(m.group(0)), source)
    text = re.sub(r"<(script|style)\b.*?</\1>", lambda m: " " * len(m.group(0)), text, flags=re.S | re.I)
    problems = []
    for m in re.finditer(r">([^<]+)<", text):
        chunk = m.group(1)
        if wordy(chunk) and not chunk.strip().startswith("&"):
            line = source.count("\n", 0, m.start()) + 1
            problems.append(f"{line}: {' '.join(chunk.split())[:60]!r}")
    return problems


def templates() -> list[Path]:
    return sorted(p for package in PACKAGES if (ROOT / package).is_dir()
                  for p in (ROOT / package).rglob("templates/**/*.html"))


@pytest.mark.parametrize("path", [pytest.param(p, id=p.relative_to(ROOT).as_posix()) for p in templates()]
                         or [pytest.param(None, marks=pytest.mark.skip(reason="no templates yet"))])
def test_no_page_text_outside_the_catalog(path: Path):
    rel = path.relative_to(ROOT).as_posix()
    problems = template_problems(path)
    assert not problems, "\n".join(f"{rel}:{p} — wrap it in {{{{ _(\"…\") }}}}" for p in problems)


def test_the_scan_finds_what_it_is_for(tmp_path):
    """The scan itself: an unwrapped echo and a Vietnamese literal are caught; wrapped texts are not."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""Tài liệu: a docstring may say anything."""\n'
        'import typer\n'
        'from core.i18n import _\n'
        'def f(n, e):\n'
        '    typer.echo(f"Wrote {n} events.")\n'
        '    typer.echo(_("Wrote {n} events.", n=n))\n'
        '    typer.echo(", ".join(["a", "b"]) + " — " + f"{n}")\n'
        '    label = "Hạn"\n'
        '    raise typer.BadParameter("unknown agency " + e)\n',
        encoding="utf-8")
    sinks, vietnamese = scan(sample)
    assert sinks == ["5: echo('Wrote ')", "5: echo(' events.')", "9: BadParameter('unknown agency ')"]
    assert vietnamese == ["8: 'Hạn'"]

    page = tmp_path / "templates" / "page.html"
    page.parent.mkdir()
    page.write_text('<h1>{{ _("Tasks") }}</h1>\n<p>Nhiệm vụ quá hạn</p>\n<td>{{ task.key }}</td><td>Overdue</td>\n'
                    '<script>var x = "a b";</script>', encoding="utf-8")
    assert template_problems(page) == ["2: 'Nhiệm vụ quá hạn'", "3: 'Overdue'"]
