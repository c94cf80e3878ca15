"""Reading settings from `.env` and the environment, once at start.

The working directory's `.env` is read; a variable set in the environment wins over the file. What the
settings are and how they are validated is `core.settings` (the typed `Settings` every floor is handed).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

from dotenv import dotenv_values

from core.settings import SETTING_NAMES, Settings, parse_settings


def load_settings(
    environ: Mapping[str, str] | None = None,
    dotenv_path: str | Path | None = ".env",
    **overrides: object,
) -> Settings:
    """Read settings from `dotenv_path` (if it exists) overlaid by `environ` (default: os.environ).

    Keyword `overrides` (field names) win over both; tests use them. Raises SettingsError listing every
    bad value with its name, the value and what is accepted.
    """
    raw: dict[str, str] = {}
    if dotenv_path is not None and Path(dotenv_path).is_file():
        raw.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
    env = os.environ if environ is None else environ
    raw.update({k: v for k, v in env.items() if k in SETTING_NAMES})
    return parse_settings(raw, **overrides)
