"""Settings as a typed value, and the rules that validate them (pure: a mapping in, `Settings` out).

Every setting is documented in `.env.example`. Reading `.env` and the environment is the wiring floor's job
(`dondoc.settings.load_settings`); here a bad value is reported with its name, the value given and what is
accepted, all bad values at once, so an administrator fixes them in one go.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Callable, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.i18n import N_, _, available_languages, use_language

ROLES = ("focal", "manager", "oversight", "leadership")
LANGUAGES = available_languages()  # every language with a catalog (core/locale), Vietnamese first
CHECKIN_PERIODS = ("month", "quarter", "half", "year")
REPORT_CUTOFFS = ("calendar", "nd09")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class SettingsError(ValueError):
    """One or more settings are invalid; `problems` has one line per bad value."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(_("Invalid settings:") + "\n" + "\n".join(f"  - {p}" for p in problems))


@dataclass(frozen=True)
class EscalationStep:
    """One rung of the escalation ladder: after `workdays_late` working days late, `role` chats hear it."""

    workdays_late: int
    role: str


@dataclass(frozen=True)
class Settings:
    telegram_bot_token: str | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    telegram_bot_username: str | None = None
    database_url: str = "sqlite:///data/dondoc.sqlite3"
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Ho_Chi_Minh"))
    language: str = "vi"
    admin_user_ids: tuple[int, ...] = ()
    oversight_user_ids: tuple[int, ...] = ()  # may decide in an oversight group without being its administrator
    agencies_file: Path | None = None
    holidays_file: Path | None = None
    deadline_shift_to_workday: bool = True
    # scheduler and policy
    scheduler_tick_seconds: int = 30
    reminder_offsets: tuple[int, ...] = (7, 3, 1, 0)
    reminder_time: time = time(8, 0)
    remind_coordinators: bool = True
    reminder_workdays_only: bool = True
    escalation_steps: tuple[EscalationStep, ...] = (
        EscalationStep(1, "manager"),
        EscalationStep(3, "oversight"),
        EscalationStep(7, "leadership"),
    )
    escalation_repeat_days: int = 7
    continuous_checkin: str = "quarter"
    due_soon_days: int = 3
    digest_weekday: str = "monday"
    quarterly_summary: bool = True
    # noise: what a chat hears in a day, when, and how often a late task is repeated
    delivery_window: tuple[time, time] = (time(7, 30), time(17, 0))
    repeat_limit: int = 4
    daily_budget: tuple[tuple[str, str | int], ...] = (
        ("focal", "task"), ("manager", "brief"), ("oversight", "brief"), ("leadership", "brief"))
    # a person handed a task (issue 24): the next channel at this time of the next working day when nothing
    # was acknowledged; their ladder after the internal deadline (working days late: head, leaders)
    person_fallback_time: time = time(10, 0)
    person_escalation_steps: tuple[tuple[int, str], ...] = ((1, "head"), (2, "leaders"))
    # reports: calendar periods, or the data cut-off of Nghị định 09/2019/NĐ-CP (15th of the month before → 14th)
    report_cutoff: str = "calendar"
    # ratings (Nghị định 335/2025): the share of an item's progress points each delay takes; a returned completion
    # as a delay; the colour of today: yellow when something is due within this many working days
    rating_delay_penalty: int = 25
    rating_return_is_delay: bool = True
    color_due_soon_workdays: int = 3
    # delivery
    delivery_max_attempts: int = 8
    claim_timeout_seconds: int = 120
    delivery_stuck_alert_minutes: int = 15  # 0 = never tell
    rate_overall_per_second: int = 30
    rate_group_per_minute: int = 20
    rate_private_per_second: int = 1
    # bot
    confirm_completion: bool = False
    callback_secret: str | None = None
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_listen: str = "127.0.0.1:8443"
    # feeds
    feed_bind: str = "127.0.0.1:8080"
    feed_base_url: str = "http://127.0.0.1:8080"
    feed_keep_done_days: int = 30
    # web console (served under FEED_BASE_URL/web/ by the same HTTP server)
    web_session_minutes: int = 480
    signin_link_minutes: int = 15
    feed_uid_domain: str | None = None  # None: the host of FEED_BASE_URL (see uid_domain)
    feed_window_months: int = 12  # feeds hold tasks due this many months back, plus every open task; 0 = all
    feed_render_processes: int | None = None  # processes that write large feeds; None = auto (feeds.pool)
    # Zalo Bot Platform (private chats; groups when Zalo opens them)
    zalo_bot_token: str | None = None
    zalo_base_url: str = "https://bot-api.zaloplatforms.com/bot"
    zalo_rate_per_second: float = 2.0
    zalo_groups_enabled: bool = False
    # Zalo webhook mode: Zalo POSTs updates to this public https URL (served by the HTTP server, FEED_BIND);
    # None = long polling by the bot role
    zalo_webhook_url: str | None = None
    zalo_webhook_secret: str | None = None
    # e-mail (SMTP); no SMTP_HOST, no e-mail channel
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_ca_file: Path | None = None  # None: the system's certificate authorities
    mail_from: str | None = None
    mail_reply_to: str | None = None
    # Inbound e-mail (issue 22): where `dondoc run` listens for SMTP, host:port (e.g. 127.0.0.1:2525); the
    # province's mail relay forwards the replies to reminder e-mails here, and a file attached to such a reply is
    # the completion's evidence. None: no receiver (e-mail only sends).
    email_inbound_bind: str | None = None
    # testing and demos: a clock that starts at a given instant and runs at a given speed
    clock_start: str | None = None
    clock_speed: float = 1.0
    log_level: str = "INFO"
    # registry files (intake): the province whose communes "UBND các xã, phường" means, and file limits
    province: str | None = None
    urgent_workdays: int = 5
    import_max_bytes: int = 20 * 1024 * 1024
    # the record (issue 22): who the CLI acts as, and the evidence files' store and limits
    actor: str | None = None  # DONDOC_ACTOR; None: the CLI records "the administrator (command line)"
    evidence_dir: Path | None = None  # None: a folder "evidence" beside the SQLite database (data/evidence)
    evidence_max_mb: int = 20
    evidence_types: tuple[str, ...] = (".pdf", ".doc", ".docx", ".odt", ".xls", ".xlsx", ".ods", ".jpg", ".jpeg",
                                       ".png", ".zip")
    import_max_rows: int = 20_000
    import_max_columns: int = 200
    import_max_cell_chars: int = 32_767
    import_max_uncompressed_bytes: int = 100 * 1024 * 1024
    # scanned directives (intake/directive/ocr.py): pages, seconds, trust and resolution of OCR
    ocr_max_pages: int = 30
    ocr_timeout_seconds: int = 300
    ocr_min_confidence: int = 70
    ocr_dpi: int = 300
    # hardening, second pass (issue 27): uploads, reports, feeds and strangers on Zalo cannot starve the server
    import_max_tasks: int = 50_000  # tasks one file may expand to (rows × the members of the groups they name)
    import_worker_memory_mb: int = 2048  # address space of the process that reads and checks one upload
    import_checks_waiting: int = 4  # uploads waiting for the one check process; more are told to try later
    report_max_years: int = 20  # longest period a report covers
    report_max_occurrences: int = 1_000_000  # occurrences one report may count (over all its tasks)
    report_heavy_per_person: int = 2  # reports computed at once for one person (a page and its chart, or a download)
    report_heavy_at_once: int = 4  # reports computed at once over everyone
    feed_renders_per_client: int = 2  # feeds rendered at once for one client address
    feed_renders_at_once: int = 8  # feeds rendered or waiting for a render thread, over all clients
    feed_buffer_bytes: int = 64 * 1024 * 1024  # the (gzipped) rendering one request may hold for its reader
    zalo_unlinked_replies_per_minute: int = 20  # "how to link" answers to unlinked chats, over all of them
    # other systems (docs/integration.md): /api/v1 requests per minute per token; webhook attempts before giving up
    api_rate_per_minute: int = 120
    webhook_max_attempts: int = 12
    # edXML (QCVN 102:2016): a folder watched for packages to import, the folder status receipts are written to,
    # our agency's OrganId (the From of receipts), the certificate packages' signatures are checked against
    edxml_watch_dir: Path | None = None
    edxml_outbox_dir: Path | None = None
    edxml_organ_id: str | None = None
    edxml_organ_name: str | None = None
    edxml_cert_file: Path | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def uid_domain(self) -> str:
        """The right-hand side of calendar UIDs: FEED_UID_DOMAIN, else the host of FEED_BASE_URL."""
        from urllib.parse import urlsplit

        return self.feed_uid_domain or (urlsplit(self.feed_base_url).hostname or "dondoc")

    def secret_for_callbacks(self) -> bytes:
        """Key that signs button payloads; derived from the bot token when not set explicitly."""
        import hashlib

        seed = self.callback_secret or self.telegram_bot_token or "dondoc-console"
        return hashlib.sha256(("dondoc-callback:" + seed).encode()).digest()


