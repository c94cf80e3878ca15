"""The CLI speaks LANGUAGE and only LANGUAGE: with LANGUAGE=vi no English word in what the main commands say
(beyond names, codes, URLs and file names), with LANGUAGE=en no Vietnamese (beyond the registry's own data:
agency names, task contents, deadlines as written).

What counts as an English word is learned from the catalog itself — every word of an English msgid that no
Vietnamese translation and no data uses — plus a few common words; a Vietnamese word is any word with
Vietnamese letters that the data does not hold.
"""

from __future__ import annotations

import re

import pytest
import typer.main
from typer.testing import CliRunner

from dondoc.cli import app
from core.status import Status
from tests.test_i18n_catalog import catalog, forms

REGISTRY = """\
directive:
  number: 12/KH-UBND
  issued: 2018-05-23
  issuer: UBND tỉnh Đồng Nai
  subject: Kế hoạch kiểm soát thủ tục hành chính năm 2018
tasks:
  - key: 12-1
    content: Rà soát thủ tục hành chính
    lead: Sở Nội vụ
    coordinators: Sở Tài chính
    deadline: trước ngày 14/6/2018
  - key: 12-2
    content: Báo cáo tình hình kiểm soát
    lead: Sở Tài chính
    deadline: định kỳ hàng quý
  - key: 12-3
    content: Theo dõi, đôn đốc thực hiện
    lead: Sở Nội vụ
    deadline: Thường xuyên
"""
BROKEN = "STT,Nội dung,Cơ quan chủ trì,Cơ quan phối hợp,Thời gian hoàn thành\n1,Việc một,Sở Nôi vụ,,Quý V/2013\n"

# (name, arguments, extra environment, who still has to convert the texts behind it or None)
COMMANDS = [
    ("db upgrade", ["db", "upgrade"], {}, None),
    ("import", ["import", "{dir}/plan.yaml"], {}, None),
    ("import again", ["import", "{dir}/plan.yaml"], {}, None),
    ("tasks", ["tasks"], {}, None),
    ("tasks of an agency", ["tasks", "--agency", "Sở Nội vụ"], {}, None),
    ("tasks, bad status", ["tasks", "--status", "late-ish"], {}, None),
    ("tasks, unknown agency", ["tasks", "--agency", "Sở Nôi vụ"], {}, None),
    ("agencies", ["agencies", "Sở Nội"], {}, None),
    ("agencies, groups", ["agencies", "huyện"], {}, None),
    ("link", ["link", "Sở Nội vụ", "-1001", "--role", "focal"], {}, None),
    ("link again", ["link", "Sở Nội vụ", "-1001", "--role", "focal"], {}, None),
    ("link, unknown agency", ["link", "Sở Nôi vụ", "-1001", "--role", "focal"], {}, None),
    ("link, bad role", ["link", "Sở Nội vụ", "-1001", "--role", "boss"], {}, None),
    ("bindings", ["bindings"], {}, None),
    ("unlink, not linked", ["unlink", "Sở Tài chính", "-1001"], {}, None),
    ("preview, short", ["preview", "--from", "01/06/2018", "--to", "20/06/2018", "--short"], {}, None),
    ("preview", ["preview", "--from", "01/06/2018", "--to", "20/06/2018"], {}, None),
    ("ics", ["ics", "--agency", "Sở Nội vụ", "{dir}/snv.ics"], {}, None),
    ("ics, bad folder", ["ics", "--all", "{dir}/no/such.ics"], {}, None),
    ("feed url", ["feed", "url", "Sở Nội vụ"], {}, None),
    ("feed url again", ["feed", "url", "Sở Nội vụ"], {}, None),
    ("feed list", ["feed", "list"], {}, None),
    ("invite", ["invite", "Sở Nội vụ", "--role", "focal"], {}, None),
    ("invite, bad expiry", ["invite", "Sở Nội vụ", "--role", "focal", "--expires", "soon"], {}, None),
    ("deadline, unreadable", ["deadline", "xyz abc"], {}, None),
    ("import errors", ["import", "{dir}/broken.csv", "--document", "3/KH", "--issued", "2012-03-02"], {}, None),
    ("settings error", ["tasks"], {"TIMEZONE": "Mars/Base", "DUE_SOON_DAYS": "many"}, None),
    # What Typer and the Click it vendors print themselves (dondoc/cli/localize.py)
    ("--help", ["--help"], {}, None),
    ("report --help", ["report", "--help"], {}, None),
    ("link --help", ["link", "--help"], {}, None),
    ("missing argument", ["link"], {}, None),
    ("unknown option", ["report", "--x"], {}, None),
    ("bad option value", ["feed", "revoke", "--id", "x"], {}, None),
    ("unknown command", ["reprot"], {}, None),
    ("option without its value", ["tasks", "--status"], {}, None),
    ("extra argument", ["tasks", "late"], {}, None),
]

