"""Migration 0005_record on a database the service already used: tasks it handed over before the history existed
get their history back from the audit log (the lead as written, then the hand-over from the day after the end)."""

from __future__ import annotations

from datetime import date, datetime, timezone

import sqlalchemy as sa

from storage.db import downgrade, make_engine, upgrade


def test_earlier_hand_overs_become_history(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade(url, "0004")
    engine = make_engine(url)
    at = datetime(2025, 3, 3, 1, 0)
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO agency (code, name, kind, aliases, groups, valid_to, successor, source) VALUES "
                          "('so-khdt', 'Sở KH&ĐT', 'so', '[]', '[]', '2025-02-28', 'so-tc', 'builtin'), "
                          "('so-tc', 'Sở Tài chính', 'so', '[]', '[]', NULL, NULL, 'builtin')"))
        for key in ("A", "B"):
            c.execute(sa.text(
                "INSERT INTO task (key, position, content, lead_agency, coordinators, deadline_text, deadline, "
                "deadline_kind, assigned_at, created_at, updated_at, sequence) VALUES (:k, 0, 'x', 'so-tc', "
                "'[\"so-noi-vu\"]', 'định kỳ hàng quý', '{}', 'recurring', :at, :at, :at, 1)"), {"k": key, "at": at})
        c.execute(sa.text("INSERT INTO auditentry (at, actor, source, action, entity, entity_key, detail) VALUES "
                          "(:at, 'scheduler', 'scheduler', 'task.handed_over', 'task', 'A', :d)"),
                  {"at": at, "d": '{"from": "so-khdt", "to": "so-tc", "reason": "so-khdt ceased to exist on 2025-02-28"}'})
    upgrade(url)
    with engine.connect() as c:
        rows = c.execute(sa.text("SELECT t.key, r.kind, r.lead, r.since, r.previous_lead, r.coordinators FROM "
                                 "responsibility r JOIN task t ON t.id = r.task_id ORDER BY r.id")).all()
    assert [tuple(r[:5]) for r in rows] == [("A", "written", "so-khdt", None, None),
                                            ("A", "handover", "so-tc", "2025-03-01", "so-khdt")]
    assert rows[0][5] == '["so-noi-vu"]'
    downgrade(url, "0004")  # and back, cleanly
    with engine.connect() as c:
        assert "responsibility" not in sa.inspect(c).get_table_names()
    engine.dispose()