# -- parsing helpers: each returns the value or raises ValueError("what is accepted") ------------------

def _bool(v: str) -> bool:
    s = v.strip().lower()
    if s in ("1", "true", "yes", "on"):
        return True
    if s in ("0", "false", "no", "off"):
        return False
    raise ValueError(_("accepted: true/false (also 1/0, yes/no, on/off)"))


def _int_range(lo: int, hi: int) -> Callable[[str], int]:
    def parse(v: str) -> int:
        try:
            n = int(v.strip())
        except ValueError:
            raise ValueError(_("accepted: a whole number from {lo} to {hi}", lo=lo, hi=hi)) from None
        if not lo <= n <= hi:
            raise ValueError(_("accepted: a whole number from {lo} to {hi}", lo=lo, hi=hi))
        return n

    return parse


def _auto_or_int(lo: int, hi: int) -> Callable[[str], int | None]:
    """`auto` (None: decided by the code that uses it) or a whole number from `lo` to `hi`."""
    number = _int_range(lo, hi)

    def parse(v: str) -> int | None:
        if v.strip().lower() == "auto":
            return None
        try:
            return number(v)
        except ValueError:
            raise ValueError(_("accepted: auto, or a whole number from {lo} to {hi}", lo=lo, hi=hi)) from None

    return parse


