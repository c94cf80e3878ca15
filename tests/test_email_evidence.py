"""A reply to a reminder e-mail, with the report attached, reports the task done (issue 22, item 4), end to end:
the reminder goes out through the dispatcher to a real SMTP server on 127.0.0.1 (aiosmtpd), and the reply comes
back through aiosmtplib to dondoc's own SMTP receiver (bot.email_inbound) on 127.0.0.1.

- the reply's PDF is the completion's evidence (the same bytes) and its first line the report number, as after
  /done; `dondoc history` lists both;
- a forged reference, the right reference from another confirmed address, a file of a type not accepted and a
  reply with no file record nothing and are answered by mail saying why (in the recipient's language);
- a stranger's mail is dropped without an answer; a message over EVIDENCE_MAX_MB × 5 is refused by SMTP (552).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage

import aiosmtplib
import pytest
from sqlmodel import Session, select

from bot.email import EmailChannel, find_reference
from bot.email_inbound import EmailReceiver, first_line
from bot.handlers.common import Deps
from core.clock import FixedClock
from core.i18n import _
from core.workdays import WorkCalendar
from dondoc.settings import load_settings
from dondoc.wiring import make_scheduler
from storage.db import session_scope
from storage.record_tables import Completion, Evidence
from storage.tables import DONE, PENDING_CONFIRMATION, Occurrence, Task
from tests.conftest import VN, cli_runner
from tests.factories import make_binding, make_directive, make_task
from tests.smtp_server import SmtpServer
from tests.test_dispatcher import ScriptedChannel

ASSIGNED = datetime(2018, 5, 23, 9, 0, tzinfo=VN)
FOCAL = "focal@snv.example.gov.vn"
OTHER = "van.thu@snv.example.gov.vn"  # the same agency's other confirmed address: not the one the reminder went to
STRANGER = "ai.do@example.com"
PDF = b"%PDF-1.4\n% Bao cao ket qua trien khai PAR INDEX\n" + bytes(range(256)) * 40


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def settings(db_url, smtp, tmp_path):
    return load_settings(environ={}, dotenv_path=None, database_url=db_url, smtp_host="127.0.0.1",
                         smtp_port=smtp.port, smtp_security="none", mail_from="dondoc <dondoc@snv.example.gov.vn>",
                         feed_base_url="https://dondoc.example.gov.vn", email_inbound_bind="127.0.0.1:0",
                         evidence_dir=tmp_path / "kho", evidence_max_mb=1)


@pytest.fixture
def world(engine):
    with session_scope(engine) as s:
        d = make_directive(s, now=ASSIGNED)
        make_task(s, key="T1", deadline_text="trước ngày 14/6/2018", now=ASSIGNED, directive=d,
                  content="Gửi kế hoạch triển khai Chỉ số PAR INDEX về UBND tỉnh")
        make_binding(s, chat_id=FOCAL, agency="so-noi-vu", role="focal", platform="email",
                     now=ASSIGNED - timedelta(days=1))
        make_binding(s, chat_id=OTHER, agency="so-noi-vu", role="focal", platform="email",
                     now=ASSIGNED - timedelta(days=1))
        make_binding(s, chat_id=-1003, agency="van-phong-ubnd-tinh", role="oversight", now=ASSIGNED - timedelta(days=1))


async def start_inbound(settings, engine, at: datetime = ASSIGNED) -> EmailReceiver:
    """One tick of the dispatcher at `at` (the reminder e-mails go out), then dondoc's SMTP receiver."""
    clock = FixedClock(at)
    channels = {"telegram": ScriptedChannel(), "email": EmailChannel(settings, engine=engine, clock=clock)}
    await make_scheduler(engine, settings, clock, channels).tick()
    receiver = EmailReceiver(Deps(settings=settings, engine=engine, clock=clock,
                                  calendar=WorkCalendar.from_file(settings.holidays_file)), channels)
    await receiver.start()
    return receiver


@pytest.fixture
async def inbound(settings, engine, world):
    """dondoc's SMTP receiver, and the reminder e-mail the focal point received (sent by the dispatcher)."""
    receiver = await start_inbound(settings, engine)
    try:
        yield receiver
    finally:
        await receiver.stop()


def reminder(smtp):
    mails = smtp.to(FOCAL)
    assert len(mails) == 1
    return mails[0]


def reply(original, sender: str, first: str, *files: tuple[str, bytes, str]) -> EmailMessage:
    """A reply as a mail client makes it: Re: subject, the person's line above the quoted reminder."""
    msg = EmailMessage()
    msg["From"] = f"Nguyễn Văn An <{sender}>"
    msg["To"] = "dondoc@snv.example.gov.vn"
    msg["Subject"] = "Re: " + str(original["Subject"])
    msg["In-Reply-To"] = original["Message-ID"]
    quoted = "\n".join("> " + line for line in original.get_body(("plain",)).get_content().splitlines())
    msg.set_content(f"{first}\n\nVào ngày 23/5/2018, dondoc đã viết:\n{quoted}\n")
    for name, data, kind in files:
        maintype, subtype = kind.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg


async def send(receiver: EmailReceiver, msg: EmailMessage) -> None:
    await aiosmtplib.send(msg, hostname="127.0.0.1", port=receiver.port, timeout=30)


def recorded(engine) -> tuple[list[Completion], list[Evidence], str]:
    with Session(engine) as s:
        task = s.exec(select(Task).where(Task.key == "T1")).one()
        occ = s.exec(select(Occurrence).where(Occurrence.task_id == task.id, Occurrence.key == "once")).first()
        return list(s.exec(select(Completion))), list(s.exec(select(Evidence))), occ.status if occ else "open"


def answers_to(smtp, address: str) -> list[str]:
    return [m.get_body(("plain",)).get_content() for m in smtp.to(address) if "[dondoc" not in str(m["Subject"])]


async def test_a_reply_with_the_report_attached_reports_the_task_done(smtp, inbound, engine, db_url, monkeypatch,
                                                                       tmp_path):
    original = reminder(smtp)
    assert find_reference(str(original["Subject"]))[:2] == ("T1", "once")
    assert "trả lời thư này" in original.get_body(("plain",)).get_content()  # the recipient is told how (vi)
    await send(inbound, reply(original, FOCAL, "Báo cáo số 45/BC-SNV ngày 23/05/2018",
                              ("bao-cao-par-index.pdf", PDF, "application/pdf")))
    completions, evidence, status = recorded(engine)
    assert len(completions) == 1 and status in (DONE, PENDING_CONFIRMATION)
    c = completions[0]
    assert (c.document_number, c.source, c.reported_by_id) == ("45/BC-SNV", "email", FOCAL)
    assert [(e.completion_id, e.filename, e.size) for e in evidence] == [(c.id, "bao-cao-par-index.pdf", len(PDF))]
    assert (tmp_path / "kho" / evidence[0].stored).read_bytes() == PDF  # the very bytes attached
    answer = answers_to(smtp, FOCAL)
    assert len(answer) == 1 and _("📎 Evidence kept: {name}", lang="vi", name="bao-cao-par-index.pdf") in answer[0]

    run = cli_runner(monkeypatch, db_url, "2018-05-24T09:00:00+07:00")
    h = run("history", "T1", EVIDENCE_DIR=str(tmp_path / "kho"))
    assert h.exit_code == 0, h.output
    assert "bao-cao-par-index.pdf" in h.stdout and "45/BC-SNV" in h.stdout and "Nguyễn Văn An" in h.stdout


async def test_a_forged_reference_records_nothing_and_says_why(smtp, inbound, engine):
    original = reminder(smtp)
    forged = reply(original, FOCAL, "Xong", ("bao-cao.pdf", PDF, "application/pdf"))
    key, occ, sig = find_reference(str(original["Subject"]))
    del forged["Subject"]
    forged["Subject"] = f"Re: [dondoc {key} {occ} {'A' * len(sig)}]"
    await send(inbound, forged)
    assert recorded(engine)[:2] == ([], [])
    answer = answers_to(smtp, FOCAL)
    assert len(answer) == 1 and "không xác định được" in answer[0] and "chưa ghi nhận" in answer[0].lower()


async def test_the_reference_works_from_the_address_it_was_sent_to_only(smtp, inbound, engine):
    original = reminder(smtp)
    # another confirmed address of Sở Nội vụ, forwarding the focal point's reminder: told why, nothing recorded
    await send(inbound, reply(original, OTHER, "Xong", ("bao-cao.pdf", PDF, "application/pdf")))
    assert recorded(engine)[:2] == ([], [])
    answer = answers_to(smtp, OTHER)
    assert len(answer) == 1 and "không xác định được" in answer[0] and answers_to(smtp, FOCAL) == []
    # a stranger: dropped without an answer (its From may be forged; an answer would go to an innocent address)
    before = len(smtp.envelopes)
    await send(inbound, reply(original, STRANGER, "Xong", ("bao-cao.pdf", PDF, "application/pdf")))
    assert recorded(engine)[:2] == ([], [])
    assert len(smtp.envelopes) == before