# Codes and names that are the same in every language.
CODES = {"dondoc", "telegram", "focal", "manager", "oversight", "leadership", "ics", "vtodo", "thunderbird", "yaml",
         "csv", "xlsx", "url", "urls", "iana", "asia", "ho", "chi", "minh", "sqlite", "postgresql", "psycopg", "http",
         "https", "todo", "hcc", "ubnd", "kh", "vi", "en", "id"} | {s.value for s in Status}  # status codes (--status)


def _command_names(command) -> set[str]:
    """Every command's name (`export`, `unlink`, `revoke` …): typed as they are, in every language."""
    names = set()
    for name, sub in getattr(command, "commands", {}).items():
        names |= {w.lower() for w in re.findall(r"[A-Za-z]+", name)} | _command_names(sub)
    return names


CODES |= _command_names(typer.main.get_command(app))
COMMON_ENGLISH = {"the", "and", "not", "cannot", "read", "unknown", "expected", "invalid", "error", "file", "with",
                  "found", "deadline", "agency", "agencies", "task", "tasks", "mean", "did", "you", "line", "row", "column",
                  "problem", "problems", "nothing", "imported", "wrote", "linked", "events", "sent", "accepted"}
_VIETNAMESE = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]", re.I)
_WORDS = re.compile(r"[A-Za-zÀ-ỹ]+")
# Not words a person reads in a language: URLs, paths, options, commands in backticks, step codes, keys.
# What the person typed, quoted back ('late-ish'), examples of input ("hằng quý") and snake_case codes
# (in_time, DUE_SOON_DAYS) too.
_NOT_TEXT = re.compile(r"https?://\S+|/\S+|--[\w-]+|`[^`]*`|'[^']*'|\"[^\"]*\"|«[^»]*»|“[^”]*”|\b\w+_\w+\b|\b[\w-]+:[\w:-]+\b|\b\w+-\w[\w-]*"
                       r"|\b[\w.-]+\.(?:ics|yaml|csv)\b")


def words(text: str) -> set[str]:
    return {w.lower() for w in _WORDS.findall(text)}


@pytest.fixture(scope="module")
def vocabulary():
    """(English words, data words): English from the en msgids minus what Vietnamese texts and data also use."""
    from storage.agencies import AgencyDirectory

    directory = AgencyDirectory.load(None)
    data = words(REGISTRY) | words(BROKEN)
    for a in directory.search(""):
        data |= words(a.name) | words(" ".join(a.aliases))
    for g in directory.groups:
        data |= words(g.name) | words(" ".join(g.aliases))
    vi_words = set()
    for m in catalog("vi"):
        for s in forms(m.string):
            vi_words |= words(s)
    english = set()
    for m in catalog("vi"):
        for msgid in forms(m.id):
            english |= {w for w in words(re.sub(r"\{[^}]*\}", " ", msgid)) if len(w) >= 3 and w.isascii()}
    english = (english | COMMON_ENGLISH) - vi_words - data - CODES
    return english, data


