"""The receiver lock's refusal speaks the operator's language (storage/locks.py; `dondoc run` prints it)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from core.i18n import _, use_language
from storage.locks import AlreadyReceiving, ReceiverLock


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_a_second_receiver_is_refused_in_the_language(tmp_path, lang):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'dondoc.sqlite3'}")
    first = ReceiverLock(engine)
    first.acquire()
    try:
        with use_language(lang), pytest.raises(AlreadyReceiving) as refused:
            ReceiverLock(engine).acquire()  # its own open file: flock refuses it as it would another process
    finally:
        first.release()
    message = str(refused.value)
    import os

    assert message == _("Another dondoc process (pid {pid}) is already running with this database ({database}). "
                        "SQLite serves one `dondoc run` at a time; stop the other first, or move to PostgreSQL to "
                        "run several processes.", lang=lang, pid=str(os.getpid()), database=engine.url.database)
    if lang == "vi":
        assert "Đã có một tiến trình dondoc khác" in message and "already" not in message
    else:
        assert "is already running with this database" in message
    ReceiverLock(engine).acquire()  # released: the next one gets it


def test_the_postgres_refusal_is_translated():
    lock = ReceiverLock(sa.create_engine("postgresql+psycopg://u:secret@db.example/dondoc"))
    with use_language("vi"):
        bare, held = lock._taken_message(None), lock._taken_message(("", "08:00:00 01/06/2026 UTC"))
    assert "secret" not in bare and "db.example" in bare and "already" not in bare
    assert bare.startswith("Đã có một tiến trình dondoc khác đang nhận cập nhật Telegram")
    assert _("a local socket", lang="vi") in held and "08:00:00 01/06/2026" in held
    with use_language("en"):
        assert "already receiving Telegram updates" in lock._taken_message(None)