async def test_a_file_of_a_type_not_accepted_records_nothing(smtp, inbound, engine):
    original = reminder(smtp)
    await send(inbound, reply(original, FOCAL, "Xong", ("bao-cao.pdf", PDF, "application/pdf"),
                              ("cai-dat.exe", b"MZ\x90\x00" * 100, "application/octet-stream")))
    completions, evidence, status = recorded(engine)
    assert (completions, evidence) == ([], []) and status not in (DONE, PENDING_CONFIRMATION)
    answer = answers_to(smtp, FOCAL)
    assert len(answer) == 1
    assert "cai-dat.exe" in answer[0] and "không nhận loại tệp này" in answer[0] and "T1" in answer[0]
    # a reply with no file at all: nothing recorded either, the answer asks for the report
    await send(inbound, reply(original, FOCAL, "Xong rồi"))
    assert recorded(engine)[:2] == ([], [])
    assert len(answers_to(smtp, FOCAL)) == 2


async def test_a_message_larger_than_five_times_the_file_limit_is_refused_by_smtp(smtp, inbound, engine):
    original = reminder(smtp)
    big = reply(original, FOCAL, "Xong", ("bao-cao.pdf", b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024), "application/pdf"))
    with pytest.raises(aiosmtplib.SMTPResponseException) as e:
        await send(inbound, big)
    assert e.value.code == 552
    assert recorded(engine)[:2] == ([], [])


async def test_a_person_handed_the_task_replies_from_their_confirmed_address(smtp, settings, engine, world):
    """Issue 24's hand-over: the person's own reminder (to their confirmed address) is answered like the agency's."""
    from storage import delegation
    from storage.people import Changes, add_person

    person_mail = "an.nguyen@snv.example.gov.vn"
    with session_scope(engine) as s:
        an = add_person(s, "Nguyễn Văn An", "so-noi-vu", Changes(email=person_mail), actor="t", source="cli",
                        now=ASSIGNED)
        an.email_confirmed_at = ASSIGNED
        task = s.exec(select(Task).where(Task.key == "T1")).one()
        delegation.assign(s, task, delegation.Target("so-noi-vu", person=an), occurrence=None, due=None,
                          agency_due=None, role="chu-tri", actor="t", source="cli", now=ASSIGNED)
    # the person is reminded before the deadline (REMINDER_OFFSETS), not when the task arrives
    receiver = await start_inbound(settings, engine, at=datetime(2018, 6, 13, 10, 0, tzinfo=VN))
    try:
        mine = [m for m in smtp.to(person_mail) if find_reference(str(m["Subject"]))]
        assert mine, "the person's reminder carries a reference"
        await send(receiver, reply(mine[0], person_mail, "Xong", ("bao-cao.pdf", PDF, "application/pdf")))
    finally:
        await receiver.stop()
    completions, evidence, _status = recorded(engine)
    assert [(c.source, c.reported_by_id) for c in completions] == [("email", person_mail)]
    assert [e.filename for e in evidence] == ["bao-cao.pdf"]


def test_the_first_line_is_the_persons_own_not_the_quote():
    assert first_line("\n  Báo cáo số 45/BC-SNV  \n\nOn Wed, dondoc wrote:\n> Nhắc việc") == "Báo cáo số 45/BC-SNV"
    assert first_line("On Wed, dondoc wrote:\n> Nhắc việc T1") == ""
    assert first_line("-- \nNguyễn Văn An") == ""


async def test_dondoc_run_receives_replies_when_email_inbound_bind_is_set(smtp, settings, engine, world):
    """The wiring: `dondoc run`'s Service (bot role) listens on EMAIL_INBOUND_BIND and records the reply."""
    import io

    from bot.email import reply_reference
    from dondoc.service import Service

    service = Service(settings, engine, FixedClock(ASSIGNED), roles=("bot", "dispatcher"), stream=io.StringIO())
    await service.start()
    try:
        assert service.email_receiver is not None and service.email_receiver.port > 0
        msg = EmailMessage()
        msg["From"], msg["To"] = FOCAL, "dondoc@snv.example.gov.vn"
        msg["Subject"] = "Re: Nhắc việc " + reply_reference(settings, "T1", "once", FOCAL)
        msg.set_content("Báo cáo số 46/BC-SNV")
        msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="bc.pdf")
        await send(service.email_receiver, msg)
    finally:
        await service.stop()
    completions, evidence, _status = recorded(engine)
    assert [c.document_number for c in completions] == ["46/BC-SNV"] and [e.size for e in evidence] == [len(PDF)]


async def test_the_answer_is_in_the_addresss_language(smtp, inbound, engine):
    from storage.tables import ChatBinding

    with session_scope(engine) as s:
        s.exec(select(ChatBinding).where(ChatBinding.chat_id == FOCAL)).one().language = "en"
    await send(inbound, reply(reminder(smtp), FOCAL, "Done", ("notes.txt", b"plain text", "text/plain")))
    assert recorded(engine)[:2] == ([], [])
    answer = answers_to(smtp, FOCAL)
    assert len(answer) == 1 and "notes.txt: this type of file is not accepted" in answer[0]
    assert "Nothing was recorded: task T1 is not reported done" in answer[0]