def leaks(output: str, lang: str, vocabulary) -> list[str]:
    english, data = vocabulary
    found = []
    # A quoted example that --help wrapped onto the next line ("6 tháng cuối năm\n   2026") is still a quote.
    output = re.sub(r'"[^"\n]*\n[ \t]*[^"\n]*"', lambda m: " \n", output)
    for line in output.splitlines():
        text = _NOT_TEXT.sub(" ", line)
        if lang == "vi":
            bad = sorted(w for w in words(text) if w in english)
        else:
            bad = sorted(w for w in words(text) if _VIETNAMESE.search(w) and w not in data)
        if bad:
            found.append(f"{bad} in: {line}")
    return found


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_command_speaks_only_language(lang, db_url, tmp_path, monkeypatch, vocabulary):
    (tmp_path / "plan.yaml").write_text(REGISTRY, encoding="utf-8")
    (tmp_path / "broken.csv").write_text(BROKEN, encoding="utf-8")
    runner = CliRunner()
    outputs: dict[str, str] = {}
    for name, args, env, _owner in COMMANDS:
        from dondoc.cli import common

        common.settings.cache_clear()  # each command reads its environment, as a new process would
        common.engine.cache_clear()
        environment = {"DATABASE_URL": db_url, "CLOCK_START": "2018-06-01T09:00:00+07:00", "LANGUAGE": lang, **env}
        result = runner.invoke(app, [a.replace("{dir}", str(tmp_path)) for a in args], env=environment)
        assert result.exception is None or isinstance(result.exception, SystemExit), (name, result.exception)
        outputs[name] = result.stdout + result.stderr
        assert outputs[name].strip(), f"{name}: said nothing"
    problems = {name: leaks(outputs[name], lang, vocabulary) for name, *_ in COMMANDS}
    todo = {name: owner for name, _a, _e, owner in COMMANDS if owner}
    ours = {name: p for name, p in problems.items() if p and name not in todo}
    assert not ours, f"LANGUAGE={lang}:\n" + "\n".join(f"{n}: {p}" for n, ps in ours.items() for p in ps)
    # Texts other branches are converting (their English shows in Vietnamese): once they speak Vietnamese,
    # drop their owner from COMMANDS so the check covers them.
    done = [f"{name} (TODO({owner}))" for name, owner in todo.items() if not problems[name]]
    assert lang == "en" or not done, f"these now speak {lang}: remove their TODO in COMMANDS: {done}"


def test_the_detector_finds_leaks(vocabulary):
    assert leaks("Wrote snv.ics: 3 events.", "vi", vocabulary)
    assert leaks("Không nhập r.csv: 1 lỗi. unknown agency 'Sở Nôi vụ'", "vi", vocabulary)
    assert not leaks("Đã ghi /tmp/x/snv.ics: 3 sự kiện.", "vi", vocabulary)
    assert not leaks("telegram:-1001 (Sở Nội vụ · cán bộ đầu mối)  remind:7:2018-06-14  [12-1]", "vi", vocabulary)
    assert leaks("Đã ghi snv.ics: 3 sự kiện.", "en", vocabulary)
    assert not leaks("Linked telegram:-1001 to Sở Nội vụ (so-noi-vu) as focal (focal point).", "en", vocabulary)
    assert not leaks("12-3  Theo dõi, đôn đốc thực hiện  Sở Nội vụ  Thường xuyên  —  No deadline", "en", vocabulary)
    assert leaks("Usage: dondoc report [OPTIONS]", "vi", vocabulary)
    assert leaks("Error: No such option: --x", "vi", vocabulary)
    assert not leaks("Lỗi: Không có tùy chọn: --x", "vi", vocabulary)


# -- what Typer and the Click it vendors print themselves --------------------------------------------------------

FRAMEWORK_ENGLISH = ("Usage:", "Options:", "Arguments:", "Commands:", "[OPTIONS]", "COMMAND [ARGS]", "Try '",
                     "for help", "Error:", "No such option", "No such command", "Missing argument", "Invalid value",
                     "default:", "required]", "Show this message and exit", "Show the version", "<str>", "<int>",
                     "<path>", "requires an argument", "unexpected extra argument", "Input should be")
