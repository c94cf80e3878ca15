"""Strict readers for the calendar tests, beyond the Python parsers:

- libical (what Evolution and GNOME read calendars with), through PyGObject's ICalGLib from Debian's packages
  (python3-gi, gir1.2-ical-3.0; `.ci/run` installs them). The system Python has them, the venv does not, so
  the check runs in a subprocess of /usr/bin/python3: the calendar is parsed, libical's restriction check
  (RFC 5545 cardinalities, and iTIP's when a METHOD is present) is run, and every X-LIC-ERROR libical
  attaches to what it could not read is reported. Without libical the tests fail in CI and are skipped
  elsewhere, with the command that installs it.
- Outlook: MS-OXCICAL 2.1.3.2.2 lists the RRULE templates Outlook maps into a recurrence; anything else
  "SHOULD gracefully fail to map". `outlook_template(rule)` says which template a rule fits, or None.
"""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

SYSTEM_PYTHON = os.environ.get("DONDOC_LIBICAL_PYTHON", "/usr/bin/python3")
INSTALL = "apt-get install -y python3-gi gir1.2-ical-3.0"

_CHECK = r"""
import json, sys
import gi
gi.require_version("ICalGLib", "3.0")
from gi.repository import ICalGLib as I

data = sys.stdin.buffer.read().decode("utf-8")
problems = []
comp = I.Component.new_from_string(data)
if comp is None:
    print(json.dumps(["libical could not parse the calendar"]))
    sys.exit(0)
if not I.restriction_check(comp):
    problems.append("restriction check failed")

def walk(c):
    kind = I.Component.kind_to_string(c.isa())
    p = c.get_first_property(I.PropertyKind.XLICERROR_PROPERTY)
    while p is not None:
        problems.append(f"{kind}: {p.get_xlicerror()}")
        p = c.get_next_property(I.PropertyKind.XLICERROR_PROPERTY)
    k = c.get_first_component(I.ComponentKind.ANY_COMPONENT)
    while k is not None:
        walk(k)
        k = c.get_next_component(I.ComponentKind.ANY_COMPONENT)

walk(comp)
print(json.dumps(problems))
"""


def libical_available() -> bool:
    try:
        r = subprocess.run([SYSTEM_PYTHON, "-c", "import gi; gi.require_version('ICalGLib', '3.0'); "
                            "from gi.repository import ICalGLib"], capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return False
    return r.returncode == 0


def require_libical() -> None:
    if libical_available():
        return
    msg = f"libical's Python bindings are missing for {SYSTEM_PYTHON}: {INSTALL}"
    if os.environ.get("CI"):
        pytest.fail(msg)  # CI installs them (.ci/run): missing there is a broken setup, not a skip
    pytest.skip(msg)


def libical_problems(data: bytes) -> list[str]:
    """Everything libical objects to in `data`: restriction-check failures and X-LIC-ERRORs (empty = clean)."""
    r = subprocess.run([SYSTEM_PYTHON, "-c", _CHECK], input=data, capture_output=True, timeout=120)
    if r.returncode != 0:
        raise AssertionError(f"the libical check crashed: {r.stderr.decode(errors='replace')}")
    return json.loads(r.stdout)


# -- MS-OXCICAL 2.1.3.2.2: the RRULE templates Outlook maps ---------------------------------------------

_DAY = r"(?:SU|MO|TU|WE|TH|FR|SA)"
_UNTIL = r"\d{8}(?:T\d{6}Z?)?"
_COMMON = {"INTERVAL": r"\d+", "BYHOUR": r"\d{1,2}", "BYMINUTE": r"\d{1,2}", "UNTIL": _UNTIL, "COUNT": r"\d{1,3}",
           "WKST": _DAY}
TEMPLATES = {
    # template: (FREQ, required parts, optional parts) — each part takes one value unless its pattern says more
    "daily": ("DAILY", {}, {}),
    "weekly": ("WEEKLY", {}, {"BYDAY": rf"{_DAY}(?:,{_DAY})*"}),
    "monthly": ("MONTHLY", {}, {"BYMONTHDAY": r"-?\d{1,2}"}),
    "monthly-nth": ("MONTHLY", {"BYDAY": rf"{_DAY}(?:,{_DAY})*", "BYSETPOS": r"-1|[1-4]"}, {}),
    "yearly": ("YEARLY", {}, {"BYMONTHDAY": r"-?\d{1,2}", "BYMONTH": r"\d{1,2}"}),
    "yearly-nth": ("YEARLY", {"BYDAY": rf"{_DAY}(?:,{_DAY})*", "BYMONTH": r"\d{1,2}", "BYSETPOS": r"-1|[1-4]"}, {}),
}


def outlook_template(rule: str) -> str | None:
    """The MS-OXCICAL template `rule` fits (e.g. "monthly"), or None when Outlook would not map it."""
    try:
        parts = dict(p.split("=", 1) for p in rule.split(";"))
    except ValueError:
        return None
    if len(parts) != rule.count(";") + 1 or ("UNTIL" in parts and "COUNT" in parts):
        return None
    freq = parts.pop("FREQ", None)
    for name, (f, required, optional) in TEMPLATES.items():
        if f != freq or not set(required) <= set(parts):
            continue
        allowed = {**required, **optional, **_COMMON}
        if all(k in allowed and re.fullmatch(allowed[k], v) for k, v in parts.items()):
            return name
    return None
