"""Where the console keeps an uploaded registry until it is confirmed: a temporary folder per upload.

The folder's name carries this process's id, so a process starting after a crash (kill -9, a power cut) removes
the folders of processes that are gone — unconfirmed uploads do not pile up in /tmp — and never those of another
web process still running beside it (PostgreSQL, several processes). A file name is kept only as its last part,
in safe characters; a name that is nothing but dots (`..`) is refused before any folder is made.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

PREFIX = "dondoc-upload-"
SAFE_NAME = re.compile(r"[^\w.\-]+", re.UNICODE)
_OWNED = re.compile(re.escape(PREFIX) + r"(\d+)-")


def safe_name(filename: str) -> str | None:
    """The uploaded file's name as it is kept (its last part, safe characters, at most 120), or None when
    nothing of it can name a file (empty, `.`, `..`)."""
    name = SAFE_NAME.sub("_", Path(filename.replace("\\", "/")).name)[:120]
    return name if name.strip(".") else None


def new_folder() -> Path:
    return Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-"))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def sweep_orphans(folder: str | Path | None = None) -> int:
    """Remove the upload folders of processes that no longer run; the number removed."""
    root = Path(folder or tempfile.gettempdir())
    removed = 0
    try:
        entries = list(root.iterdir())
    except OSError:
        return 0
    for entry in entries:
        m = _OWNED.match(entry.name)
        if not m or not entry.is_dir() or int(m.group(1)) == os.getpid() or _alive(int(m.group(1))):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed += 1
    if removed:
        log.info("removed %d unconfirmed upload(s) left by a process that stopped", removed)
    return removed
