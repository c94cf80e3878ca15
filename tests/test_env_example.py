"""`.env.example` documents every setting, each with a comment, and its values load as they are."""

from pathlib import Path

from core.settings import SETTING_NAMES
from dondoc.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent


def _entries():
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if line and not line.startswith("#"):
            yield line.split("=", 1)[0], lines[i - 1]


def test_every_setting_is_documented_with_a_comment():
    names = {}
    for name, previous in _entries():
        names[name] = previous
    assert set(names) == set(SETTING_NAMES)
    for name, previous in names.items():
        assert previous.startswith("#"), f"{name} has no comment above it"


def test_the_example_file_loads():
    load_settings(environ={}, dotenv_path=ROOT / ".env.example")
