"""The console's draft table, pure: form rows back to tasks, problems of the import put on their rows."""

from __future__ import annotations

from datetime import date

from core.i18n import _
from intake.directive import extract
from intake.directive.draft_yaml import render
from intake.model import Problem
from web import draft_form

TEXT = """Số: 12/UBND-KT
Đồng Nai, ngày 10 tháng 01 năm 2020
1. Giao Sở Nội vụ chủ trì tổng hợp, báo cáo trước ngày 15/3/2020.
2. Giao Sở Tài chính bố trí kinh phí, hoàn thành trước ngày 30/6/2020.
3. Giao Sở Y tế kiểm tra an toàn thực phẩm, báo cáo hằng quý.
"""


def test_names_split_on_semicolons_first():
    assert draft_form.split_names("Sở Văn hóa, Thể thao và Du lịch; Sở Y tế") == [
        "Sở Văn hóa, Thể thao và Du lịch", "Sở Y tế"]
    assert draft_form.split_names("Sở Tài chính, Sở Y tế") == ["Sở Tài chính", "Sở Y tế"]
    assert draft_form.split_names("  ") == []


def test_form_corrections_and_a_row_left_out():
    draft = extract(TEXT)
    stored = draft_form.tasks_of(draft)
    form = {"t0-lead": "  Sở Tư pháp ", "t1-remove": "on", "t2-deadline": "", "t2-coordinators": "Sở Nội vụ"}
    tasks = draft_form.tasks_from_form(form, stored)
    assert [(t["stt"], t["lead"], t["deadline"], t["coordinators"]) for t in tasks] == [
        ("1", "Sở Tư pháp", "trước ngày 15/3/2020", []), ("3", "Sở Y tế", None, ["Sở Nội vụ"])]
    assert tasks[0]["lines"] == [3, 3]  # the source line stays with its row
    again = draft_form.to_draft(draft_form.header_of(draft), tasks)
    assert [t.lead for t in again.tasks] == ["Sở Tư pháp", "Sở Y tế"] and again.number == "12/UBND-KT"


def test_problems_on_the_yaml_go_to_their_task():
    draft = extract(TEXT)
    text = render(draft, source="cv.txt")
    lines = text.splitlines()
    lead_of_second = next(i for i, ln in enumerate(lines, 1) if '"Sở Tài chính"' in ln)
    number_line = next(i for i, ln in enumerate(lines, 1) if "number:" in ln)
    by_task, general = draft_form.place_problems(
        [Problem("d.yaml", lead_of_second, "lead", "unknown"), Problem("d.yaml", number_line, "number", "taken")],
        text)
    assert by_task == {1: ["lead: unknown"]} and general == ["number: taken"]


def test_deadline_as_read():
    today = date(2020, 1, 12)
    assert draft_form.deadline_as_read("trước ngày 15/3/2020", date(2020, 1, 10), today) == (
        _("due {date}", date="15/03/2020"), True)
    text, ok = draft_form.deadline_as_read("hằng quý", date(2020, 1, 10), today)
    assert ok and text.startswith(_("recurring: {dates} …", dates="")[:5])
    assert draft_form.deadline_as_read("", None, today) == (_('no deadline: write one, or "continuous"'), False)
    assert draft_form.deadline_as_read("trước ngày 31/2/2020", date(2020, 1, 10), today)[1] is False
