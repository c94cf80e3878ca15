"""Buttons and their signed payloads: compact, ≤ 64 bytes, tamper-evident, carrying the task's sequence."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot import buttons as b
from core.i18n import _

SECRET = b"k" * 32


@dataclass
class FakeTask:
    id: int
    sequence: int = 0
    deadline_kind: str = "once"


@dataclass
class FakeExtension:
    id: int
    occurrence_key: str


def all_buttons(rows):
    return [btn for row in rows for btn in row]


@pytest.mark.parametrize("lang,labels", [
    ("vi", ["✅ Hoàn thành", "📈 Tiến độ", "⏳ Xin gia hạn", "👀 Đã nhận"]),
    ("en", ["✅ Done", "📈 Progress", "⏳ Ask for more time", "👀 Got it"]),
])
def test_task_buttons_labels_and_round_trip(lang, labels):
    task = FakeTask(id=123456, sequence=7)
    rows = b.task_buttons(task, "2019-03-31", lang, SECRET)
    assert [btn.label for btn in all_buttons(rows)] == labels
    assert labels == [_(b.LABELS[a], lang=lang) for a in (b.DONE, b.PROGRESS_MENU, b.EXTEND, b.ACK)]
    actions = []
    for btn in all_buttons(rows):
        p = b.verify_payload(btn.data, SECRET)
        assert (p.task_id, p.occurrence_key, p.sequence) == (123456, "2019-03-31", 7)
        actions.append(p.action)
    assert actions == [b.DONE, b.PROGRESS_MENU, b.EXTEND, b.ACK]


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_only_the_buttons_that_make_sense(lang):
    """No ⏳ on a continuous task ("Thường xuyên": no deadline to extend); none once done or awaiting
    confirmation (no "👀 Đã nhận" on a done task)."""
    continuous = FakeTask(id=3, sequence=1, deadline_kind="continuous")
    rows = b.task_buttons(continuous, "continuous", lang, SECRET)
    assert [b.verify_payload(x.data, SECRET).action for x in all_buttons(rows)] == [b.DONE, b.PROGRESS_MENU, b.ACK]
    assert _(b.LABELS[b.EXTEND], lang=lang) not in [x.label for x in all_buttons(rows)]
    once = FakeTask(id=4, sequence=1, deadline_kind="once")
    assert b.EXTEND in [b.verify_payload(x.data, SECRET).action for x in all_buttons(b.task_buttons(once, "once", lang,
                                                                                                   SECRET))]
    for state in ("done", "pending_confirmation"):
        assert b.task_buttons(once, "once", lang, SECRET, state=state) == []
    # ⏳ once it is back from the percent buttons, too: « Back shows the same rows
    assert b.task_buttons(continuous, "continuous", lang, SECRET) == rows


def test_progress_buttons_carry_the_percent():
    rows = b.progress_buttons(FakeTask(5, 2), "once", "vi", SECRET)
    assert [btn.label for btn in rows[0]] == ["25 %", "50 %", "75 %"]
    assert [b.verify_payload(btn.data, SECRET).arg for btn in rows[0]] == ["25", "50", "75"]
    assert b.verify_payload(rows[1][0].data, SECRET).action == b.BACK


def test_oversight_buttons():
    task = FakeTask(9, 1)
    confirm, reject = b.confirmation_buttons(task, "continuous", "en", SECRET)[0]
    assert b.verify_payload(confirm.data, SECRET).action == b.CONFIRM_DONE
    assert b.verify_payload(reject.data, SECRET).occurrence_key == "continuous"
    approve, deny = b.extension_buttons(task, FakeExtension(id=4242, occurrence_key="once"), "vi", SECRET)[0]
    assert approve.label == _(b.LABELS[b.APPROVE_EXTENSION], lang="vi") == "✔️ Đồng ý gia hạn"
    assert b.extension_buttons(task, FakeExtension(id=4242, occurrence_key="once"), "en", SECRET)[0][0].label == \
        _(b.LABELS[b.APPROVE_EXTENSION], lang="en") == "✔️ Approve extension"
    p = b.verify_payload(approve.data, SECRET)
    assert p.action == b.APPROVE_EXTENSION and b.extension_id(p) == 4242
    assert b.verify_payload(deny.data, SECRET).action == b.REJECT_EXTENSION


def test_worst_case_payload_fits_in_64_bytes():
    # a task id in the billions, a large sequence, a date occurrence and an extension id argument
    task = FakeTask(id=10**12, sequence=10**9)
    for btn in all_buttons(b.task_buttons(task, "2099-12-31", "vi", SECRET)) + all_buttons(
            b.extension_buttons(task, FakeExtension(10**12, "2099-12-31"), "vi", SECRET)):
        assert len(btn.data.encode()) <= 64


def test_payload_too_big_is_refused_when_made():
    with pytest.raises(ValueError):
        b.sign_payload(b.Payload(b.PAGE, arg="x" * 60), SECRET)


@pytest.mark.parametrize("garbage", ["", "hello", "d.1.o.0..", "d.1.o.0..AAAAAAAAAAAAAAAA", "." * 5, "x" * 65])
def test_garbage_is_rejected(garbage):
    with pytest.raises(b.InvalidPayload):
        b.verify_payload(garbage, SECRET)


def test_tampering_with_any_field_is_detected():
    data = b.task_buttons(FakeTask(12, 3), "once", "vi", SECRET)[0][0].data
    action, tid, occ, seq, arg, sig = data.split(".")
    for forged in (
        ".".join(("a", tid, occ, seq, arg, sig)),  # another action
        ".".join((action, "13", occ, seq, arg, sig)),  # another task
        ".".join((action, tid, "c", seq, arg, sig)),  # another occurrence
        ".".join((action, tid, occ, "4", arg, sig)),  # a newer sequence
        ".".join((action, tid, occ, seq, "50", sig)),  # an argument
    ):
        with pytest.raises(b.InvalidPayload):
            b.verify_payload(forged, SECRET)
    with pytest.raises(b.InvalidPayload):
        b.verify_payload(data, b"another secret")


def test_unencodable_occurrence_is_an_error_not_a_broken_button():
    with pytest.raises(ValueError):
        b.task_buttons(FakeTask(1), "2019-02-30", "vi", SECRET)
    with pytest.raises(ValueError):
        b.task_buttons(FakeTask(1), "some.key", "vi", SECRET)


def test_page_buttons():
    assert b.page_buttons("t", 0, 1, "vi", SECRET) == []
    (row,) = b.page_buttons("u", 1, 3, "en", SECRET, extra="14")
    assert [btn.label for btn in row] == ["◀ Previous", "Next ▶"]
    assert [b.verify_payload(btn.data, SECRET).arg for btn in row] == ["u0:14", "u2:14"]
    (row,) = b.page_buttons("t", 0, 3, "vi", SECRET)
    assert [btn.label for btn in row] == ["Sau ▶"]


def test_split_message_respects_the_limit_and_prefers_line_breaks():
    from bot.texts import split_message

    assert split_message("ngắn") == ["ngắn"]
    lines = [f"dòng {n}: " + " ".join(["chữ"] * 30) for n in range(100)]
    pieces = split_message("\n".join(lines), 4096)
    assert all(len(p) <= 4096 for p in pieces) and len(pieces) > 1
    assert "\n".join(pieces) == "\n".join(lines)  # nothing lost, cut only at line breaks
    one_line = "tiêu đề\n" + "từ " * 3000
    pieces = split_message(one_line, 4096)
    assert len(pieces[0]) > 2048 and all(len(p) <= 4096 for p in pieces)
    assert split_message("x" * 5000, 4096) == ["x" * 4096, "x" * 904]


@pytest.mark.parametrize("deadline, occurrence, done, expected", [
    ("trước ngày 14/6/2018", "once", False, [b.DONE, b.PROGRESS_MENU, b.EXTEND, b.ACK]),
    ("trước ngày 14/6/2018", "once", True, []),  # no "👀 Đã nhận" (nor anything) on a done task
    ("Thường xuyên", "continuous", False, [b.DONE, b.PROGRESS_MENU, b.ACK]),  # nothing to extend
])
def test_the_scheduler_s_messages_carry_only_the_buttons_that_make_sense(engine, deadline, occurrence, done, expected):
    """What the dispatcher sends (bot.compose.Composer) follows the same rule as the bot's own keyboards."""
    from datetime import datetime
    from types import SimpleNamespace

    from sqlmodel import Session

    from bot.compose import Composer
    from dondoc.settings import load_settings
    from jobs.planner import REMINDER
    from core.workdays import WorkCalendar
    from storage.actions import Actor, mark_done
    from tests.conftest import VN
    from tests.factories import make_task

    now = datetime(2018, 6, 7, 8, 0, tzinfo=VN)
    with Session(engine) as s:
        task = make_task(s, key="T1", deadline_text=deadline, now=now)
        s.commit()
        if done:
            mark_done(s, task, occurrence, Actor("Lan", "1", "telegram"), now)
            s.commit()
        row = SimpleNamespace(kind=REMINDER, task_id=task.id, task_key="T1", occurrence=occurrence, payload={},
                              step="remind:7:2018-06-14")
        composed = Composer(load_settings(environ={}, dotenv_path=None), WorkCalendar()).compose(s, row, now)
    assert [b.verify_payload(x.data, load_settings(environ={}, dotenv_path=None).secret_for_callbacks()).action
            for x in all_buttons(composed.buttons)] == expected