FRAMEWORK_VIETNAMESE = ("Cách dùng", "Tùy chọn", "TÙY_CHỌN", "Đối số", "Lệnh:", "Lỗi:", "Gõ '", "hướng dẫn",
                        "bắt buộc", "mặc định", "<chuỗi>", "cơ_quan", "Thiếu", "Không có")
# (arguments, English as Typer 0.29 writes it, Vietnamese as the catalog says it)
FRAMEWORK_CASES = [
    (["--help"], ["Usage: dondoc [OPTIONS] COMMAND [ARGS]...", "\nOptions:\n", "\nCommands:\n",
                  "--help     Show this message and exit."],
     ["Cách dùng: dondoc [TÙY_CHỌN] LỆNH [ĐỐI_SỐ]...", "\nTùy chọn:\n", "\nLệnh:\n",
      "--help     Hiện hướng dẫn này rồi thoát.", "Nạp danh mục nhiệm vụ"]),
    (["report", "--help"], ["Usage: dondoc report [OPTIONS]", "--from <str>", "First day, dd/mm/yyyy"],
     ["Cách dùng: dondoc report [TÙY_CHỌN]", "--from <chuỗi>", "Ngày đầu, dd/mm/yyyy", "Bốn nhóm nhiệm vụ"]),
    (["link", "--help"], ["\nArguments:\n", "agency <str>", "[required]", "[default: telegram]"],
     ["\nĐối số:\n", "cơ_quan <chuỗi>", "[bắt buộc]", "[mặc định: telegram]"]),
    (["link"], ["Usage: dondoc link [OPTIONS] {agency} {chat_id}\nTry 'dondoc link --help' for help.\n\n"
                "Error: Missing argument 'agency'."],
     ["Cách dùng: dondoc link [TÙY_CHỌN] {cơ_quan} {mã_nhóm}\nGõ 'dondoc link --help' để xem hướng dẫn.\n\n"
      "Lỗi: Thiếu đối số 'cơ_quan'."]),
    (["report", "--x"], ["Usage: dondoc report [OPTIONS]\nTry 'dondoc report --help' for help.\n\n"
                         "Error: No such option: --x"],
     ["Cách dùng: dondoc report [TÙY_CHỌN]\nGõ 'dondoc report --help' để xem hướng dẫn.\n\nLỗi: Không có tùy chọn: --x"]),
    (["feed", "revoke", "--id", "x"],
     ["Error: Invalid value for '--id': Input should be a valid integer, unable to parse string as an integer"],
     ["Lỗi: Giá trị không hợp lệ cho '--id': cần một số nguyên hợp lệ, không đọc được giá trị đã nhập là số nguyên"]),
    (["reprot"], ["Error: No such command 'reprot'. Did you mean 'report', 'export'?"],
     ["Lỗi: Không có lệnh 'reprot'. Có phải: 'report', 'export'?"]),
    (["tasks", "--status"], ["Error: Option '--status' requires an argument."],
     ["Lỗi: Tùy chọn '--status' cần một giá trị."]),
]


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("args, english, vietnamese", FRAMEWORK_CASES, ids=[" ".join(c[0]) for c in FRAMEWORK_CASES])
def test_help_and_parse_errors_speak_language(lang, args, english, vietnamese, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, args, env={"LANGUAGE": lang, "COLUMNS": "80"})
    out = result.stdout + result.stderr
    assert result.exit_code == (0 if "--help" in args else 2), out
    for text in (vietnamese if lang == "vi" else english):
        assert text in out, f"{text!r} not in:\n{out}"
    if lang == "vi":
        assert not [w for w in FRAMEWORK_ENGLISH if w in out], out
    else:
        # (English help texts keep their Vietnamese examples of input: "Quý III/2026")
        assert not [w for w in FRAMEWORK_VIETNAMESE + tuple(vietnamese) if w in out], out


def _help_language(runner: CliRunner, env: dict[str, str | None]) -> str:
    out = runner.invoke(app, ["report", "--help"], env=env).stdout
    return "vi" if "Cách dùng:" in out else "en" if "Usage:" in out else "?"


