"""Time as a parameter.

Library code never reads the wall clock directly: it takes a `now` argument or a `Clock`. Tests pass a
`FixedClock` and travel in time without sleeping; `dondoc run` can be started on a `ShiftedClock`
(settings CLOCK_START / CLOCK_SPEED) so end-to-end tests and demos replay a past registry in minutes.
"""

from __future__ import annotations

import time as _time
from datetime import date, datetime, timedelta, timezone
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(timezone.utc)


class FixedClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime):
        if start.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._now = start.astimezone(timezone.utc)

    def now(self) -> datetime:
        return self._now

    def set(self, when: datetime) -> None:
        self._now = when.astimezone(timezone.utc)

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        self._now += delta if delta is not None else timedelta(**kwargs)
        return self._now


class ShiftedClock:
    """Starts at `start` and runs `speed` times faster than real time."""

    def __init__(self, start: datetime, speed: float = 1.0):
        self._start = start.astimezone(timezone.utc)
        self._speed = speed
        self._t0 = _time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=(_time.monotonic() - self._t0) * self._speed)


def clock_from_settings(settings) -> Clock:
    if settings.clock_start:
        return ShiftedClock(datetime.fromisoformat(settings.clock_start), settings.clock_speed)
    return SystemClock()


def local_today(clock: Clock, tz: ZoneInfo) -> date:
    return clock.now().astimezone(tz).date()


def local_datetime(d: date, t, tz: ZoneInfo) -> datetime:
    """The instant of local date `d` at local time `t`, in UTC."""
    return datetime.combine(d, t, tzinfo=tz).astimezone(timezone.utc)
