"""The evidence store (kho tài liệu kiểm chứng): files a clerk attaches to a completion.

Files live in a folder — EVIDENCE_DIR, by default "evidence" beside the SQLite database — named by the SHA-256 of
their content and their ending, so the same file sent twice is kept once and a name never collides. A file is
written to a temporary name and renamed into place, so a reader never sees half a file; a database write that
fails after it leaves at most an unreferenced file, never a row without its file. Size and type are checked
before anything is written.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from core.i18n import _

__all__ = ["EvidenceError", "EvidenceStore", "StoredFile"]


_STORED = re.compile(r"[0-9a-f]{64}\.[a-z0-9]{1,10}")


class EvidenceError(ValueError):
    """A file the store does not take; the message says why, in the user's language."""


@dataclass(frozen=True)
class StoredFile:
    filename: str  # as the person named it (no folders)
    stored: str
    size: int
    content_type: str


def default_dir(database_url: str) -> Path:
    """"evidence" beside a SQLite database file; data/evidence otherwise."""
    if database_url.startswith("sqlite:///") and ":memory:" not in database_url:
        return Path(database_url[len("sqlite:///"):]).parent / "evidence"
    return Path("data") / "evidence"


@dataclass(frozen=True)
class EvidenceStore:
    root: Path
    max_bytes: int = 20 * 1024 * 1024
    types: tuple[str, ...] = (".pdf", ".docx", ".xlsx", ".jpg", ".jpeg", ".png")

    @classmethod
    def from_settings(cls, settings) -> "EvidenceStore":
        root = getattr(settings, "evidence_dir", None) or default_dir(settings.database_url)
        return cls(Path(root), int(getattr(settings, "evidence_max_mb", 20)) * 1024 * 1024,
                   tuple(getattr(settings, "evidence_types", cls.types)))

    @staticmethod
    def clean_name(filename: str) -> str:
        """The file's own name, without folders or control characters (a browser may send "C:\\a\\b.pdf")."""
        name = filename.replace("\\", "/").rsplit("/", 1)[-1]
        name = "".join(ch for ch in name if ch.isprintable()).strip()
        return name[:255] or "file"

    def check(self, filename: str, size: int) -> None:
        name = self.clean_name(filename)
        ending = Path(name).suffix.lower()
        if ending not in self.types:
            raise EvidenceError(_("{name}: this type of file is not accepted (accepted: {types})", name=name,
                                  types=", ".join(self.types)))
        if size > self.max_bytes:
            raise EvidenceError(_("{name}: the file is larger than {mb} MB", name=name,
                                  mb=self.max_bytes // (1024 * 1024)))
        if size == 0:
            raise EvidenceError(_("{name}: the file is empty", name=name))

    def put(self, filename: str, data: bytes) -> StoredFile:
        self.check(filename, len(data))
        name = self.clean_name(filename)
        stored = hashlib.sha256(data).hexdigest() + Path(name).suffix.lower()
        self.root.mkdir(parents=True, exist_ok=True)
        target = self.root / stored
        if not target.exists():
            fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".upload-")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        return StoredFile(name, stored, len(data), kind)

    def has(self, stored: str) -> bool:
        """A name `put` returned, for a file that is in the store."""
        return bool(_STORED.fullmatch(stored)) and Path(stored).suffix in self.types and (self.root / stored).is_file()

    def path(self, stored: str) -> Path:
        """Where a stored file is; never outside the store."""
        if "/" in stored or "\\" in stored or stored.startswith("."):
            raise EvidenceError(_("no such file"))
        return self.root / stored