def test_the_language_comes_from_env_or_dotenv_and_help_survives_a_broken_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    unset = {"LANGUAGE": None}
    assert _help_language(runner, unset) == "vi"  # the default
    (tmp_path / ".env").write_text("LANGUAGE=en\nDATABASE_URL=nonsense://\n", encoding="utf-8")
    assert _help_language(runner, unset) == "en"  # from .env, and a broken DATABASE_URL does not matter
    assert _help_language(runner, {"LANGUAGE": "vi"}) == "vi"  # the environment wins over .env
    assert runner.invoke(app, ["report", "--x"], env=unset).stderr.startswith("Usage: dondoc report")
    (tmp_path / ".env").write_bytes(b"LANGUAGE=\xff\xfe en\n")  # not UTF-8: unreadable
    assert _help_language(runner, unset) == "vi"
    (tmp_path / ".env").write_text("LANGUAGE=fr\n", encoding="utf-8")  # no catalog: the default
    assert _help_language(runner, unset) == "vi"
    result = runner.invoke(app, ["report", "--help"], env={"LANGUAGE": "en", "DUE_SOON_DAYS": "many"})
    assert result.exit_code == 0 and "Usage:" in result.stdout  # broken settings: --help still works


def test_every_argument_has_a_name_in_the_catalog():
    """A new argument needs its name in localize.argument_name, else its usage line stays English."""
    from dondoc.cli.localize import argument_name, commands
    from core.i18n import use_language

    root = typer.main.get_command(app)
    with use_language("vi"):
        unnamed = [f"{c.name} {p.name}" for c in commands(root) for p in c.params
                   if p.param_type_name == "argument" and argument_name(p.name) in (p.name, p.metavar)]
        assert argument_name("agency") == "cơ_quan" and argument_name("new_date") == "NGÀY"  # literally, once
    assert not unnamed


def test_typer_still_writes_the_texts_we_translate():
    """The msgids of Typer's gettext calls are its source's own words: a Typer upgrade that rewords one shows
    here (then update TYPER_TEXTS / RICH_TEXTS and the catalog)."""
    import inspect

    import typer.core
    import typer.rich_utils
    from typer import _click

    from dondoc.cli import localize

    source = inspect.getsource(typer.core) + inspect.getsource(typer.rich_utils)
    for msgid in (*localize.TYPER_TEXTS, *localize.RICH_TEXTS.values()):
        assert f'_({msgid!r})' in source.replace('_("', "_('").replace('")', "')") or f'_("{msgid}")' in source, msgid
    assert '"Usage: "' in inspect.getsource(_click.formatting)
    assert f'help="{localize.HELP_OPTION}"' in inspect.getsource(_click.decorators)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_rich_help_panels_follow_too(lang):
    """typer/rich_utils.py computes its panel titles at import time: a group with rich help gets them in the
    language all the same (dondoc's own help is plain, but a command group may turn rich help on)."""
    from dondoc.cli.localize import LocalizedGroup

    rich_app = typer.Typer(cls=LocalizedGroup, rich_markup_mode="rich")

    @rich_app.command()
    def hello(name: str = typer.Argument(...), n: int = typer.Option(1)) -> None:
        pass

    @rich_app.command()
    def bye() -> None:
        pass

    runner = CliRunner()
    shown = runner.invoke(rich_app, ["hello", "--help"], env={"LANGUAGE": lang, "COLUMNS": "80"}).output
    wrong = runner.invoke(rich_app, ["hello", "--x"], env={"LANGUAGE": lang, "COLUMNS": "80"}).output
    if lang == "vi":
        assert "─ Đối số ─" in shown and "─ Tùy chọn ─" in shown and "[mặc định: 1]" in shown
        assert "─ Lỗi ─" in wrong and "Không có tùy chọn: --x" in wrong
        assert not [w for w in ("Options", "Arguments", "default", "required", "Error", "No such") if w in shown + wrong]
    else:
        assert "─ Arguments ─" in shown and "─ Options ─" in shown and "[default: 1]" in shown
        assert "─ Error ─" in wrong and "No such option: --x" in wrong
