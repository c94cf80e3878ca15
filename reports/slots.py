"""How many reports are being computed at once, per person and in all (REPORT_HEAVY_PER_PERSON,
REPORT_HEAVY_AT_ONCE), shared by every surface of one process: the console (web.report_gate), Telegram's and
Zalo's /report. Past either cap a request is refused at once — the surface answers "busy, try again shortly" —
so a few long reports never take the threads everyone else needs."""

from __future__ import annotations

import threading
from collections import Counter


class ReportSlots:
    def __init__(self, per_person: int, at_once: int):
        self.per_person = per_person
        self.at_once = at_once
        self._lock = threading.Lock()
        self._running: Counter[str] = Counter()
        self.refused = 0

    @property
    def running(self) -> int:
        return sum(self._running.values())

    def take(self, who: str) -> bool:
        """A slot for `who` ("telegram:123", "user:900" …), or False when they or everyone are at the cap."""
        with self._lock:
            if self._running[who] >= self.per_person or sum(self._running.values()) >= self.at_once:
                self.refused += 1
                return False
            self._running[who] += 1
            return True

    def give_back(self, who: str) -> None:
        with self._lock:
            self._running[who] -= 1
            if self._running[who] <= 0:
                del self._running[who]


_SHARED: dict[tuple[int, int], ReportSlots] = {}
_SHARED_LOCK = threading.Lock()


def shared(settings) -> ReportSlots:
    """This process's slots for these settings (one per pair of caps)."""
    key = (settings.report_heavy_per_person, settings.report_heavy_at_once)
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = ReportSlots(*key)
        return _SHARED[key]
