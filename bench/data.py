"""Synthetic registries for the benchmarks, and a fast bulk loader.

`make_registry(n)` builds a province-sized registry of `n` tasks, deterministically (a fixed seed):

- 60 agencies — the built-in directory's departments, Đồng Nai's and Nam Định's districts — each with
  2 chats: its focal group (a Telegram group, negative id) and its manager's private chat (positive id).
  Sở Nội vụ's group is also the oversight chat and Văn phòng UBND tỉnh's manager chat the leadership chat,
  so every rung of the escalation ladder has someone to hear it;
- one directive per 40 tasks, issued over the 18 months before the import;
- deadlines written the way the directives write them ("trước ngày 14/6/2024", "Quý III/2024",
  "Tháng 12/2024", "vào cuối năm 2024", "định kỳ hàng quý", "6 tháng và cả năm", "Hàng tháng/năm",
  "Thường xuyên" …) and read by the real grammar (`core.deadline.parse_deadline`): 70 % once (due from two
  months before the import to 14 months after), 20 % recurring, 10 % continuous;
- a registry in use: imported `IMPORTED` (a month before `NOW`); half of the once tasks already past due
  are done, a few acknowledged or extended; the last closed period of a recurring task is often done.

`load_registry(engine, registry)` writes it with a few multi-row INSERTs (SQLAlchemy Core executemany) in
one transaction, with explicit ids; on PostgreSQL the id sequences are moved past them afterwards and the
tables analysed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

VN = ZoneInfo("Asia/Ho_Chi_Minh")
# The instant the planning benchmarks run "at": a Monday morning after the weekly agenda's time.
NOW = datetime(2024, 6, 3, 9, 0, tzinfo=VN).astimezone(timezone.utc)
IMPORTED = datetime(2024, 5, 3, 9, 0, tzinfo=VN).astimezone(timezone.utc)  # a month of history before NOW
N_AGENCIES = 60
TASKS_PER_DIRECTIVE = 40
SEED = 20240603

ROMAN = ("I", "II", "III", "IV")

# Once-deadline shapes as the directives write them (000–004 in ../shared/directives): weight, template.
_ONCE_SHAPES = (
    (45, "trước ngày {d}/{m}/{y}"),     # 5099/UBND-HCC
    (10, "trước {d}/{m}/{y}"),          # 5277/UBND-KSTT
    (6, "Tháng {m}/{y}"),               # 337/QĐ-UBND appendix
    (4, "vào tháng {m}/{y}"),           # 337/QĐ-UBND
    (5, "Trong tháng {m}/{y}"),         # 62/KH-UBND
    (10, "Quý {q}/{y}"),                # 337/QĐ-UBND appendix
    (5, "vào Quý {q}/{y}"),             # 337/QĐ-UBND
    (3, "vào cuối năm {y}"),            # Hậu Giang
    (2, "trong năm {y}"),               # 5099/UBND-HCC
)
_RECURRING = (
    (30, "định kỳ hàng quý"),           # 5099/UBND-HCC
    (15, "hằng quý"),                   # 62/KH-UBND
    (15, "6 tháng và cả năm"),          # Hậu Giang
    (10, "Hàng tháng/năm"),             # 337/QĐ-UBND appendix
    (10, "Định kỳ hàng tháng"),         # Hậu Giang
    (10, "Tháng 12/năm"),               # 337/QĐ-UBND appendix
    (10, "hằng năm"),                   # 62/KH-UBND
)
_CONTINUOUS = "Thường xuyên"

# Task contents paraphrased from the directives' plans (cải cách hành chính).
_CONTENTS = (
    "Xây dựng và gửi kế hoạch triển khai các giải pháp nâng cao Chỉ số cải cách hành chính (PAR INDEX)",
    "Báo cáo kết quả thực hiện kế hoạch cải cách hành chính về UBND tỉnh (qua Sở Nội vụ)",
    "Rà soát các văn bản quy phạm pháp luật do địa phương ban hành, đề xuất sửa đổi, bổ sung",
    "Rà soát, đơn giản hóa thủ tục hành chính thuộc phạm vi quản lý",
    "Triển khai cơ chế một cửa, một cửa liên thông hiện đại tại bộ phận tiếp nhận và trả kết quả",
    "Xác định vị trí việc làm và cơ cấu cán bộ, công chức theo ngạch",
    "Áp dụng hệ thống quản lý chất lượng theo tiêu chuẩn TCVN ISO 9001",
    "Cung cấp dịch vụ công trực tuyến mức độ 3, 4 trên Cổng thông tin điện tử",
    "Báo cáo thực hiện cải cách tài chính công và cơ chế tự chủ về biên chế, kinh phí",
    "Tổ chức tuyên truyền cải cách hành chính trên báo, đài phát thanh – truyền hình",
    "Kiểm tra công tác cải cách hành chính tại các đơn vị trực thuộc",
    "Tổng hợp kết quả khảo sát sự hài lòng của người dân, tổ chức đối với dịch vụ hành chính công",
)


@dataclass
class Registry:
    """Rows ready for executemany, one list per table."""

    agencies: list[dict] = field(default_factory=list)
    directives: list[dict] = field(default_factory=list)
    tasks: list[dict] = field(default_factory=list)
    occurrences: list[dict] = field(default_factory=list)
    bindings: list[dict] = field(default_factory=list)

    @property
    def kinds(self) -> dict[str, int]:
        out = {"once": 0, "recurring": 0, "continuous": 0}
        for t in self.tasks:
            out[t["deadline_kind"]] += 1
        return out

    @property
    def chats(self) -> list[str]:
        return sorted({f"{b['platform']}:{b['chat_id']}" for b in self.bindings})


def agency_list(n: int = N_AGENCIES) -> list[tuple[str, str]]:
    """(code, name) of `n` real agencies: the built-in directory first, then Đồng Nai's and Nam Định's
    districts; numbered communes if that is not enough."""
    import yaml

    from storage.agencies import AgencyDirectory

    out: dict[str, str] = {a.code: a.name for a in AgencyDirectory.load(None).agencies}
    examples = Path(__file__).resolve().parents[1] / "examples"
    for name in ("agencies-dong-nai.yaml", "agencies-nam-dinh.yaml"):
        path = examples / name
        if path.is_file():
            for a in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("agencies") or []:
                if a.get("kind") in ("ubnd-cap-huyen", "bao-chi", "so", "ban") and a.get("code") not in out:
                    out[a["code"]] = a.get("name") or a["code"]
    items = list(out.items())[:n]
    i = 1
    while len(items) < n:
        items.append((f"ubnd-xa-{i:02d}", f"UBND xã số {i}"))
        i += 1
    return items


def group_chat_id(i: int) -> str:
    return str(-1001000000000 - i)


def private_chat_id(i: int) -> str:
    return str(7000000 + i)


def _pick(rng: random.Random, weighted):
    total = sum(w for w, _ in weighted)
    x = rng.uniform(0, total)
    for w, v in weighted:
        x -= w
        if x <= 0:
            return v
    return weighted[-1][1]


def _once_text(rng: random.Random, due: date) -> str:
    shape = _pick(rng, _ONCE_SHAPES)
    return shape.format(d=due.day, m=due.month, y=due.year, q=ROMAN[(due.month - 1) // 3])


def make_registry(n: int, *, seed: int = SEED, now: datetime = NOW, imported: datetime = IMPORTED) -> Registry:
    """A registry of `n` tasks (see the module docstring). Deterministic for a given seed."""
    from core.deadline import parse_deadline
    from core.workdays import WorkCalendar

    rng = random.Random(seed)
    calendar = WorkCalendar()
    reg = Registry()
    agencies = agency_list()
    codes = [c for c, _ in agencies]
    for i, (code, name) in enumerate(agencies, 1):
        reg.agencies.append({"id": i, "code": code, "name": name, "kind": "other", "aliases": [], "groups": []})

    linked = imported - timedelta(days=1)
    bid = 0

    def bind(chat_id: str, agency: str, role: str, title: str) -> None:
        nonlocal bid
        bid += 1
        reg.bindings.append({"id": bid, "platform": "telegram", "chat_id": chat_id, "agency": agency, "role": role,
                             "title": title, "language": None, "active": True, "disabled_reason": None,
                             "created_at": linked, "updated_at": linked})

    for i, (code, name) in enumerate(agencies):
        bind(group_chat_id(i), code, "focal", f"Đầu mối CCHC — {name}")
        bind(private_chat_id(i), code, "manager", f"Lãnh đạo {name}")
    oversight = codes.index("so-noi-vu") if "so-noi-vu" in codes else 0
    leadership = codes.index("van-phong-ubnd-tinh") if "van-phong-ubnd-tinh" in codes else 1
    bind(group_chat_id(oversight), codes[oversight], "oversight", "Sở Nội vụ — theo dõi CCHC")
    bind(private_chat_id(leadership), codes[leadership], "leadership", "Lãnh đạo UBND tỉnh")

    today = now.astimezone(VN).date()
    import_day = imported.astimezone(VN).date()
    n_directives = max(1, -(-n // TASKS_PER_DIRECTIVE))
    for d in range(1, n_directives + 1):
        issued = import_day - timedelta(days=rng.randint(1, 540))
        reg.directives.append({"id": d, "number": f"{d}/KH-UBND", "issued": issued, "issuer": "UBND tỉnh",
                               "subject": "Kế hoạch cải cách hành chính nhà nước", "created_at": imported,
                               "updated_at": imported})

    parsed: dict[tuple[str, date], object] = {}
    occ_id = 0
    for i in range(n):
        tid = i + 1
        directive = reg.directives[i // TASKS_PER_DIRECTIVE]
        issued = directive["issued"]
        roll = rng.random()
        if roll < 0.70:
            lo = max(import_day - timedelta(days=60), issued + timedelta(days=14))
            due = lo + timedelta(days=rng.randint(0, (import_day + timedelta(days=420) - lo).days))
            text = _once_text(rng, due)
        elif roll < 0.90:
            text = _pick(rng, _RECURRING)
        else:
            text = _CONTINUOUS
        key = (text, issued)
        dl = parsed.get(key)
        if dl is None:
            dl = parsed[key] = parse_deadline(text, issued, calendar)
        lead = codes[rng.randrange(len(codes))]
        coordinators: list[str] = []
        if rng.random() < 0.3:
            coordinators = sorted(set(rng.sample(codes, rng.randint(1, 2))) - {lead})
        reg.tasks.append({
            "id": tid, "key": f"{directive['number']}/{i % TASKS_PER_DIRECTIVE + 1}", "directive_id": directive["id"],
            "position": i % TASKS_PER_DIRECTIVE, "stt": str(i % TASKS_PER_DIRECTIVE + 1),
            "content": f"{_CONTENTS[i % len(_CONTENTS)]} (nhiệm vụ {tid})", "lead_agency": lead,
            "coordinators": coordinators, "coordinators_note": None, "report_to": "so-noi-vu",
            "assignee_text": None, "deadline_text": text, "deadline": dl.to_dict(), "deadline_kind": dl.kind,
            "due": dl.due, "assigned_at": imported, "created_at": imported, "updated_at": imported, "sequence": 0,
            "next_check_at": None, "removed_at": None,
        })

        def occ(key: str, due: date | None, **state) -> None:
            nonlocal occ_id
            occ_id += 1
            row = {"id": occ_id, "task_id": tid, "key": key, "due": due, "extended_due": None, "status": "open",
                   "completed_on": None, "completion_note": None, "acknowledged_at": None, "acknowledged_by": None,
                   "updated_at": imported, "sequence": 1}
            row.update(state)
            reg.occurrences.append(row)

        r = rng.random()
        if dl.kind == "once":
            if dl.due < today and r < 0.5:  # half of what fell due is done, on time or a little late
                occ("once", dl.due, status="done", completed_on=min(today, dl.due + timedelta(days=rng.randint(-20, 10))))
            elif dl.due >= today and r < 0.08:
                occ("once", dl.due, status="done", completed_on=today - timedelta(days=rng.randint(1, 25)))
            elif r < 0.15:
                occ("once", dl.due, acknowledged_at=imported + timedelta(days=rng.randint(1, 25)), acknowledged_by="Nguyễn Văn A")
            elif r < 0.17:
                occ("once", dl.due, extended_due=dl.due + timedelta(days=rng.randint(30, 90)))
        elif dl.kind == "recurring" and r < 0.6:
            past = dl.occurrences(import_day - timedelta(days=120), today - timedelta(days=1))
            if past:
                occ(past[-1].isoformat(), past[-1], status="done", completed_on=past[-1])
    return reg


# -- loading ------------------------------------------------------------------------------------------------

def load_registry(engine, reg: Registry, chunk: int = 5000) -> None:
    """Insert the registry (into an empty, migrated database) in one transaction."""
    from storage.tables import Agency, ChatBinding, Directive, Occurrence, Task

    plan = ((Agency, reg.agencies), (Directive, reg.directives), (Task, reg.tasks), (Occurrence, reg.occurrences),
            (ChatBinding, reg.bindings))
    with engine.begin() as conn:
        for model, rows in plan:
            table = model.__table__
            for i in range(0, len(rows), chunk):
                conn.execute(table.insert(), rows[i:i + chunk])
        if conn.dialect.name == "postgresql":
            for model, _ in plan:
                name = model.__tablename__
                conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                     f"COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false)"))
    if engine.dialect.name == "postgresql":
        # Fresh statistics, as autovacuum gives a database in use. (SQLite gathers none unless told: a dondoc
        # database never runs ANALYZE, so neither does the benchmark.)
        with engine.connect() as conn:
            conn.execute(sa.text("ANALYZE"))
            conn.commit()


def local(d: date, t: time = time(8, 0)) -> datetime:
    return datetime.combine(d, t, tzinfo=VN).astimezone(timezone.utc)