def _choice(choices: tuple[str, ...]) -> Callable[[str], str]:
    def parse(v: str) -> str:
        s = v.strip().lower()
        if s not in choices:
            raise ValueError(_("accepted: {choices}", choices=" | ".join(choices)))
        return s

    return parse


def _timezone(v: str) -> ZoneInfo:
    try:
        return ZoneInfo(v.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(_("accepted: an IANA time zone name such as Asia/Ho_Chi_Minh")) from None


def _time(v: str) -> time:
    try:
        hh, mm = v.strip().split(":")
        return time(int(hh), int(mm))
    except ValueError:
        raise ValueError(_("accepted: a local time HH:MM, e.g. 08:00")) from None


def _int_list(v: str) -> tuple[int, ...]:
    try:
        items = tuple(sorted({int(x) for x in v.replace(" ", "").split(",") if x}, reverse=True))
    except ValueError:
        raise ValueError(_("accepted: comma-separated whole numbers of days, e.g. 7,3,1,0")) from None
    if not items or any(n < 0 or n > 365 for n in items):
        raise ValueError(_("accepted: comma-separated whole numbers of days from 0 to 365, e.g. 7,3,1,0"))
    return items


def _user_ids(v: str) -> tuple[int, ...]:
    try:
        return tuple(int(x) for x in v.replace(" ", "").split(",") if x)
    except ValueError:
        raise ValueError(_("accepted: comma-separated Telegram user ids (numbers), e.g. 12345,67890")) from None


def _person_ladder(v: str) -> tuple[tuple[int, str], ...]:
    steps = []
    for part in v.replace(" ", "").split(","):
        days, sep, rung = part.partition(":")
        if part and (not sep or not days.isdigit() or rung not in ("head", "leaders")):
            raise ValueError(_("accepted: comma-separated DAYS:RUNG with RUNG in head|leaders, e.g. 1:head,2:leaders"))
        if part:
            steps.append((int(days), rung))
    return tuple(sorted(steps))


def _escalation(v: str) -> tuple[EscalationStep, ...]:
    usage = _("accepted: comma-separated DAYS:ROLE with ROLE in manager|oversight|leadership, e.g. "
              "1:manager,3:oversight,7:leadership")
    steps = []
    for part in v.replace(" ", "").split(","):
        if not part:
            continue
        days, sep, role = part.partition(":")
        if not sep or not days.isdigit() or role not in ("manager", "oversight", "leadership", "focal"):
            raise ValueError(usage)
        steps.append(EscalationStep(int(days), role))
    if not steps:
        raise ValueError(usage)
    steps.sort(key=lambda s: s.workdays_late)
    if len({s.workdays_late for s in steps}) != len(steps):
        raise ValueError(usage + " " + _("(each number of days once)"))
    return tuple(steps)


def _window(v: str) -> tuple[time, time]:
    usage = "accepted: a local time span HH:MM-HH:MM with the start before the end, e.g. 07:30-17:00"
    start, sep, end = v.replace(" ", "").partition("-")
    if not sep:
        raise ValueError(usage)
    try:
        a, b = _time(start), _time(end)
    except ValueError:
        raise ValueError(usage) from None
    if not a < b:
        raise ValueError(usage)
    return a, b


BUDGET_KINDS = ("task", "brief")


def _budget(v: str) -> tuple[tuple[str, str | int], ...]:
    usage = ("accepted: comma-separated ROLE:BUDGET with ROLE in " + "|".join(ROLES) + " and BUDGET one of "
             "task (a message per task, at most one per task a day) | brief (one brief a day) | N (1-50: up to N "
             "messages a day, more become one brief), e.g. focal:task,manager:brief,oversight:brief,leadership:brief")
    out = dict(Settings.daily_budget)
    for part in v.replace(" ", "").split(","):
        if not part:
            continue
        role, sep, what = part.partition(":")
        what = what.lower()
        if not sep or role.lower() not in ROLES:
            raise ValueError(usage)
        if what in BUDGET_KINDS:
            out[role.lower()] = what
        elif what.isdigit() and 1 <= int(what) <= 50:
            out[role.lower()] = int(what)
        else:
            raise ValueError(usage)
    return tuple((r, out[r]) for r in ROLES)


def _path(v: str) -> Path | None:
    return Path(v.strip()) if v.strip() else None


def _existing_file(v: str) -> Path | None:
    p = _path(v)
    if p is not None and not p.is_file():
        raise ValueError(_("accepted: the path of an existing file (or empty for none)"))
    return p


def _ca_file(v: str) -> Path | None:
    """A PEM file of certificate authorities the SMTP server's certificate is checked against."""
    import ssl

    p = _existing_file(v)
    if p is not None:
        try:
            ssl.create_default_context(cafile=str(p))
        except (ssl.SSLError, OSError, ValueError):
            raise ValueError(_("accepted: a PEM file of CA certificates (or empty for the system's)")) from None
    return p


def _host_port(v: str) -> str:
    host, sep, port = v.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ValueError(_("accepted: HOST:PORT, e.g. 127.0.0.1:8080 (port 0: any free port)"))
    return v.strip()


def _url(v: str) -> str:
    s = v.strip()
    if not (s.startswith("http://") or s.startswith("https://")):
        raise ValueError(_("accepted: an http:// or https:// URL"))
    return s.rstrip("/") if not s.endswith("/bot") else s


def _optional_url(v: str) -> str | None:
    return _url(v) if v.strip() else None


def _province(v: str) -> str | None:
    """A province of Vietnam since 1/7/2025, as the vietnam-provinces package names it."""
    s = v.strip()
    if not s:
        return None
    from core.provinces import find_province, province_names

    p = find_province(s)
    if p is None:
        raise ValueError("accepted: one of " + ", ".join(province_names()))
    return p


def _database_url(v: str) -> str:
    s = v.strip()
    if not (s.startswith("sqlite") or s.startswith("postgresql")):
        raise ValueError(_("accepted: sqlite:///PATH or postgresql+psycopg://USER:PASSWORD@HOST/DB"))
    return s


def _domain(v: str) -> str:
    import re

    s = v.strip().lower()
    if not re.fullmatch(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*", s):
        raise ValueError("accepted: a domain name such as lich.example.gov.vn (letters, digits, '-' and '.')")
    return s


def _file_types(v: str) -> tuple[str, ...]:
    """File name endings, e.g. ".pdf, .docx" (the dot may be left out)."""
    out = tuple(sorted({"." + x.strip().lower().lstrip(".") for x in v.replace(";", ",").split(",") if x.strip()}))
    if not out or any(not x[1:].isalnum() for x in out):
        raise ValueError(_("accepted: file name endings separated by commas, e.g. .pdf, .docx, .jpg"))
    return out


def _optional_str(v: str) -> str | None:
    return v.strip() or None


def _clock_start(v: str) -> str | None:
    from datetime import datetime

    s = v.strip()
    if not s:
        return None
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        raise ValueError(_("accepted: an ISO date-time with offset, e.g. 2018-06-07T07:59:00+07:00")) from None
    if dt.tzinfo is None:
        raise ValueError(_("accepted: an ISO date-time with offset, e.g. 2018-06-07T07:59:00+07:00"))
    if not 1900 <= dt.year <= 2199:  # the registry grammar's years (core.deadline.MIN_YEAR/MAX_YEAR)
        raise ValueError(_("accepted: an ISO date-time with offset in the years 1900-2199, e.g. "
                           "2018-06-07T07:59:00+07:00"))
    return s


def _speed(v: str) -> float:
    try:
        f = float(v)
    except ValueError:
        raise ValueError(_("accepted: a positive number (1 = real time)")) from None
    if f <= 0:
        raise ValueError(_("accepted: a positive number (1 = real time)"))
    return f


def _positive_rate(v: str) -> float:
    try:
        f = float(v)
    except ValueError:
        raise ValueError("accepted: a positive number of messages per second, e.g. 2 or 0.5") from None
    if not 0 < f <= 100:
        raise ValueError("accepted: a positive number of messages per second, e.g. 2 or 0.5")
    return f


def _mail_address(v: str) -> str | None:
    from email.utils import parseaddr

    s = v.strip()
    if not s:
        return None
    name, addr = parseaddr(s)
    if "@" not in addr or addr.startswith("@") or addr.endswith("@") or " " in addr:
        raise ValueError("accepted: an e-mail address, e.g. dondoc@snv.example.gov.vn or "
                         "\"dondoc <dondoc@snv.example.gov.vn>\"")
    return s


def _secret_token(low: int, accepted: str) -> Callable[[str], str | None]:
    """A webhook secret as the platforms take it: `low`-256 of A-Z a-z 0-9 _ - (empty: none)."""
    import re

    def parse(v: str) -> str | None:
        s = v.strip()
        if s and not re.fullmatch(rf"[A-Za-z0-9_-]{{{low},256}}", s):
            raise ValueError(_(accepted))
        return s or None

    return parse


_webhook_secret = _secret_token(1, N_("accepted: 1-256 characters A-Z, a-z, 0-9, _ and - (Telegram's rule)"))
_zalo_webhook_secret = _secret_token(
    8, N_("accepted: 8-256 characters A-Z, a-z, 0-9, _ and - (Zalo asks for 8 to 256)"))


# Paths the HTTP server already serves: a Zalo webhook path may not shadow them.
_TAKEN_PATHS = ("/feeds/", "/web/", "/email/", "/healthz")


def _zalo_webhook_url(v: str) -> str | None:
    """The public https URL Zalo posts updates to; its path becomes a route of the HTTP server."""
    from urllib.parse import urlsplit

    s = v.strip()
    if not s:
        return None
    parts = urlsplit(s)
    path = parts.path.rstrip("/")
    if (parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment or not path
            or any(path == t.rstrip("/") or path.startswith(t) for t in _TAKEN_PATHS)):
        raise ValueError(_("accepted: an https:// URL with a path of its own, e.g. "
                           "https://dondoc.example.gov.vn/zalo/webhook (not under /feeds/, /web/, /email/ or "
                           "/healthz; no query); empty: receive Zalo messages by polling"))
    return s


# name -> (field, parser)
_SPEC: dict[str, tuple[str, Callable[[str], object]]] = {
    "TELEGRAM_BOT_TOKEN": ("telegram_bot_token", _optional_str),
    "TELEGRAM_BASE_URL": ("telegram_base_url", _url),
    "TELEGRAM_BOT_USERNAME": ("telegram_bot_username", lambda v: v.strip().lstrip("@") or None),
    "DATABASE_URL": ("database_url", _database_url),
    "TIMEZONE": ("timezone", _timezone),
    "LANGUAGE": ("language", _choice(LANGUAGES)),
    "DONDOC_ACTOR": ("actor", _optional_str),
    "EVIDENCE_DIR": ("evidence_dir", _path),
    "EVIDENCE_MAX_MB": ("evidence_max_mb", _int_range(1, 500)),
    "EVIDENCE_TYPES": ("evidence_types", _file_types),
    "ADMIN_USER_IDS": ("admin_user_ids", _user_ids),
    "OVERSIGHT_USER_IDS": ("oversight_user_ids", _user_ids),
    "AGENCIES_FILE": ("agencies_file", _existing_file),
    "HOLIDAYS_FILE": ("holidays_file", _existing_file),
    "DEADLINE_SHIFT_TO_WORKDAY": ("deadline_shift_to_workday", _bool),
    "SCHEDULER_TICK_SECONDS": ("scheduler_tick_seconds", _int_range(1, 3600)),
    "REMINDER_OFFSETS": ("reminder_offsets", _int_list),
    "REMINDER_TIME": ("reminder_time", _time),
    "REMIND_COORDINATORS": ("remind_coordinators", _bool),
    "REMINDER_WORKDAYS_ONLY": ("reminder_workdays_only", _bool),
    "ESCALATION_STEPS": ("escalation_steps", _escalation),
    "ESCALATION_REPEAT_DAYS": ("escalation_repeat_days", _int_range(1, 365)),
    "CONTINUOUS_CHECKIN": ("continuous_checkin", _choice(CHECKIN_PERIODS)),
    "DUE_SOON_DAYS": ("due_soon_days", _int_range(0, 60)),
    "DIGEST_WEEKDAY": ("digest_weekday", _choice(WEEKDAYS)),
    "QUARTERLY_SUMMARY": ("quarterly_summary", _bool),
    "DELIVERY_WINDOW": ("delivery_window", _window),
    "REPEAT_LIMIT": ("repeat_limit", _int_range(0, 100)),
    "DAILY_BUDGET": ("daily_budget", _budget),
    "PERSON_FALLBACK_TIME": ("person_fallback_time", _time),
    "PERSON_ESCALATION_STEPS": ("person_escalation_steps", _person_ladder),
    "REPORT_CUTOFF": ("report_cutoff", _choice(REPORT_CUTOFFS)),
    "RATING_DELAY_PENALTY": ("rating_delay_penalty", _int_range(0, 100)),
    "RATING_RETURN_IS_DELAY": ("rating_return_is_delay", _bool),
    "COLOR_DUE_SOON_WORKDAYS": ("color_due_soon_workdays", _int_range(0, 60)),
    "DELIVERY_MAX_ATTEMPTS": ("delivery_max_attempts", _int_range(1, 100)),
    "CLAIM_TIMEOUT_SECONDS": ("claim_timeout_seconds", _int_range(5, 86400)),
    "DELIVERY_STUCK_ALERT_MINUTES": ("delivery_stuck_alert_minutes", _int_range(0, 1440)),
    "RATE_OVERALL_PER_SECOND": ("rate_overall_per_second", _int_range(1, 1000)),
    "RATE_GROUP_PER_MINUTE": ("rate_group_per_minute", _int_range(1, 1000)),
    "RATE_PRIVATE_PER_SECOND": ("rate_private_per_second", _int_range(1, 100)),
    "CONFIRM_COMPLETION": ("confirm_completion", _bool),
    "CALLBACK_SECRET": ("callback_secret", _optional_str),
    "WEBHOOK_URL": ("webhook_url", _optional_url),
    "WEBHOOK_SECRET": ("webhook_secret", _webhook_secret),
    "WEBHOOK_LISTEN": ("webhook_listen", _host_port),
    "FEED_BIND": ("feed_bind", _host_port),
    "FEED_BASE_URL": ("feed_base_url", _url),
    "FEED_KEEP_DONE_DAYS": ("feed_keep_done_days", _int_range(0, 3650)),
    "WEB_SESSION_MINUTES": ("web_session_minutes", _int_range(5, 43200)),
    "SIGNIN_LINK_MINUTES": ("signin_link_minutes", _int_range(1, 1440)),
    "FEED_UID_DOMAIN": ("feed_uid_domain", _domain),
    "FEED_WINDOW_MONTHS": ("feed_window_months", _int_range(0, 1200)),
    "FEED_RENDER_PROCESSES": ("feed_render_processes", _auto_or_int(0, 64)),
    "ZALO_BOT_TOKEN": ("zalo_bot_token", _optional_str),
    "ZALO_BASE_URL": ("zalo_base_url", _url),
    "ZALO_RATE_PER_SECOND": ("zalo_rate_per_second", _positive_rate),
    "ZALO_GROUPS_ENABLED": ("zalo_groups_enabled", _bool),
    "ZALO_WEBHOOK_URL": ("zalo_webhook_url", _zalo_webhook_url),
    "ZALO_WEBHOOK_SECRET": ("zalo_webhook_secret", _zalo_webhook_secret),
    "SMTP_HOST": ("smtp_host", _optional_str),
    "SMTP_PORT": ("smtp_port", _int_range(1, 65535)),
    "SMTP_SECURITY": ("smtp_security", _choice(("none", "starttls", "tls"))),
    "SMTP_USER": ("smtp_user", _optional_str),
    "SMTP_PASSWORD": ("smtp_password", _optional_str),
    "SMTP_CA_FILE": ("smtp_ca_file", _ca_file),
    "MAIL_FROM": ("mail_from", _mail_address),
    "MAIL_REPLY_TO": ("mail_reply_to", _mail_address),
    "EMAIL_INBOUND_BIND": ("email_inbound_bind", _host_port),
    "CLOCK_START": ("clock_start", _clock_start),
    "CLOCK_SPEED": ("clock_speed", _speed),
    "LOG_LEVEL": ("log_level", _choice(("debug", "info", "warning", "error"))),
    "PROVINCE": ("province", _province),
    "URGENT_WORKDAYS": ("urgent_workdays", _int_range(0, 60)),
    "IMPORT_MAX_BYTES": ("import_max_bytes", _int_range(1024, 1024 ** 3)),
    "IMPORT_MAX_ROWS": ("import_max_rows", _int_range(10, 1_000_000)),
    "IMPORT_MAX_COLUMNS": ("import_max_columns", _int_range(5, 16_384)),
    "IMPORT_MAX_CELL_CHARS": ("import_max_cell_chars", _int_range(100, 1_000_000)),
    "IMPORT_MAX_UNCOMPRESSED_BYTES": ("import_max_uncompressed_bytes", _int_range(1024, 4 * 1024 ** 3)),
    "OCR_MAX_PAGES": ("ocr_max_pages", _int_range(1, 1000)),
    "OCR_TIMEOUT_SECONDS": ("ocr_timeout_seconds", _int_range(1, 3600)),
    "OCR_MIN_CONFIDENCE": ("ocr_min_confidence", _int_range(0, 100)),
    "OCR_DPI": ("ocr_dpi", _int_range(100, 600)),
    "IMPORT_MAX_TASKS": ("import_max_tasks", _int_range(10, 10_000_000)),
    "IMPORT_WORKER_MEMORY_MB": ("import_worker_memory_mb", _int_range(256, 1024 * 1024)),
    "IMPORT_CHECKS_WAITING": ("import_checks_waiting", _int_range(0, 100)),
    "REPORT_MAX_YEARS": ("report_max_years", _int_range(1, 200)),
    "REPORT_MAX_OCCURRENCES": ("report_max_occurrences", _int_range(1000, 100_000_000)),
    "REPORT_HEAVY_PER_PERSON": ("report_heavy_per_person", _int_range(1, 100)),
    "REPORT_HEAVY_AT_ONCE": ("report_heavy_at_once", _int_range(1, 100)),
    "FEED_RENDERS_PER_CLIENT": ("feed_renders_per_client", _int_range(1, 100)),
    "FEED_RENDERS_AT_ONCE": ("feed_renders_at_once", _int_range(1, 1000)),
    "FEED_BUFFER_BYTES": ("feed_buffer_bytes", _int_range(1024 * 1024, 4 * 1024 ** 3)),
    "ZALO_UNLINKED_REPLIES_PER_MINUTE": ("zalo_unlinked_replies_per_minute", _int_range(0, 10_000)),
    "API_RATE_PER_MINUTE": ("api_rate_per_minute", _int_range(1, 100_000)),
    "WEBHOOK_MAX_ATTEMPTS": ("webhook_max_attempts", _int_range(1, 100)),
    "EDXML_WATCH_DIR": ("edxml_watch_dir", _path),
    "EDXML_OUTBOX_DIR": ("edxml_outbox_dir", _path),
    "EDXML_ORGAN_ID": ("edxml_organ_id", _optional_str),
    "EDXML_ORGAN_NAME": ("edxml_organ_name", _optional_str),
    "EDXML_CERT_FILE": ("edxml_cert_file", _existing_file),
}

SETTING_NAMES = tuple(_SPEC)
SECRET_SETTINGS = ("TELEGRAM_BOT_TOKEN", "WEBHOOK_SECRET", "CALLBACK_SECRET", "ZALO_WEBHOOK_SECRET")


def shown_value(name: str, value: str) -> str:
    """A setting's value as an error message may show it: secrets hidden, a database URL's password too."""
    if name in SECRET_SETTINGS:
        return "***"
    if name == "DATABASE_URL":
        import re

        return re.sub(r"(://[^:/@]*:).*@", r"\1***@", value)  # to the last @: a raw @ or / in it too
    return value


def parse_settings(raw: Mapping[str, str], **overrides: object) -> Settings:
    """Validate `raw` (setting names → text, as in `.env`); keyword `overrides` (field names) win. Raises
    SettingsError listing every bad value with its name, the value and what is accepted."""
    raw = {k: v for k, v in raw.items() if k in _SPEC}
    # Problems are told in the language the settings ask for (LANGUAGE), when that one is valid.
    asked = raw.get("LANGUAGE", "").strip().lower()
    with use_language(asked if asked in LANGUAGES else None):
        return _parse(raw, overrides)


def _parse(raw: dict[str, str], overrides: dict[str, object]) -> Settings:
    values: dict[str, object] = {}
    problems: list[str] = []
    for name, (attr, parse) in _SPEC.items():
        if name not in raw:
            continue
        value = raw[name]
        if value.strip() == "" and attr not in ("telegram_bot_token",):
            # An empty line in .env means "use the default", as most tools read it.
            if attr in ("agencies_file", "holidays_file", "webhook_url", "webhook_secret", "callback_secret",
                        "clock_start", "telegram_bot_username", "zalo_bot_token", "smtp_host", "smtp_user",
                        "smtp_password", "smtp_ca_file", "mail_from", "mail_reply_to", "email_inbound_bind", "feed_uid_domain", "province",
                        "zalo_webhook_url", "zalo_webhook_secret", "edxml_watch_dir", "edxml_outbox_dir",
                        "edxml_organ_id", "edxml_organ_name", "edxml_cert_file"):
                values[attr] = None
            continue
        try:
            parsed = parse(value)
        except ValueError as e:
            problems.append(f"{name}={shown_value(name, value)!r}: {e}")
            continue
        if attr == "log_level":
            parsed = str(parsed).upper()
        values[attr] = parsed
    if values.get("smtp_host") and not values.get("mail_from"):
        problems.append("MAIL_FROM is required with SMTP_HOST: the address dondoc's e-mails come from")
    if values.get("email_inbound_bind") and not values.get("smtp_host"):
        # Replies are only possible to a reminder e-mail, and its refusals are answered by e-mail.
        problems.append(_("SMTP_HOST is required with EMAIL_INBOUND_BIND: only a reply to a reminder e-mail is "
                          "received, and dondoc answers it by e-mail"))
    if values.get("zalo_webhook_url") and not values.get("zalo_webhook_secret"):
        problems.append(_("ZALO_WEBHOOK_SECRET is required with ZALO_WEBHOOK_URL: without it anyone who finds the "
                          "URL could post fake messages (accepted: 8-256 characters A-Z, a-z, 0-9, _ and -)"))
    if problems:
        raise SettingsError(problems)
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]
