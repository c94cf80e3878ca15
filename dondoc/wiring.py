"""Wiring (lắp ráp): which implementation fills each port the lower floors define.

`jobs` plans and dispatches through `jobs.ports.Channel` and `jobs.ports.Composer`; the chat platforms and what
is said in them live in `bot/`. Only this floor knows both, so this is where a Scheduler gets its Composer.
"""

from __future__ import annotations

from bot.compose import Composer
from core.workdays import WorkCalendar
from jobs.scheduler import Scheduler


def composer(settings, calendar: WorkCalendar | None = None, *, cache: bool = False) -> Composer:
    """The composer that says what every outbox row says (bot.compose)."""
    return Composer(settings, calendar or WorkCalendar.from_file(settings.holidays_file), cache=cache)


def make_scheduler(engine, settings, clock, channels, **options) -> Scheduler:
    """A Scheduler whose dispatcher composes with bot.compose.Composer (options as `Scheduler` takes them)."""
    if options.get("dispatcher") is None and options.get("composer") is None:
        calendar = options.get("calendar") or WorkCalendar.from_file(settings.holidays_file)
        options["calendar"] = calendar
        options["composer"] = composer(settings, calendar)
    return Scheduler(engine, settings, clock, channels, **options)
